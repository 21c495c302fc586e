"""Readers for the other tumour inputs: copy number, fusions, structural variants, clinical biomarkers.

Formats (tab-separated, header line, ``#`` comment lines allowed; see docs/onco.md):

- **Copy number**, three layouts: cBioPortal discrete matrix (``Hugo_Symbol`` or ``Gene Symbol``, optional
  ``Entrez_Gene_Id``/``Locus ID``/``Cytoband``, one column per sample with -2/-1/0/1/2); long
  (``Tumor_Sample_Barcode``, ``Hugo_Symbol``, ``Copy_Number_Alteration``); gene-level
  (``gene`` plus ``call``, ``copy_number`` or ``log2``; optional ``sample``).
- **Fusions**: ``Fusion`` (``EML4::ALK``, ``ALK-EML4``, ``GENE-intragenic``) with optional ``Tumor_Sample_Barcode``.
- **Structural variants**: ``GeneA``, ``GeneB``, ``Sv_Type`` with optional ``Tumor_Sample_Barcode``.
- **Clinical biomarkers**: ``key``/``value`` rows or a YAML mapping (msi_status, mmr_status, tmb, pdl1_tps,
  pdl1_cps, pdl1_tc, pdl1_ic, pdl1_tap, her2_ihc, her2_ish, er, pr, hrd; IHC percentages such as folr1_ihc_2plus;
  hla; the patient's age and sex for trial matching).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tailormed.documents import load_yaml
from tailormed.errors import InputError, first_validation_problem
from tailormed.io.maf import table_rows
from tailormed.model.alterations import IHC_INTENSITIES, IHC_MARKERS, ihc_key
from tailormed.model.common import Warning
from tailormed.model.onco import ClinicalBiomarkers, CopyNumberCall, Fusion

_GENE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")
_DISCRETE = {2: "amplification", 1: "gain", -1: "loss", -2: "deep_deletion"}
_CALL_WORDS = {
    "amplification": "amplification", "amp": "amplification", "gain": "gain", "loss": "loss",
    "deletion": "deep_deletion", "deep_deletion": "deep_deletion", "deep deletion": "deep_deletion",
    "homdel": "deep_deletion", "hetloss": "loss",
}
ALL_SAMPLES = "*"


@dataclass(frozen=True)
class CopyNumberThresholds:
    """When absolute copy number or log2 ratio counts as amplification or deep deletion.

    Defaults: amplification at >= 6 copies (log2 ratio >= 1.58 against a diploid genome), deep deletion at
    < 0.5 copies (log2 <= -1.2, allowing for tumour impurity); documented in docs/onco.md.
    """

    amplification_copies: float = 6.0
    deep_deletion_copies: float = 0.5
    amplification_log2: float = 1.58
    deep_deletion_log2: float = -1.2


def _where(path: Path, line: int) -> dict[str, str]:
    return {"source": str(path), "location": f"line {line}"}


def _number(text: str, what: str, path: Path, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{what} is not a number: {text[:40]!r}", **_where(path, line)) from None
    if not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, got {text[:40]!r}", **_where(path, line))
    return value


def _note_if_empty(rows: int, path: Path, what: str, warnings: list[Warning] | None) -> None:
    """A table with a header and no rows is read as 'none found', said in a warning rather than silently."""
    if rows == 0 and warnings is not None:
        warnings.append(Warning(code="empty_input_table", message=(
            f"{path.name} has a header but no rows: read as no {what}; check that the caller did not fail")))


def _gene(text: str, path: Path, line: int) -> str:
    if not _GENE.match(text):
        raise InputError(f"malformed gene symbol {text!r}", **_where(path, line))
    return text


def read_copy_number(path: Path | str, *, thresholds: CopyNumberThresholds | None = None,
                     warnings: list[Warning] | None = None) -> dict[str, list[CopyNumberCall]]:
    """Read gene-level copy-number calls; returns sample -> calls (``*`` when the file names no sample). A file
    with a header and no rows adds a warning to ``warnings``."""
    path = Path(path)
    limits = thresholds or CopyNumberThresholds()
    calls: dict[str, list[CopyNumberCall]] = {}
    count = 0
    for line, row in table_rows(path, ()):
        count += 1
        columns = list(row)
        if "Copy_Number_Alteration" in row:
            _long_row(row, path, line, calls)
        elif "gene" in row:
            _gene_level_row(row, path, line, limits, calls)
        elif "Hugo_Symbol" in row or "Gene Symbol" in row:
            _matrix_row(row, columns, path, line, calls)
        else:
            raise InputError("not a copy-number table: expected Hugo_Symbol/Gene Symbol (matrix), "
                             "Copy_Number_Alteration (long) or gene + call/copy_number/log2 columns",
                             **_where(path, line))
    _note_if_empty(count, path, "copy-number alterations", warnings)
    return calls


def _matrix_row(row: dict[str, str], columns: list[str], path: Path, line: int,
                calls: dict[str, list[CopyNumberCall]]) -> None:
    gene = _gene(row.get("Hugo_Symbol") or row.get("Gene Symbol", ""), path, line)
    skip = {"Hugo_Symbol", "Gene Symbol", "Entrez_Gene_Id", "Locus ID", "Cytoband"}
    for sample in (c for c in columns if c not in skip):
        value = row[sample]
        if value in ("", "NA"):
            continue
        level = _number(value, f"copy-number level for {sample}", path, line)
        if level not in (-2, -1, 0, 1, 2):
            raise InputError(f"discrete copy-number level must be -2..2, got {value!r} ({sample})",
                             **_where(path, line))
        if level:
            calls.setdefault(sample, []).append(CopyNumberCall(
                gene=gene, call=_DISCRETE[int(level)], source=f"{path.name}:{line}"))


def _long_row(row: dict[str, str], path: Path, line: int, calls: dict[str, list[CopyNumberCall]]) -> None:
    gene = _gene(row.get("Hugo_Symbol", ""), path, line)
    level = _number(row["Copy_Number_Alteration"], "Copy_Number_Alteration", path, line)
    if level not in (-2, -1, 0, 1, 2):
        raise InputError(f"Copy_Number_Alteration must be -2..2, got {row['Copy_Number_Alteration']!r}",
                         **_where(path, line))
    sample = row.get("Tumor_Sample_Barcode") or ALL_SAMPLES
    if level:
        calls.setdefault(sample, []).append(CopyNumberCall(
            gene=gene, call=_DISCRETE[int(level)], source=f"{path.name}:{line}"))


def _gene_level_row(row: dict[str, str], path: Path, line: int, limits: CopyNumberThresholds,
                    calls: dict[str, list[CopyNumberCall]]) -> None:
    gene = _gene(row["gene"], path, line)
    sample = row.get("sample") or ALL_SAMPLES
    copies = _number(row["copy_number"], "copy_number", path, line) if row.get("copy_number") else None
    log2 = _number(row["log2"], "log2", path, line) if row.get("log2") else None
    if copies is not None and copies < 0:
        raise InputError(f"negative copy_number {copies}", **_where(path, line))
    call: str | None
    if row.get("call"):
        call = _CALL_WORDS.get(row["call"].strip().lower())
        if call is None:
            raise InputError(f"unknown copy-number call {row['call']!r} (use amplification, gain, loss or deletion)",
                             **_where(path, line))
    elif copies is not None:
        call = ("amplification" if copies >= limits.amplification_copies else
                "deep_deletion" if copies < limits.deep_deletion_copies else None)
    elif log2 is not None:
        call = ("amplification" if log2 >= limits.amplification_log2 else
                "deep_deletion" if log2 <= limits.deep_deletion_log2 else None)
    else:
        raise InputError("row has none of call, copy_number, log2", **_where(path, line))
    if call is not None:
        calls.setdefault(sample, []).append(CopyNumberCall(
            gene=gene, call=call, copy_number=copies, log2_ratio=log2,
            source=f"{path.name}:{line}"))


def parse_fusion_text(text: str, path: Path, line: int) -> Fusion:
    """``EML4::ALK``, ``ALK-EML4``, ``ALK--EML4``, ``EGFR-intragenic`` → :class:`Fusion`."""
    value = text.strip().removesuffix(" fusion").removesuffix(" Fusion").strip()
    source = f"{path.name}:{line}"
    if value.endswith("-intragenic"):
        return Fusion(gene_a=_gene(value.removesuffix("-intragenic"), path, line), kind="intragenic",
                      description=value, source=source)
    for separator in ("::", "--", "-", "/"):
        if separator in value:
            left, _, right = value.partition(separator)
            if _GENE.match(left) and _GENE.match(right) and separator not in right:
                return Fusion(gene_a=left, gene_b=right, description=value, source=source)
    raise InputError(f"cannot read fusion {text!r} (expected GENE1::GENE2, GENE1-GENE2 or GENE-intragenic)",
                     **_where(path, line))


def read_fusions(path: Path | str, *, warnings: list[Warning] | None = None) -> dict[str, list[Fusion]]:
    """Read a fusion list; sample -> fusions (``*`` when the file names no sample). A file with a header and no
    rows adds a warning to ``warnings``."""
    path = Path(path)
    out: dict[str, list[Fusion]] = {}
    for line, row in table_rows(path, ("Fusion",)):
        sample = row.get("Tumor_Sample_Barcode") or row.get("sample") or ALL_SAMPLES
        out.setdefault(sample, []).append(parse_fusion_text(row["Fusion"], path, line))
    _note_if_empty(len(out), path, "fusions", warnings)
    return out


_SV_TYPES = {"FUSION", "TRANSLOCATION", "DELETION", "DUPLICATION", "INVERSION", "INSERTION"}


def read_structural_variants(path: Path | str, *, warnings: list[Warning] | None = None) -> dict[str, list[Fusion]]:
    """Read GeneA/GeneB/Sv_Type rows: fusions/translocations of two genes become fusions, others SVs. A file with
    a header and no rows adds a warning to ``warnings``."""
    path = Path(path)
    out: dict[str, list[Fusion]] = {}
    for line, row in table_rows(path, ("GeneA", "GeneB", "Sv_Type")):
        sample = row.get("Tumor_Sample_Barcode") or ALL_SAMPLES
        gene_a = _gene(row["GeneA"], path, line)
        gene_b = _gene(row["GeneB"], path, line) if row["GeneB"] else None
        sv_type = row["Sv_Type"].upper()
        if sv_type not in _SV_TYPES:
            raise InputError(f"unknown Sv_Type {row['Sv_Type']!r} (known: {', '.join(sorted(_SV_TYPES))})",
                             **_where(path, line))
        two_genes = gene_b is not None and gene_b != gene_a
        kind = "fusion" if two_genes and sv_type in ("FUSION", "TRANSLOCATION") else (
            "structural_variant" if two_genes else "intragenic")
        description = f"{gene_a}::{gene_b} {sv_type.lower()}" if two_genes else f"{gene_a} intragenic {sv_type.lower()}"
        out.setdefault(sample, []).append(Fusion(gene_a=gene_a, gene_b=gene_b if two_genes else None,
                                                 kind=kind, description=description,
                                                 source=f"{path.name}:{line}"))
    _note_if_empty(len(out), path, "structural variants", warnings)
    return out


_IHC_KEYS = {ihc_key(marker, intensity): (marker, intensity) for marker in IHC_MARKERS for intensity in IHC_INTENSITIES}
"""``folr1_ihc_2plus`` -> (FOLR1, 2+): the percentage of tumour cells staining at 2+ or stronger."""
_CLINICAL_KEYS = {
    "msi_status", "mmr_status", "tmb", "pdl1_tps", "pdl1_cps", "pdl1_tc", "pdl1_ic", "pdl1_tap", "her2_ihc",
    "her2_ish", "er", "pr", "hrd", "hla", "age", "sex", "disease_setting", *_IHC_KEYS,
}


def clinical_from_mapping(values: dict[Any, Any], source: str) -> ClinicalBiomarkers:
    """Build :class:`ClinicalBiomarkers` from flat keys (pdl1_tps etc.), naming the source, the key and the allowed
    values on error."""
    unknown = {str(key) for key in values} - _CLINICAL_KEYS
    if unknown:
        raise InputError(f"unknown clinical biomarker(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(_CLINICAL_KEYS))})", source=source)
    given = {k: v for k, v in values.items() if v is not None and v != ""}
    if not given:
        raise InputError(f"no biomarker values (known: {', '.join(sorted(_CLINICAL_KEYS))})", source=source)
    data: dict[str, Any] = {k: v for k, v in given.items() if not k.startswith("pdl1_") and k not in _IHC_KEYS}
    if "her2_ihc" in data:
        data["her2_ihc"] = str(data["her2_ihc"]).replace("IHC", "").strip()
    data["pdl1"] = {k.removeprefix("pdl1_").upper(): v for k, v in given.items() if k.startswith("pdl1_")}
    ihc: dict[str, dict[str, Any]] = {}
    for key, value in given.items():
        if key in _IHC_KEYS:
            marker, intensity = _IHC_KEYS[key]
            ihc.setdefault(marker, {})[intensity] = value
    data["ihc"] = ihc
    try:
        return ClinicalBiomarkers.model_validate(data)
    except ValidationError as exc:
        first = first_validation_problem(exc)
        loc = [str(part) for part in first.loc]
        if not loc:  # a check across keys (IHC percentages): the message names them
            raise InputError(first.msg.removeprefix("Value error, "), source=source) from None
        key = (f"pdl1_{loc[1].lower()}" if loc[0] == "pdl1" and len(loc) > 1 else
               ihc_key(loc[1], loc[2]) if loc[0] == "ihc" and len(loc) > 2 else loc[0])
        shown = "" if first.kind in ("out_of_range", "hla") else f" (got {first.input!r})"
        raise InputError(f"{key}: {first.msg}{shown}", source=source) from None


def read_clinical(path: Path | str) -> ClinicalBiomarkers:
    """Read clinical biomarkers from YAML (mapping) or a key/value TSV (each key once)."""
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        data = load_yaml(path, "clinical biomarkers file")
        if not isinstance(data, dict):
            raise InputError("expected a mapping of biomarker -> value", source=str(path))
        return clinical_from_mapping(data, str(path))
    values: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, row in table_rows(path, ("key", "value")):
        key = row["key"]
        if key in values:
            raise InputError(f"biomarker {key!r} is given twice (first on line {first_line[key]})", source=str(path),
                             location=f"line {line}")
        values[key], first_line[key] = row["value"], line
    return clinical_from_mapping(values, str(path))


def read_sample_demographics(path: Path) -> dict[str, tuple[float | None, str | None]]:
    """Optional ``AGE`` (years, 0-130) and ``SEX`` (female/male, any case) columns of a SAMPLE_ID table (the
    cBioPortal clinical-data names), for trial matching in ``onco batch``: sample -> (age, sex). Empty, ``NA`` or
    ``.`` means not given; anything else out of range or unknown is an error naming the file, line and column."""
    found: dict[str, tuple[float | None, str | None]] = {}
    for line, row in table_rows(path, ("SAMPLE_ID",)):
        age_text, sex_text = (row.get("AGE") or "").strip(), (row.get("SEX") or "").strip()
        age: float | None = None
        if age_text not in ("", "NA", "."):
            age = _number(age_text, "AGE", path, line)
            if not 0 <= age <= 130:
                raise InputError(f"AGE must be 0-130 years, got {age_text[:40]!r}", **_where(path, line))
        sex: str | None = None
        if sex_text not in ("", "NA", "."):
            sex = sex_text.lower()
            if sex not in ("female", "male"):
                raise InputError(f"SEX must be Female or Male (or empty), got {sex_text[:40]!r}", **_where(path, line))
        found[row["SAMPLE_ID"]] = (age, sex)
    return found


def read_tumour_types(path: Path) -> dict[str, str]:
    """A clinical table with SAMPLE_ID and ONCOTREE_CODE columns (cBioPortal / OncoKB annotator layout): each
    sample once, each with a code."""
    codes: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, row in table_rows(path, ("SAMPLE_ID", "ONCOTREE_CODE")):
        sample, code = row["SAMPLE_ID"], row["ONCOTREE_CODE"]
        if not sample or not code:
            raise InputError("empty SAMPLE_ID or ONCOTREE_CODE", **_where(path, line))
        if sample in codes:
            raise InputError(f"sample {sample!r} is listed twice (first on line {first_line[sample]})",
                             **_where(path, line))
        codes[sample], first_line[sample] = code, line
    if not codes:
        raise InputError("no samples: the table has a header but no rows", source=str(path))
    return codes
