"""Read a proband's phenotype: GA4GH Phenopacket v2 JSON, or a plain list of HPO ids."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tailormed.errors import InputError
from tailormed.io.ped import Pedigree, PedMember
from tailormed.model.onset import earliest, onset_term_of
from tailormed.model.rare import PhenotypeProfile, PhenotypeTerm

_HPO_ID = re.compile(r"^HP:\d{7}$")
# Fields that exist only in Phenopacket schema v1; their presence means a v1 document.
_V1_ONLY_FIELDS = ("genes", "variants", "hgvsAlleles")
_SEX = {"MALE": "male", "FEMALE": "female", "OTHER_SEX": "other", "UNKNOWN_SEX": "unknown"}


def read_phenotype(path: Path) -> PhenotypeProfile:
    """Read a phenopacket (``.json``) or an HPO id list (anything else) into a profile."""
    return read_phenotype_document(path)[0]


def read_phenotype_document(path: Path) -> tuple[PhenotypeProfile, dict[str, Any] | None]:
    """The profile and, for a phenopacket, the parsed document (read once; None for an HPO id list)."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    if path.suffix.lower() == ".json":
        document = _load_json(path)
        return phenopacket_to_profile(document, source=str(path)), document
    return read_hpo_list(path), None


def read_phenopacket(path: Path) -> PhenotypeProfile:
    """Parse a Phenopacket v2 JSON document; refuse v1 documents and malformed features."""
    return phenopacket_to_profile(_load_json(path), source=str(path))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (phenopackets are UTF-8 JSON)", source=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", source=str(path),
                         location=f"line {exc.lineno} column {exc.colno}") from exc


def phenopacket_to_profile(document: Any, *, source: str) -> PhenotypeProfile:
    """Turn a parsed phenopacket (or a Family message: its proband) into a :class:`PhenotypeProfile`."""
    if not isinstance(document, dict):
        raise InputError("a phenopacket is a JSON object", source=source)
    if isinstance(document.get("proband"), dict):  # a Phenopacket-schema Family: proband + relatives + pedigree
        _check_v2(document, source)
        proband = dict(document["proband"])
        proband.setdefault("metaData", document["metaData"])
        return phenopacket_to_profile(proband, source=source)
    _check_v2(document, source)
    subject = document.get("subject") or {}
    # No features is allowed (a genotype-driven analysis); the engine warns that nothing was scored.
    terms = [_feature(feature, i, source) for i, feature in enumerate(document.get("phenotypicFeatures") or [])]
    age = ((subject.get("timeAtLastEncounter") or {}).get("age") or {}).get("iso8601duration")
    onset = _earliest_onset(document, source)
    diagnoses = [i["diagnosis"]["disease"]["id"] for i in document.get("interpretations") or []
                 if isinstance(i, dict) and (i.get("diagnosis") or {}).get("disease", {}).get("id")]
    return PhenotypeProfile(
        id=str(document.get("id") or subject.get("id") or Path(source).stem),
        sex=_SEX.get(str(subject.get("sex", "UNKNOWN_SEX")), "unknown"),
        age=age,
        terms=terms,
        onset=onset,
        proband_sample=subject.get("id"),
        known_diagnoses=diagnoses,
        hpo_version=_hpo_version(document["metaData"]),
    )


def _earliest_onset(document: dict[str, Any], source: str) -> str | None:
    """The earliest onset stated for an observed feature or for the patient's disease (``diseases[].onset``:
    the age the illness began, whatever it is called), as an HPO onset term."""
    stated = []
    for position, feature in enumerate(document.get("phenotypicFeatures") or []):
        if isinstance(feature, dict) and not feature.get("excluded") and feature.get("onset") is not None:
            stated.append(onset_term_of(feature["onset"], source=source,
                                        location=f"phenotypicFeatures[{position}].onset"))
    for position, disease in enumerate(document.get("diseases") or []):
        if isinstance(disease, dict) and not disease.get("excluded") and disease.get("onset") is not None:
            stated.append(onset_term_of(disease["onset"], source=source, location=f"diseases[{position}].onset"))
    return earliest([term for term in stated if term])


def _hpo_version(meta: dict[str, Any]) -> str | None:
    for resource in meta.get("resources") or []:
        if isinstance(resource, dict) and str(resource.get("id", "")).lower() == "hp" and resource.get("version"):
            return str(resource["version"])
    return None


def _check_v2(document: dict[str, Any], source: str) -> None:
    meta = document.get("metaData")
    if not isinstance(meta, dict):
        raise InputError("no metaData object: not a GA4GH phenopacket", source=source)
    version = str(meta.get("phenopacketSchemaVersion", ""))
    v1_fields = [name for name in _V1_ONLY_FIELDS if name in document]
    if v1_fields or (version and not version.startswith("2")):
        found = f"schema version {version!r}" if version else f"v1 fields {v1_fields}"
        raise InputError(f"this is a Phenopacket v1 document ({found}); convert it to v2 "
                         "(e.g. with phenopacket-tools convert)", source=source)
    if not version:
        raise InputError("metaData.phenopacketSchemaVersion is missing; expected '2.0' or later", source=source)


def _feature(feature: Any, position: int, source: str) -> PhenotypeTerm:
    where = f"phenotypicFeatures[{position}]"
    if not isinstance(feature, dict) or not isinstance(feature.get("type"), dict):
        raise InputError("each phenotypic feature needs a 'type' object", source=source, location=where)
    term = feature["type"].get("id", "")
    if not isinstance(term, str) or not _HPO_ID.match(term):
        raise InputError(f"{term!r} is not an HPO id (HP:nnnnnnn)", source=source, location=where)
    if "negated" in feature:
        raise InputError("'negated' is Phenopacket v1; v2 uses 'excluded'", source=source, location=where)
    return PhenotypeTerm(id=term, label=feature["type"].get("label"), excluded=bool(feature.get("excluded", False)))


def read_hpo_list(path: Path) -> PhenotypeProfile:
    """A text file of HPO ids (one per line or comma-separated); ``!HP:…`` or ``-HP:…`` marks excluded."""
    terms = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not a text file", source=str(path)) from exc
    for line_number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        for token in (t.strip() for t in content.replace(",", " ").split()):
            excluded = token[:1] in "!-"
            term = token[1:] if excluded else token
            if not _HPO_ID.match(term):
                raise InputError(f"{token!r} is not an HPO id (HP:nnnnnnn)", source=str(path),
                                 location=f"line {line_number}")
            terms.append(PhenotypeTerm(id=term, excluded=excluded))
    if not terms:
        raise InputError("no HPO ids in this file", source=str(path))
    return PhenotypeProfile(id=path.stem, terms=terms)


def hpo_ids_to_profile(ids: list[str], *, case_id: str = "cli") -> PhenotypeProfile:
    """HPO ids given on the command line (``!`` prefix = excluded)."""
    terms = []
    for token in ids:
        excluded = token.startswith(("!", "-"))
        term = token[1:] if excluded else token
        if not _HPO_ID.match(term):
            raise InputError(f"{token!r} is not an HPO id (HP:nnnnnnn)", source="--hpo")
        terms.append(PhenotypeTerm(id=term, excluded=excluded))
    return PhenotypeProfile(id=case_id, terms=terms)


_PED_SEX = {"MALE": "male", "FEMALE": "female"}
_AFFECTED = {"AFFECTED": True, "UNAFFECTED": False}


def family_pedigree(document: Any, *, source: str) -> Pedigree | None:
    """The ``pedigree`` of a Phenopacket Family message as a :class:`Pedigree` (None for a plain phenopacket)."""
    if not isinstance(document, dict) or not isinstance(document.get("pedigree"), dict):
        return None
    members = []
    for position, person in enumerate(document["pedigree"].get("persons") or []):
        where = f"pedigree.persons[{position}]"
        if not isinstance(person, dict) or not person.get("individualId"):
            raise InputError("each pedigree person needs an individualId", source=source, location=where)
        members.append(PedMember(
            family_id=str(person.get("familyId", "")), individual_id=str(person["individualId"]),
            father_id=person.get("paternalId") or None, mother_id=person.get("maternalId") or None,
            sex=_PED_SEX.get(str(person.get("sex", "")), "unknown"),
            affected=_AFFECTED.get(str(person.get("affectedStatus", ""))), source=f"{source}:{where}"))
    if not members:
        raise InputError("the family's pedigree lists no persons", source=source, location="pedigree")
    return Pedigree(members=members, source=source)
