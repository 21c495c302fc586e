"""Read a proband's phenotype: GA4GH Phenopacket v2 JSON, or a plain list of HPO ids."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tailormed.documents import check_file, load_json, read_text
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
    check_file(path, "phenotype file")
    if path.suffix.lower() == ".json":
        document = load_json(path, "phenopacket")
        return phenopacket_to_profile(document, source=str(path)), document
    return read_hpo_list(path), None


def read_phenopacket(path: Path) -> PhenotypeProfile:
    """Parse a Phenopacket v2 JSON document; refuse v1 documents and malformed features."""
    return phenopacket_to_profile(load_json(path, "phenopacket"), source=str(path))


# -- typed access to the parsed JSON: a value of the wrong JSON type is an InputError naming its place ------
def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "null"


def _object(value: object, source: str, where: str) -> dict[str, Any]:
    """A JSON object (absent or null: an empty one)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"must be a JSON object, not {_json_type(value)}", source=source, location=where)
    return value


def _array(value: object, source: str, where: str) -> list[Any]:
    """A JSON array (absent or null: an empty one)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"must be a JSON array, not {_json_type(value)}", source=source, location=where)
    return value


def _text(value: object, source: str, where: str) -> str | None:
    """A JSON string (absent or null: None)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"must be a string, not {_json_type(value)}", source=source, location=where)
    return value


def _flag(value: object, source: str, where: str) -> bool:
    """A JSON true/false (absent or null: false); the string "false" is not false."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError(f"must be true or false, not {_json_type(value)}", source=source, location=where)
    return value


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
    subject = _object(document.get("subject"), source, "subject")
    # No features is allowed (a genotype-driven analysis); the engine warns that nothing was scored.
    features = _array(document.get("phenotypicFeatures"), source, "phenotypicFeatures")
    terms = [_feature(feature, i, source) for i, feature in enumerate(features)]
    encounter = _object(subject.get("timeAtLastEncounter"), source, "subject.timeAtLastEncounter")
    age = _text(_object(encounter.get("age"), source, "subject.timeAtLastEncounter.age").get("iso8601duration"),
                source, "subject.timeAtLastEncounter.age.iso8601duration")
    onset = _earliest_onset(document, source)
    diagnoses = []
    for position, interpretation in enumerate(_array(document.get("interpretations"), source, "interpretations")):
        where = f"interpretations[{position}]"
        diagnosis = _object(_object(interpretation, source, where).get("diagnosis"), source, f"{where}.diagnosis")
        disease = _object(diagnosis.get("disease"), source, f"{where}.diagnosis.disease")
        disease_id = _text(disease.get("id"), source, f"{where}.diagnosis.disease.id")
        if disease_id:
            diagnoses.append(disease_id)
    case_id = _text(document.get("id"), source, "id") or _text(subject.get("id"), source, "subject.id")
    return PhenotypeProfile(
        id=case_id or Path(source).stem,
        sex=_SEX.get(_text(subject.get("sex"), source, "subject.sex") or "UNKNOWN_SEX", "unknown"),
        age=age,
        terms=terms,
        onset=onset,
        proband_sample=_text(subject.get("id"), source, "subject.id"),
        known_diagnoses=diagnoses,
        hpo_version=_hpo_version(document["metaData"], source),
    )


def _earliest_onset(document: dict[str, Any], source: str) -> str | None:
    """The earliest onset stated for an observed feature or for the patient's disease (``diseases[].onset``:
    the age the illness began, whatever it is called), as an HPO onset term."""
    stated = []
    for field in ("phenotypicFeatures", "diseases"):
        for position, entry in enumerate(_array(document.get(field), source, field)):
            where = f"{field}[{position}]"
            entry = _object(entry, source, where)
            if _flag(entry.get("excluded"), source, f"{where}.excluded") or entry.get("onset") is None:
                continue
            onset = _object(entry["onset"], source, f"{where}.onset")
            stated.append(onset_term_of(onset, source=source, location=f"{where}.onset"))
    return earliest([term for term in stated if term])


def _hpo_version(meta: dict[str, Any], source: str) -> str | None:
    for position, resource in enumerate(_array(meta.get("resources"), source, "metaData.resources")):
        resource = _object(resource, source, f"metaData.resources[{position}]")
        if str(resource.get("id", "")).lower() == "hp" and resource.get("version"):
            return str(resource["version"])
    return None


def _check_v2(document: dict[str, Any], source: str) -> None:
    meta = document.get("metaData")
    if not isinstance(meta, dict):
        raise InputError("no metaData object: not a GA4GH phenopacket", source=source)
    raw_version = meta.get("phenopacketSchemaVersion", "")
    if isinstance(raw_version, (dict, list)):
        raise InputError(f"must be a string such as '2.0', not {_json_type(raw_version)}", source=source,
                         location="metaData.phenopacketSchemaVersion")
    version = str(raw_version)
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
        raise InputError(f"{_shown(term)} is not an HPO id (HP:nnnnnnn)", source=source, location=where)
    if "negated" in feature:
        raise InputError("'negated' is Phenopacket v1; v2 uses 'excluded'", source=source, location=where)
    return PhenotypeTerm(id=term, label=_text(feature["type"].get("label"), source, f"{where}.type.label"),
                         excluded=_flag(feature.get("excluded"), source, f"{where}.excluded"))


def _shown(value: object, limit: int = 60) -> str:
    """``repr`` of a value from the file, cut short: an error line stays readable whatever the file holds."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def read_hpo_list(path: Path) -> PhenotypeProfile:
    """A text file of HPO ids (one per line or comma-separated); ``!HP:…`` or ``-HP:…`` marks excluded."""
    terms = []
    text = read_text(path, "HPO id list")
    for line_number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        for token in (t.strip() for t in content.replace(",", " ").split()):
            excluded = token[:1] in "!-"
            term = token[1:] if excluded else token
            if not _HPO_ID.match(term):
                raise InputError(f"{_shown(token)} is not an HPO id (HP:nnnnnnn)", source=str(path),
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
            raise InputError(f"{_shown(token)} is not an HPO id (HP:nnnnnnn)", source="--hpo")
        terms.append(PhenotypeTerm(id=term, excluded=excluded))
    return PhenotypeProfile(id=case_id, terms=terms)


_PED_SEX = {"MALE": "male", "FEMALE": "female"}
_AFFECTED = {"AFFECTED": True, "UNAFFECTED": False}


def family_pedigree(document: Any, *, source: str) -> Pedigree | None:
    """The ``pedigree`` of a Phenopacket Family message as a :class:`Pedigree` (None for a plain phenopacket)."""
    if not isinstance(document, dict) or not isinstance(document.get("pedigree"), dict):
        return None
    members = []
    for position, person in enumerate(_array(document["pedigree"].get("persons"), source, "pedigree.persons")):
        where = f"pedigree.persons[{position}]"
        if not isinstance(person, dict) or not person.get("individualId"):
            raise InputError("each pedigree person needs an individualId", source=source, location=where)
        members.append(PedMember(
            family_id=_text(person.get("familyId"), source, f"{where}.familyId") or "",
            individual_id=_text(person["individualId"], source, f"{where}.individualId") or "",
            father_id=_text(person.get("paternalId"), source, f"{where}.paternalId") or None,
            mother_id=_text(person.get("maternalId"), source, f"{where}.maternalId") or None,
            sex=_PED_SEX.get(_text(person.get("sex"), source, f"{where}.sex") or "", "unknown"),
            affected=_AFFECTED.get(_text(person.get("affectedStatus"), source, f"{where}.affectedStatus") or ""),
            source=f"{source}:{where}"))
    if not members:
        raise InputError("the family's pedigree lists no persons", source=source, location="pedigree")
    return Pedigree(members=members, source=source)
