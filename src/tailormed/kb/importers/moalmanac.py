"""Import the Molecular Oncology Almanac (MOAlmanac) into an oncology knowledge pack.

Reads moalmanac-db's "referenced" JSON layout: ``statements.json`` (one claim each, citing a document, an
evidence strength and an indication) -> ``propositions.json`` (predicate, biomarkers that must all be present,
disease, therapy or therapy group) -> ``biomarkers.json``, ``genes.json``, ``diseases.json``, ``therapies.json``,
``therapy_groups.json``; plus ``documents.json``, ``urls.json``, ``indications.json``, ``strengths.json`` and
``about.json`` (name, licence, ``last_updated``). Each usable statement becomes one evidence record; every
statement that does not is counted under the reason it was skipped (:class:`ImportSummary`).

Mappings (``docs/onco-importers.md`` lists them in full):

- **Biomarkers** to the alteration language of :mod:`tailormed.model.alterations`: a protein change -> ``GENE
  V600E`` (taken from the structured ``protein_change`` field; a disagreeing ``name`` is reported as a note);
  "oncogenic variants" -> ``GENE oncogenic``, germline "pathogenic variants" -> ``germline GENE oncogenic``,
  "activating variants" -> ``GENE activating``, "somatic variants" without the oncogenic requirement -> ``GENE
  mutation``; exon entries -> exon classes (``EGFR exon 19 deletion``, ``EGFR exon 20 insertion``; MET exon 14
  deletions and splice-site variants -> ``MET exon 14 skipping``); a gene-wide nonsense, frameshift or
  splice-site class -> ``GENE truncating`` (our truncating class is the union of the three, so it is slightly
  wider than each one); ITD -> ``GENE ITD``; ``v::ALK`` -> ``ALK fusion``; ``BCR::ABL1`` -> ``BCR::ABL1 fusion``;
  ``t(15;17)`` -> ``PML::RARA fusion``; ``t(KMT2A;v)`` -> ``KMT2A fusion``; "rearrangements" -> ``GENE
  rearrangement``; gene copy number -> ``GENE amplification`` / ``GENE deletion``; wild type -> ``GENE
  wildtype``; MSI-H, MSS, dMMR, pMMR, TMB-H (>= 10/Mb), HRD; HER2/ER/PR status -> our signatures; PD-L1 lower
  bounds -> ``PD-L1 TPS|CPS|TAP|IC >= N`` (TPS, TAP and immune-cell scores are given by MOAlmanac as fractions
  and written as percentages). Not expressible, so the statement is skipped: other protein markers (CD20, CD30,
  c-Met IHC, ...), PR-negative, PD-L1 upper bounds, MSI-L, arm-level copy number, a required *absence*
  (``_present: false``), domain-restricted classes ("TKD activating variants": our language has no kinase-domain
  class, and the gene-wide class would be wider than the label).
- **Tumour types**: ``oncotree:X`` -> ``X``, except codes OncoTree has since retired, which are replaced by their
  successors as OncoTree's own history records them (``ALL`` -> ``BLL`` + ``TLL``, ``BALL`` -> ``BLL``, ``TALL``
  -> ``TLL``, ``MM`` -> ``PCM``, ``MLN`` -> ``MLNER``). NCIt codes: ``ncit:C132146`` (malignant solid neoplasm,
  MOAlmanac's tumour-agnostic "any solid tumor") -> ``SOLID``; ``NCIT_TO_ONCOTREE`` maps the few NCIt disease
  codes whose OncoTree equivalent is certain; any other code skips the statement (reason names the code).
  A statement whose disease names one lineage (lymphoid / myeloid) while its indication text names the other is
  skipped as a data-entry error ("disease contradicts indication text").
- **Evidence kind** (``EVIDENCE_FOR_STRENGTH`` and :func:`evidence_kind`): a regulatory approval by the FDA
  -> ``fda``. An approval by another agency (EMA, Health Canada, HPRA) or a national regimen (Ireland's HSE/NCCP)
  -> ``clinical-trial``: such approvals rest on registrational trials, but our ``fda`` kind (AMP/ASCO/CAP level A)
  means an FDA label, and calling them ``guideline`` would claim a professional-society recommendation that the
  source does not make. The record's summary names the agency, and most of these indications also have an FDA
  record, which then gives the tier. Guideline documents -> ``guideline``; other strengths: clinical trial ->
  ``clinical-trial``, clinical evidence/study -> ``clinical-study``, case report -> ``case-report``,
  preclinical -> ``preclinical``; inferential evidence is skipped.
- **Response**: ``predictSensitivityTo`` -> sensitive, ``predictResistanceTo`` -> resistant; withdrawn or
  deprecated statements and documents are skipped, as are statements whose direction is not "supports".
- **Sources**: one per document (citation from its ``description`` or ``name``, URL from ``urls.json``, date from
  ``publication_date``); the database release is the manifest's source. Drugs are lower-case therapy names;
  a therapy group (``AND``) is one regimen ``a + b``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tailormed.errors import InputError
from tailormed.kb.importers.onco_pack import ImportSummary, check_alteration, load_json, write_onco_pack
from tailormed.kb.pack import user_packs_dir
from tailormed.model.alterations import normalise_protein_change

FILES = ("about", "statements", "propositions", "biomarkers", "genes", "diseases", "therapies", "therapy_groups",
         "documents", "urls", "indications", "strengths")

RETIRED_ONCOTREE = {"ALL": ["BLL", "TLL"], "BALL": ["BLL"], "TALL": ["TLL"], "MM": ["PCM"], "MLN": ["MLNER"]}
"""OncoTree codes MOAlmanac uses (OncoTree 2021-11-02) that later releases replaced (history/precursor fields)."""

NCIT_TO_ONCOTREE = {
    "C132146": ["SOLID"],   # Malignant Solid Neoplasm: MOAlmanac's tumour-agnostic "Any solid tumor"
    "C9385": ["RCC"],       # Renal Cell Carcinoma (MOAlmanac exactMatch)
    "C27031": ["PANET"],    # Pancreatic Neuroendocrine Tumor (MOAlmanac exactMatch)
    "C3163": ["CLLSLL"],    # Chronic Lymphocytic Leukemia: OncoTree has one CLL/SLL node (one WHO entity)
    "C7007": ["HMBL"],      # Central Nervous System Hemangioblastoma: OncoTree's Hemangioblastoma (brain tumours)
    "C182151": ["DMG"],     # Diffuse Midline Glioma, H3 K27-altered
}
"""NCIt disease codes with a certain OncoTree equivalent. Others (e.g. cutaneous T-cell lymphoma, subependymal
giant-cell astrocytoma, non-squamous NSCLC) have none in OncoTree and are skipped."""

EVIDENCE_FOR_STRENGTH = {
    "guideline": "guideline",
    "clinical trial": "clinical-trial",
    "clinical evidence": "clinical-study",
    "clinical study": "clinical-study",
    "case report": "case-report",
    "case study": "case-report",
    "preclinical": "preclinical",
    "preclinical evidence": "preclinical",
}
"""Evidence strength name (lower case) -> our evidence kind, for documents that are not regulatory approvals."""

AGENCY_NAMES = {"fda": "FDA", "ema": "EMA", "hc": "Health Canada", "hpra": "HPRA (Ireland)",
                "hse": "HSE/NCCP national regimen (Ireland)"}

_HER2 = {"positive": "HER2-positive", "negative": "HER2-negative", "low": "HER2-low", "ultralow": "HER2-ultralow"}
_PDL1_SCALES = {"tumor proportion score (tps)": ("TPS", 100.0), "combined positive score (cps)": ("CPS", 1.0),
                "tumor area positivity (tap)": ("TAP", 100.0),
                "tumor-infiltrating immune cells (tiic)": ("IC", 100.0)}
"""PD-L1 unit -> our scale and the factor turning MOAlmanac's value into the score (fractions -> percent)."""
_TRANSLOCATIONS = {"t(15;17)": "PML::RARA fusion", "t(9;22)": "BCR::ABL1 fusion"}


class UnmappableError(Exception):
    """A biomarker, disease or evidence kind we cannot express; the message is the (countable) skip reason."""


def _ext(entry: dict[str, Any]) -> dict[str, Any]:
    return {str(e.get("name")): e.get("value") for e in entry.get("extensions") or [] if isinstance(e, dict)}


def _by_id(items: Any, path: Path) -> dict[Any, dict[str, Any]]:
    if not isinstance(items, list):
        raise InputError("expected a JSON list of entries", source=str(path))
    table: dict[Any, dict[str, Any]] = {}
    for number, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise InputError("entry without an id", source=str(path), location=f"[{number}]")
        table[item["id"]] = item
    return table


def _pdl1_value(value: float) -> str:
    return f"{round(value, 6):g}"


def _protein_marker(ext: dict[str, Any]) -> str:
    marker = str(ext.get("marker") or "")
    unit = str(ext.get("unit") or "").lower()
    value = ext.get("value")
    equality = ext.get("equality")
    lowered = marker.lower()
    if "her2" in lowered and unit == "status":
        if str(value).lower() in _HER2:
            return _HER2[str(value).lower()]
    elif "estrogen" in lowered and unit == "status":
        if str(value).lower() == "positive":
            return "ER-positive"
        if str(value).lower() == "negative":
            return "ER-negative"
    elif "progesterone" in lowered and unit == "status":
        if str(value).lower() == "positive":
            return "PR-positive"
        raise UnmappableError(f"PR-{str(value).lower()} (no such signature)")
    elif lowered == "pd-l1":
        if equality != ">=":
            raise UnmappableError(f"PD-L1 with '{equality}' bound (only lower bounds are expressible)")
        if unit not in _PDL1_SCALES:
            raise UnmappableError(f"PD-L1 unit {ext.get('unit')!r}")
        scale, factor = _PDL1_SCALES[unit]
        try:
            score = float(value) * factor  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise UnmappableError(f"PD-L1 value {value!r}") from exc
        return f"PD-L1 {scale} >= {_pdl1_value(score)}"
    raise UnmappableError(f"protein marker not supported: {marker} {value}".strip())


def _exon_number(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    match = re.match(r"^\s*(\d+)", str(raw))
    return int(match.group(1)) if match else None


def _somatic_variant(gene: str, name: str, ext: dict[str, Any], germline: bool,
                     note: Callable[[str], None]) -> str:
    prefix = "germline " if germline else ""
    protein = ext.get("protein_change")
    annotation = str(ext.get("variant_annotation") or "").lower()
    if protein:
        change = normalise_protein_change(str(protein))
        named = name.split()[-1] if name else ""
        if named and normalise_protein_change(named) != change:
            note(f"biomarker {name!r}: name disagrees with protein_change {protein!r}; used protein_change")
        return f"{prefix}{gene} {change}"
    if "tkd" in name.lower().split():
        raise UnmappableError("kinase-domain (TKD) variant class (no domain class in our language)")
    if "internal tandem duplication" in annotation or annotation == "itd":
        return f"{prefix}{gene} ITD"
    exon = _exon_number(ext.get("exon"))
    if exon is not None:
        if annotation in ("splice site", "deletion") and gene == "MET" and exon == 14:
            return f"{prefix}MET exon 14 skipping"
        kinds = {"deletion": "deletion", "insertion": "insertion", "missense": "missense", "splice site": "skipping"}
        if annotation not in kinds:
            raise UnmappableError(f"exon-level variant class {annotation or 'unspecified'!r}")
        return f"{prefix}{gene} exon {exon} {kinds[annotation]}"
    if annotation in ("nonsense", "frameshift", "splice site"):
        return f"{prefix}{gene} truncating"
    if annotation == "missense":
        return f"{prefix}{gene} missense"
    if annotation:
        raise UnmappableError(f"variant class {annotation!r}")
    lowered = name.lower()
    if "activating" in lowered:
        return f"{prefix}{gene} activating"
    if ext.get("requires_oncogenic") or ext.get("requires_pathogenic") or "oncogenic" in lowered \
            or "pathogenic" in lowered:
        return f"{prefix}{gene} oncogenic"
    return f"{prefix}{gene} mutation"


def _rearrangement(name: str, genes: list[str], ext: dict[str, Any]) -> str:
    text = name.strip()
    if text in _TRANSLOCATIONS:
        return _TRANSLOCATIONS[text]
    translocation = re.fullmatch(r"t\(([A-Za-z0-9-]+);v\)|t\(v;([A-Za-z0-9-]+)\)", text)
    if translocation:
        return f"{translocation.group(1) or translocation.group(2)} fusion"
    if "::" in text:
        left, _, right = text.partition("::")
        partners = [p for p in (left, right) if p and p.lower() != "v"]
        if len(partners) == 2:
            return f"{partners[0]}::{partners[1]} fusion"
        if len(partners) == 1:
            return f"{partners[0]} fusion"
    if text.lower().endswith("rearrangements") and len(genes) == 1:
        return f"{genes[0]} rearrangement"
    if str(ext.get("rearrangement_type") or "").lower() == "fusion" and len(genes) == 1:
        return f"{genes[0]} fusion"
    raise UnmappableError(f"rearrangement form {text!r}")


def map_biomarker(biomarker: dict[str, Any], genes: list[str], note: Callable[[str], None] = lambda _: None) -> str:
    """One MOAlmanac biomarker -> one alteration string, or :class:`UnmappableError` with the reason."""
    ext = _ext(biomarker)
    kind = str(ext.get("biomarker_type") or "")
    name = str(biomarker.get("name") or "")
    if ext.get("_present") is False:
        raise UnmappableError("biomarker required to be absent (not expressible)")
    gene = genes[0] if len(genes) == 1 else None
    if kind in ("Somatic Variant", "Germline Variant"):
        if gene is None:
            raise UnmappableError(f"{kind.lower()} without exactly one gene")
        return _somatic_variant(gene, name, ext, kind == "Germline Variant", note)
    if kind == "Rearrangement":
        return _rearrangement(name, genes, ext)
    if kind == "Copy Number":
        direction = str(ext.get("direction") or "").lower()
        if gene is None or direction not in ("amplification", "deletion"):
            raise UnmappableError(f"copy-number form {name!r}")
        return f"{gene} {direction}"
    if kind == "Copy Number (arm level)":
        raise UnmappableError("arm-level copy number")
    if kind == "Wild type":
        if gene is None:
            raise UnmappableError("wild type without exactly one gene")
        return f"{gene} wildtype"
    status = str(ext.get("status") or "").lower()
    if kind == "Mismatch Repair":
        if status in ("deficient", "proficient"):
            return "dMMR" if status == "deficient" else "pMMR"
    elif kind == "Microsatellite Stability":
        if "msi-h" in status:
            return "MSI-H"
        if "(mss)" in status or status == "microsatellite stable":
            return "MSS"
        raise UnmappableError(f"microsatellite status {ext.get('status')!r}")
    elif kind == "Tumor mutational burden":
        if str(ext.get("classification") or "").lower() == "high" and ext.get("minimum_mutations_per_megabase") == 10:
            return "TMB-H"
        raise UnmappableError(f"TMB threshold other than 10/Mb ({name})")
    elif kind == "Homologous Recombination":
        if status == "deficient":
            return "HRD"
    elif kind == "Protein expression":
        return _protein_marker(ext)
    raise UnmappableError(f"biomarker type {kind!r} ({name})")


def map_disease(disease: dict[str, Any]) -> list[str]:
    """A MOAlmanac disease -> OncoTree codes (or ``SOLID``), or :class:`UnmappableError`."""
    coding = str(disease.get("primary_coding_id") or "")
    system, _, code = coding.partition(":")
    if system == "oncotree" and code:
        return RETIRED_ONCOTREE.get(code, [code])
    if system == "ncit" and code in NCIT_TO_ONCOTREE:
        return NCIT_TO_ONCOTREE[code]
    raise UnmappableError(f"disease without an OncoTree equivalent: {coding} ({disease.get('name')})")


def _lineage(text: str) -> set[str]:
    lowered = text.lower()
    found = set()
    if re.search(r"lymphoid|lymphoblastic", lowered):
        found.add("lymphoid")
    if "myeloid" in lowered:
        found.add("myeloid")
    return found


def evidence_kind(document: dict[str, Any], strength: dict[str, Any] | None) -> str:
    """Our evidence kind for a statement reported in ``document`` with ``strength`` (module docstring)."""
    document_type = str(document.get("documentType") or "").lower()
    strength_name = str((strength or {}).get("name") or "").lower()
    if document_type == "regulatory approval" or strength_name == "approval":
        return "fda" if document.get("agent_id") == "fda" else "clinical-trial"
    if "guideline" in document_type or strength_name == "guideline":
        return "guideline"
    if strength_name in EVIDENCE_FOR_STRENGTH:
        return EVIDENCE_FOR_STRENGTH[strength_name]
    raise UnmappableError(f"evidence strength {strength_name or 'missing'!r} (document type {document_type!r})")


def _source_id(document_id: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", document_id.lower().removeprefix("doc:")).strip("-")
    return f"moalmanac-{slug}"


def _find_dir(source_dir: Path) -> Path:
    for candidate in (source_dir, source_dir / "referenced"):
        if (candidate / "statements.json").is_file():
            return candidate
    if not source_dir.is_dir():
        raise InputError("no such folder", source=str(source_dir))
    raise InputError("missing file statements.json (expected moalmanac-db's referenced/ folder)",
                     source=str(source_dir))


def import_moalmanac(source_dir: Path, dest: Path | None = None, *, name: str = "moalmanac",
                     base: str | None = None) -> ImportSummary:
    """Import a moalmanac-db ``referenced/`` folder (or its parent) into an onco pack at ``dest``.

    ``dest`` defaults to ``<user packs dir>/<name>``. The pack is validated before it replaces anything there.
    Missing files, invalid JSON and ids that point nowhere raise :class:`~tailormed.errors.InputError` naming
    the file and entry.
    """
    folder = _find_dir(Path(source_dir))
    target = Path(dest) if dest else user_packs_dir() / name
    paths = {key: folder / f"{key}.json" for key in FILES}
    data = {key: load_json(path) for key, path in paths.items()}
    about = data["about"]
    if not isinstance(about, dict):
        raise InputError("expected a JSON object", source=str(paths["about"]))
    tables = {key: _by_id(data[key], paths[key]) for key in FILES if key != "about"}
    version = str(about.get("last_updated") or about.get("release") or "unknown")
    summary = ImportSummary(path=target, name=name, version=version)
    notes: set[str] = set()
    contradictions: dict[str, list[str]] = {}

    def ref(table: str, key: Any, where: str) -> dict[str, Any]:
        """The entry ``key`` of ``table``; ``where`` is 'statements[3] (id 7)' or '<file> id <id>'."""
        if key not in tables[table]:
            in_file = "statements" if where.startswith("statements[") else where.split()[0]
            raise InputError(f"refers to {table} id {key!r}, which {table}.json does not define",
                             source=str(paths.get(in_file, folder / f"{in_file}.json")), location=where)
        return tables[table][key]

    sources: dict[str, dict[str, Any]] = {}
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for number, statement in enumerate(data["statements"]):
        where = f"statements[{number}] (id {statement.get('id')})"
        summary.read += 1
        if not isinstance(statement, dict):
            raise InputError("entry is not an object", source=str(paths["statements"]), location=where)
        if str(statement.get("status") or "active").lower() in ("withdrawn", "deprecated"):
            summary.skipped["statement withdrawn or deprecated"] += 1
            continue
        if str(statement.get("direction") or "supports").lower() != "supports":
            summary.skipped[f"statement direction {statement.get('direction')!r}"] += 1
            continue
        proposition = ref("propositions", statement.get("proposition_id"), where)
        p_where = f"propositions id {proposition['id']}"
        document_ids = statement.get("reportedIn") or []
        if not document_ids:
            raise InputError("statement cites no document (reportedIn)", source=str(paths["statements"]),
                             location=where)
        documents = [ref("documents", d, where) for d in document_ids]
        strength = ref("strengths", statement["strength_id"], where) if statement.get("strength_id") is not None \
            else None
        indication = ref("indications", statement["indication_id"], where) if statement.get("indication_id") \
            else None
        try:
            if any(str(d.get("status") or "active").lower() == "deprecated" for d in documents):
                raise UnmappableError("document deprecated")
            predicate = proposition.get("predicate")
            response = {"predictSensitivityTo": "sensitive", "predictResistanceTo": "resistant"}.get(str(predicate))
            if response is None:
                raise UnmappableError(f"predicate {predicate!r}")
            alterations = []
            for biomarker_id in proposition.get("biomarkers") or []:
                biomarker = ref("biomarkers", biomarker_id, p_where)
                genes = [str(ref("genes", g, f"biomarkers id {biomarker_id}")["name"])
                         for g in biomarker.get("genes") or []]
                alterations.append(map_biomarker(biomarker, genes, notes.add))
            if not alterations:
                raise UnmappableError("proposition without biomarkers")
            for text in alterations:
                problem = check_alteration(text)
                if problem:
                    raise UnmappableError(f"alteration not expressible ({problem})")
            disease = ref("diseases", proposition.get("conditionQualifier_id"), p_where)
            tumour_types = map_disease(disease)
            raw_cancer = str((indication or {}).get("raw_cancer_type") or "")
            disease_lineage, text_lineage = _lineage(str(disease.get("name") or "")), _lineage(raw_cancer)
            if disease_lineage and text_lineage and not disease_lineage & text_lineage:
                contradictions.setdefault(f"disease {disease.get('name')!r} vs indication text {raw_cancer!r}",
                                          []).append(str(statement.get("id")))
                raise UnmappableError("disease contradicts indication text (data-entry error)")
            evidence = evidence_kind(documents[0], strength)
        except UnmappableError as exc:
            summary.skipped[str(exc)] += 1
            continue
        if proposition.get("therapy_id") is not None:
            therapies = [ref("therapies", proposition["therapy_id"], p_where)]
        elif proposition.get("therapy_group_id") is not None:
            group = ref("therapy_groups", proposition["therapy_group_id"], p_where)
            if str(group.get("membershipOperator") or "AND").upper() != "AND":
                summary.skipped[f"therapy group operator {group.get('membershipOperator')!r}"] += 1
                continue
            therapies = [ref("therapies", t, f"therapy_groups id {group['id']}") for t in group.get("therapies") or []]
        else:
            raise InputError("proposition names no therapy", source=str(paths["propositions"]), location=p_where)
        drugs = [str(t.get("name") or "").strip().lower() for t in therapies]
        if not therapies or not all(drugs):
            raise InputError("therapy without a name", source=str(paths["therapies"]), location=p_where)
        source_ids = []
        for document in documents:
            source_id = _source_id(str(document["id"]))
            source_ids.append(source_id)
            if source_id not in sources:
                sources[source_id] = _document_source(document, source_id, tables["urls"])
        agency = AGENCY_NAMES.get(str(documents[0].get("agent_id")), str(documents[0].get("agent_id") or ""))
        key = (tuple(alterations), tuple(tumour_types), tuple(drugs), response, evidence, tuple(source_ids))
        indication_text = _summary(documents[0], agency, evidence, indication, statement)
        if key in seen:  # another indication of the same label for the same biomarkers, tumour and regimen
            summary.merged += 1
            _merge(seen[key], raw_cancer, indication_text)
            continue
        record: dict[str, Any] = {
            "id": f"{name}-s{statement.get('id')}",
            "alterations": alterations,
            "tumour_types": tumour_types,
            "therapy": " + ".join(drugs),
            "drugs": drugs,
            "response": response,
            "evidence": evidence,
        }
        if raw_cancer:
            record["setting"] = raw_cancer
        record["summary"] = indication_text
        record["sources"] = source_ids
        approval = str((indication or {}).get("initial_approval_date") or "")
        if evidence == "fda" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", approval):
            record["approval_date"] = approval
        seen[key] = record
        records.append(record)
    summary.records = len(records)
    summary.sources = len(sources)
    notes |= {f"skipped statements {', '.join(ids)} as data-entry errors: {what}"
              for what, ids in contradictions.items()}
    summary.notes = sorted(notes)
    provenance = _provenance(folder)
    manifest = {
        "name": name,
        "version": version,
        "description": f"Imported by `tailormed kb import moalmanac` from {about.get('name', 'MOAlmanac')} "
                       f"(release {about.get('release', '?')}, last updated {version}{provenance}). Records, "
                       "summaries and indication texts come from MOAlmanac and the documents it cites; read the "
                       "cited label before acting on a record.",
        "licence": str(about.get("license") or about.get("licence") or "see source"),
        "curators": ["Van Allen lab (MOAlmanac); imported by TailorMed"],
        "sources": [{
            "id": "moalmanac-db",
            "citation": f"{about.get('name', 'Molecular Oncology Almanac')} database, release "
                        f"{about.get('release', '?')}, last updated {version}{provenance}. Reardon B, et al. "
                        "Integrating molecular profiles into clinical frameworks through the Molecular Oncology "
                        "Almanac to prospectively guide precision oncology. Nat Cancer. 2021;2(10):1102-1112.",
            "url": str(about.get("github") or about.get("url") or "https://moalmanac.org"),
            "version": version,
            "licence": str(about.get("license") or "GPL-2.0"),
        }],
    }
    if base:
        manifest["base"] = base
    write_onco_pack(target, manifest, name, list(sources.values()), records)
    return summary


def _merge(record: dict[str, Any], setting: str, text: str) -> None:
    """Fold a further indication of the same label into ``record`` (settings and texts joined)."""
    if setting and setting not in str(record.get("setting") or "").split("; "):
        record["setting"] = f"{record['setting']}; {setting}" if record.get("setting") else setting
    body = text.partition("): ")[2]
    if body and body not in record["summary"]:
        record["summary"] = f"{record['summary']} Also: {body}"


def _summary(document: dict[str, Any], agency: str, evidence: str, indication: dict[str, Any] | None,
             statement: dict[str, Any]) -> str:
    text = str((indication or {}).get("indication") or statement.get("description") or "").strip()
    kind = "approval" if evidence in ("fda", "clinical-trial") and document.get("documentType") == \
        "Regulatory approval" else str(document.get("documentType") or "document").lower()
    head = f"MOAlmanac, {agency} {kind} ({document.get('name') or document.get('id')})"
    return f"{head}: {text}" if text else head + "."


def _document_source(document: dict[str, Any], source_id: str, urls: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    citation = str(document.get("description") or document.get("name") or document["id"]).strip()
    if len(citation) < 10:
        citation = f"MOAlmanac document {document['id']}: {citation}"
    source: dict[str, Any] = {"id": source_id, "citation": citation}
    for url_id in document.get("urls") or []:
        url = urls.get(url_id, {}).get("url")
        if url:
            source["url"] = str(url)
            break
    if document.get("publication_date"):
        source["date"] = str(document["publication_date"])
    source["licence"] = "GPL-2.0 (MOAlmanac entry); label text from the cited document"
    return source


def _provenance(folder: Path) -> str:
    for candidate in (folder / "SOURCE", folder.parent / "SOURCE"):
        if candidate.is_file():
            first = candidate.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            if first:
                return f"; {first[0].strip()}"
    return ""
