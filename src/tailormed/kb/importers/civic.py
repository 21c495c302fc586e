"""Import CIViC clinical evidence (the nightly ``ClinicalEvidenceSummaries.tsv``) into an oncology pack.

The file is tab-separated with one header line. Current releases have the columns ``molecular_profile,
molecular_profile_id, disease, doid, phenotypes, therapies, therapy_interaction_type, evidence_type,
evidence_direction, evidence_level, significance, evidence_statement, citation_id, source_type, asco_abstract_id,
citation, nct_ids, rating, evidence_status, evidence_id, variant_origin, last_review_date, evidence_civic_url,
molecular_profile_civic_url, is_flagged``; releases before molecular profiles (2022) have ``gene`` and
``variant`` instead of ``molecular_profile``, ``drugs``/``drug_interaction_type`` instead of
``therapies``/``therapy_interaction_type``, ``clinical_significance`` instead of ``significance`` and
``pubmed_id`` instead of ``citation_id``. Both are read.

What becomes a record (every other row is counted under the reason it was skipped):

- ``evidence_type`` Predictive, ``evidence_status`` accepted, ``evidence_direction`` Supports, not flagged;
- ``significance`` Sensitivity/Response (or the older Sensitivity) -> sensitive, Resistance (or Resistance or
  Non-Response) -> resistant; Reduced Sensitivity, Adverse Response and N/A are skipped;
- ``evidence_level`` (CIViC: A validated association, B clinical evidence, C case study, D preclinical,
  E inferential) -> ``EVIDENCE_FOR_LEVEL``: A -> ``guideline`` (A means proven or consensus use, typically an
  approval or a guideline, and the row does not say which, so we do not claim an FDA label); B ->
  ``clinical-study`` (B covers trials of every size and other patient series, so it is not claimed to be the
  well-powered trial our ``clinical-trial`` kind means); C -> ``case-report``; D -> ``preclinical``;
  E is skipped;
- the molecular profile must be expressible in our alteration language (:func:`map_molecular_profile`): ``BRAF
  V600E``, ``KRAS G12`` (codon), ``EGFR L858R AND EGFR T790M`` (AND -> several required items; OR -> one item
  with alternatives), ``ALK Fusion``, ``EML4::ALK`` / ``EML4::ALK Fusion`` (a breakpoint-specific fusion such as
  ``EML4::ALK e6-e20`` is skipped), ``ERBB2 Amplification``, ``CDKN2A Deletion``, ``KRAS Mutation``, ``KRAS
  Wildtype``, ``EGFR Exon 19 Deletion``, ``MET Exon 14 Skipping Mutation``, ``FLT3 ITD``, ``Truncating
  Mutation``, ``Activating Mutation``. Expression, loss-of-function and NOT profiles are skipped. Variant origin
  Rare/Common Germline adds the ``germline`` prefix;
- the disease must be in ``DISEASE_TO_ONCOTREE`` (Disease Ontology name, lower case -> OncoTree codes); other
  diseases are skipped and counted by name, so the table can grow from real imports;
- ``therapy_interaction_type`` Combination -> one regimen ``a + b``; Substitutes -> one record per drug; a
  single therapy needs no type; Sequential and untyped multi-drug rows are skipped.

Sources: one per citation (PubMed id or ASCO abstract), the CIViC release is the manifest's source; CIViC is
released under CC0 1.0.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from tailormed.errors import InputError
from tailormed.kb.importers.onco_pack import ImportSummary, check_alteration, write_onco_pack
from tailormed.kb.pack import user_packs_dir

CURRENT_COLUMNS = ("molecular_profile", "molecular_profile_id", "disease", "doid", "phenotypes", "therapies",
                   "therapy_interaction_type", "evidence_type", "evidence_direction", "evidence_level",
                   "significance", "evidence_statement", "citation_id", "source_type", "asco_abstract_id",
                   "citation", "nct_ids", "rating", "evidence_status", "evidence_id", "variant_origin",
                   "last_review_date", "evidence_civic_url", "molecular_profile_civic_url", "is_flagged")
_ALIASES = {"therapies": ("therapies", "drugs"), "therapy_interaction_type": ("therapy_interaction_type",
            "drug_interaction_type"), "significance": ("significance", "clinical_significance"),
            "citation_id": ("citation_id", "pubmed_id")}
REQUIRED = ("disease", "therapies", "evidence_type", "evidence_direction", "evidence_level", "significance",
            "evidence_status", "evidence_id")

EVIDENCE_FOR_LEVEL = {"A": "guideline", "B": "clinical-study", "C": "case-report", "D": "preclinical"}
RESPONSE_FOR_SIGNIFICANCE = {"sensitivity/response": "sensitive", "sensitivity": "sensitive",
                             "resistance": "resistant", "resistance or non-response": "resistant"}

DISEASE_TO_ONCOTREE: dict[str, list[str]] = {
    "lung non-small cell carcinoma": ["NSCLC"],
    "non-small cell lung carcinoma": ["NSCLC"],
    "lung adenocarcinoma": ["LUAD"],
    "lung squamous cell carcinoma": ["LUSC"],
    "lung small cell carcinoma": ["SCLC"],
    "small cell lung carcinoma": ["SCLC"],
    "melanoma": ["MEL"],
    "skin melanoma": ["SKCM"],
    "cutaneous melanoma": ["SKCM"],
    "colorectal cancer": ["COADREAD"],
    "colorectal adenocarcinoma": ["COADREAD"],
    "colon adenocarcinoma": ["COAD"],
    "breast cancer": ["BREAST"],
    "acute myeloid leukemia": ["AML"],
    "chronic myeloid leukemia": ["CML"],
    "myelodysplastic syndrome": ["MDS"],
    "multiple myeloma": ["PCM"],
    "gastrointestinal stromal tumor": ["GIST"],
    "thyroid cancer": ["THYROID"],
    "thyroid gland papillary carcinoma": ["THPA"],
    "ovarian cancer": ["OVARY"],
    "prostate cancer": ["PROSTATE"],
    "prostate adenocarcinoma": ["PRAD"],
    "pancreatic cancer": ["PANCREAS"],
    "pancreatic adenocarcinoma": ["PAAD"],
    "cholangiocarcinoma": ["CHOL"],
    "intrahepatic cholangiocarcinoma": ["IHCH"],
    "urinary bladder cancer": ["BLADDER"],
    "gastric adenocarcinoma": ["STAD"],
    "endometrial carcinoma": ["UCEC"],
    "head and neck squamous cell carcinoma": ["HNSC"],
    "renal cell carcinoma": ["RCC"],
    "clear cell renal cell carcinoma": ["CCRCC"],
}
"""Disease Ontology names (as CIViC prints them, compared in lower case) -> OncoTree codes. A generic organ
cancer maps to OncoTree's organ node (``breast cancer`` -> ``BREAST``); ``colorectal cancer`` maps to
``COADREAD`` because OncoTree's bowel node would also cover non-epithelial bowel tumours. Names missing here
(e.g. ``cancer``, ``glioblastoma``, whose OncoTree node is now IDH-wildtype only) are skipped."""

_GENE_CLASSES = {
    "fusion": "fusion", "fusions": "fusion", "rearrangement": "rearrangement", "amplification": "amplification",
    "deletion": "deletion", "mutation": "mutation", "mutations": "mutation", "wildtype": "wildtype",
    "wild type": "wildtype", "truncating mutation": "truncating", "activating mutation": "activating",
    "itd": "ITD", "internal tandem duplication": "ITD", "missense mutation": "missense",
}
_EXON = re.compile(r"^exon (\d+) (deletion|insertion|mutation|missense|missense mutation|skipping|"
                   r"skipping mutation)$")
_UNSUPPORTED_WORDS = ("expression", "overexpression", "underexpression", "loss-of-function", "loss of function",
                      "loss", "methylation", "phosphorylation", "splice", "copy number", "gain-of-function",
                      "promoter")


class UnmappableError(Exception):
    """A row we cannot express; the message is the (countable) skip reason."""


def _simple_variant(text: str, germline: bool) -> str:
    words = text.split()
    if not words:
        raise UnmappableError("empty molecular profile")
    gene, rest = words[0], " ".join(words[1:])
    lowered = rest.lower()
    prefix = "germline " if germline else ""
    if "::" in gene:
        partners = [p for p in gene.split("::") if p and p.lower() != "v"]
        if lowered not in ("", "fusion", "fusions"):
            raise UnmappableError("breakpoint-specific fusion")
        if len(partners) == 2:
            return f"{partners[0]}::{partners[1]} fusion"
        if len(partners) == 1:
            return f"{partners[0]} fusion"
        raise UnmappableError("fusion without a named partner")
    if not rest:
        raise UnmappableError("profile without a variant")
    if lowered in _GENE_CLASSES:
        return f"{prefix}{gene} {_GENE_CLASSES[lowered]}"
    exon = _EXON.match(lowered)
    if exon:
        kind = exon.group(2).split()[0]
        return f"{prefix}{gene} exon {exon.group(1)} {kind}"
    if any(word in lowered for word in _UNSUPPORTED_WORDS):
        raise UnmappableError("expression, loss-of-function or other non-variant profile")
    if len(words) == 2:
        candidate = f"{prefix}{gene} {rest}"
        if check_alteration(candidate) is None:
            return candidate
    raise UnmappableError("molecular profile form not expressible")


def map_molecular_profile(profile: str, *, germline: bool = False) -> list[str]:
    """A CIViC molecular profile name -> required alteration items (``AND`` -> items, ``OR`` -> alternatives)."""
    text = " ".join(profile.split())
    if re.search(r"\bNOT\b", text):
        raise UnmappableError("profile with NOT")
    if re.search(r"[()]", text):
        raise UnmappableError("molecular profile form not expressible")
    items = []
    for part in re.split(r"\s+AND\s+", text):
        alternatives = [_simple_variant(alt, germline) for alt in re.split(r"\s+OR\s+", part)]
        items.append(" | ".join(alternatives))
    for item in items:
        problem = check_alteration(item)
        if problem:
            raise UnmappableError("molecular profile form not expressible")
    return items


def _column(row: dict[str, str], name: str) -> str:
    for alias in _ALIASES.get(name, (name,)):
        if alias in row and row[alias] is not None:
            return row[alias].strip()
    return ""


def _profile(row: dict[str, str]) -> str:
    if row.get("molecular_profile"):
        return row["molecular_profile"].strip()
    return f"{(row.get('gene') or '').strip()} {(row.get('variant') or '').strip()}".strip()


def _version_from(path: Path, rows: list[dict[str, str]]) -> str:
    match = re.match(r"^(\d{2})-([A-Za-z]{3})-(\d{4})", path.name)
    if match:
        months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        if match.group(2).lower() in months:
            return f"{match.group(3)}-{months.index(match.group(2).lower()) + 1:02d}-{match.group(1)}"
    dates = sorted(str(r.get("last_review_date") or "")[:10] for r in rows if r.get("last_review_date"))
    return f"reviewed-to-{dates[-1]}" if dates else "unknown"


def _citation_source(row: dict[str, str]) -> dict[str, Any]:
    source_type = _column(row, "source_type") or "PubMed"
    citation_id = _column(row, "citation_id") or _column(row, "asco_abstract_id")
    if not citation_id:
        raise UnmappableError("row without a citation")
    kind = re.sub(r"[^a-z0-9]+", "-", source_type.lower()).strip("-") or "source"
    source_id = f"civic-{kind}-{re.sub(r'[^a-z0-9._-]+', '-', citation_id.lower())}"
    citation = _column(row, "citation") or f"{source_type} {citation_id}"
    label = "PMID" if kind == "pubmed" else source_type
    source: dict[str, Any] = {"id": source_id, "citation": f"{citation}. {label}: {citation_id}.",
                              "licence": "cited for facts (via CIViC, CC0 1.0)"}
    if kind == "pubmed" and citation_id.isdigit():
        source["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{citation_id}/"
    return source


def read_civic_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CIViC evidence TSV as dicts; a missing file or missing columns is an :class:`InputError`."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = reader.fieldnames or []
            missing = [name for name in REQUIRED if not any(a in header for a in _ALIASES.get(name, (name,)))]
            if "molecular_profile" not in header and not {"gene", "variant"} <= set(header):
                missing.append("molecular_profile (or gene and variant)")
            if missing:
                raise InputError(f"not a CIViC ClinicalEvidenceSummaries file: missing columns {', '.join(missing)}",
                                 source=str(path), location="line 1")
            rows = []
            for row in reader:
                if None in row:
                    raise InputError(f"more fields than the {len(header)} header columns", source=str(path),
                                     location=f"line {reader.line_num}")
                rows.append({k: (v or "") for k, v in row.items()})
            return rows
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", source=str(path)) from exc


def import_civic(evidence_tsv: Path, dest: Path | None = None, *, name: str = "civic", base: str | None = None,
                 version: str | None = None) -> ImportSummary:
    """Import accepted predictive CIViC evidence into an onco pack at ``dest`` (default: user packs dir / name).

    ``version`` defaults to the release date in the file name (``01-Apr-2024-ClinicalEvidenceSummaries.tsv``)
    or else the latest review date in the file.
    """
    path = Path(evidence_tsv)
    rows = read_civic_rows(path)
    target = Path(dest) if dest else user_packs_dir() / name
    summary = ImportSummary(path=target, name=name, version=version or _version_from(path, rows))
    sources: dict[str, dict[str, Any]] = {}
    records: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for row in rows:
        summary.read += 1
        try:
            if _column(row, "evidence_type").lower() != "predictive":
                raise UnmappableError(f"evidence type {_column(row, 'evidence_type') or 'missing'}")
            if _column(row, "evidence_status").lower() != "accepted":
                raise UnmappableError(f"evidence status {_column(row, 'evidence_status') or 'missing'}")
            if _column(row, "is_flagged").lower() in ("true", "1", "yes"):
                raise UnmappableError("flagged in CIViC")
            if _column(row, "evidence_direction").lower() != "supports":
                raise UnmappableError(f"evidence direction {_column(row, 'evidence_direction') or 'missing'}")
            significance = _column(row, "significance")
            response = RESPONSE_FOR_SIGNIFICANCE.get(significance.lower())
            if response is None:
                raise UnmappableError(f"significance {significance or 'missing'}")
            level = _column(row, "evidence_level").upper()
            evidence = EVIDENCE_FOR_LEVEL.get(level)
            if evidence is None:
                raise UnmappableError(f"evidence level {level or 'missing'}")
            origin = _column(row, "variant_origin").lower()
            alterations = map_molecular_profile(_profile(row), germline="germline" in origin)
            disease = _column(row, "disease")
            tumour_types = DISEASE_TO_ONCOTREE.get(disease.lower())
            if tumour_types is None:
                raise UnmappableError(f"disease not mapped to OncoTree: {disease or 'missing'}")
            drugs = [d.strip().lower() for d in _column(row, "therapies").split(",") if d.strip()]
            if not drugs:
                raise UnmappableError("no therapy")
            interaction = _column(row, "therapy_interaction_type").lower()
            if len(drugs) == 1 or interaction == "combination":
                regimens = [drugs]
            elif interaction == "substitutes":
                regimens = [[d] for d in drugs]
            else:
                raise UnmappableError(f"several therapies with interaction {interaction or 'unspecified'!r}")
            source = _citation_source(row)
        except UnmappableError as exc:
            summary.skipped[str(exc)] += 1
            continue
        sources.setdefault(source["id"], source)
        eid = re.sub(r"[^0-9a-z]+", "", _column(row, "evidence_id").lower())
        statement = " ".join(_column(row, "evidence_statement").split())
        rating = _column(row, "rating")
        head = f"CIViC EID{eid} (level {level}" + (f", rating {rating}/5" if rating else "") + ")"
        for number, drugs_of_regimen in enumerate(regimens):
            record_id = f"{name}-eid{eid}" + (f"-{number + 1}" if len(regimens) > 1 else "")
            if record_id in seen_ids:
                raise InputError(f"evidence id {eid} appears twice", source=str(path))
            seen_ids.add(record_id)
            record: dict[str, Any] = {
                "id": record_id,
                "alterations": alterations,
                "tumour_types": tumour_types,
                "therapy": " + ".join(drugs_of_regimen),
                "drugs": drugs_of_regimen,
                "response": response,
                "evidence": evidence,
                "summary": f"{head}: {statement}" if statement else f"{head}.",
                "sources": [source["id"]],
            }
            records.append(record)
    summary.records = len(records)
    summary.sources = len(sources)
    manifest: dict[str, Any] = {
        "name": name,
        "version": summary.version,
        "description": f"Accepted predictive evidence imported by `tailormed kb import civic` from {path.name} "
                       "(CIViC nightly/monthly release). Summaries are CIViC's evidence statements; read the cited "
                       "publication before acting on a record.",
        "licence": "CC0-1.0 (CIViC)",
        "curators": ["CIViC community curators; imported by TailorMed"],
        "sources": [{
            "id": "civic-db",
            "citation": f"CIViC: Clinical Interpretation of Variants in Cancer, evidence release {summary.version} "
                        f"({path.name}). Griffith M, et al. Nat Genet. 2017;49(2):170-174.",
            "url": "https://civicdb.org/releases",
            "version": summary.version,
            "licence": "CC0-1.0",
        }],
    }
    if base:
        manifest["base"] = base
    write_onco_pack(target, manifest, name, list(sources.values()), records)
    return summary
