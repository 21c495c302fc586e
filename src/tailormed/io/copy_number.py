"""CYP2D6 structural input: a copy-number file, or the output of a CYP2D6 caller (Cyrius, StellarPGx).

Three formats are read, told apart by their first line (``docs/cyp2d6-copy-number.md``):

* TailorMed's copy-number TSV: a header naming ``copy_number`` (and ``sample``, optionally ``gene``), then one row per
  sample: ``sample<TAB>copy_number``. The copy number is CYP2D6's total gene copies (an integer 0-10); it completes
  the VCF call (``*4/*4`` with 1 copy: ``*4/*5``).
* Cyrius's TSV (header ``Sample  Genotype  Filter``): each row becomes an outside call of CYP2D6; a ``None`` genotype
  or a filter other than PASS/LowQ_high_CN gives an Indeterminate call that says why.
* StellarPGx's ``*_summary.txt`` (no header: ``sample<TAB>diplotype[<TAB>comment]``): each row an outside call; a
  bracketed call (``[*1/*31]``, a possible novel allele) keeps StellarPGx's caution as a warning.

A bad row fails with one line naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tailormed.documents import read_text
from tailormed.errors import InputError
from tailormed.model.genotypes import CopyNumberCall, OutsideCall

GENE = "CYP2D6"
MAX_COPIES = 10
_COLUMNS = ("sample", "gene", "copy_number")
_CYRIUS_HEADER = ("sample", "genotype", "filter")
_CYRIUS_USABLE = {"PASS", "LowQ_high_CN"}
_DIPLOTYPE = re.compile(r"^\*[0-9][0-9A-Za-z.+*x×]*(/\*[0-9][0-9A-Za-z.+*x×]*)?$")


@dataclass
class StructuralInput:
    """What a copy-number or CYP2D6-caller file gave."""

    format: str
    copy_numbers: list[CopyNumberCall] = field(default_factory=list)
    outside_calls: list[OutsideCall] = field(default_factory=list)


def read_cyp2d6_structural(path: Path) -> StructuralInput:
    """Read a CYP2D6 copy-number TSV, a Cyrius TSV or a StellarPGx summary; errors name the file and line."""
    path = Path(path)
    text = read_text(path, "CYP2D6 copy-number file")
    lines = [(n, raw.rstrip("\r")) for n, raw in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError("no rows: expected a header naming copy_number, a Cyrius TSV or a StellarPGx summary",
                         source=str(path))
    first = [f.strip().lower() for f in lines[0][1].split("\t")]
    if "copy_number" in first:
        return StructuralInput("copy-number TSV", copy_numbers=_copy_numbers(path, lines, first))
    if tuple(first[:3]) == _CYRIUS_HEADER:
        return StructuralInput("Cyrius", outside_calls=_cyrius(path, lines[1:]))
    if len(first) >= 2 and _DIPLOTYPE.match(first[1].strip("[] ")):
        return StructuralInput("StellarPGx", outside_calls=_stellarpgx(path, lines))
    raise InputError("not a CYP2D6 copy-number TSV (header with copy_number), a Cyrius TSV (Sample, Genotype, "
                     "Filter) or a StellarPGx summary (sample, diplotype)", source=str(path),
                     location=f"line {lines[0][0]}")


def _copy_numbers(path: Path, lines: list[tuple[int, str]], header: list[str]) -> list[CopyNumberCall]:
    unknown = [f for f in header if f not in _COLUMNS]
    if unknown:
        raise InputError(f"header names unknown column(s) {', '.join(repr(u) for u in unknown)}; expected "
                         f"{', '.join(_COLUMNS)}", source=str(path), location=f"line {lines[0][0]}")
    calls: list[CopyNumberCall] = []
    seen: set[str | None] = set()
    for number, line in lines[1:]:
        where = {"source": str(path), "location": f"line {number}"}
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != len(header):
            raise InputError(f"{len(fields)} fields but {len(header)} columns ({', '.join(header)}); is it "
                             "tab-separated?", **where)
        row = dict(zip(header, fields, strict=True))
        gene = row.get("gene", GENE).upper() or GENE
        if gene != GENE:
            raise InputError(f"gene {gene!r}: copy numbers are read for CYP2D6 only", **where)
        text = row["copy_number"]
        if not re.fullmatch(r"\d{1,2}", text):
            raise InputError(f"copy number {text[:20]!r} is not a whole number of gene copies (0-{MAX_COPIES})",
                             **where)
        copies = int(text)
        if copies > MAX_COPIES:
            raise InputError(f"copy number {copies} is above {MAX_COPIES}: not a plausible CYP2D6 copy number",
                             **where)
        sample = row.get("sample") or None
        if "sample" in header and sample is None:
            raise InputError("empty sample name", **where)
        if sample in seen:
            raise InputError(f"sample {sample} is given twice" if sample else "a second row without a sample column: "
                             "name the samples", **where)
        seen.add(sample)
        calls.append(CopyNumberCall(gene=GENE, copies=copies, sample=sample, source=f"{path}:{number}"))
    if not calls:
        raise InputError("a header but no rows", source=str(path))
    return calls


def _cyrius(path: Path, lines: list[tuple[int, str]]) -> list[OutsideCall]:
    calls: list[OutsideCall] = []
    seen: set[str] = set()
    for number, line in lines:
        where = {"source": str(path), "location": f"line {number}"}
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 3 or not fields[0]:
            raise InputError("a Cyrius row needs Sample, Genotype and Filter (tab-separated)", **where)
        sample, genotype, filt = fields[0], fields[1], fields[2]
        _check_new(sample, seen, where)
        source = f"{path}:{number}"
        if genotype == "None" or filt not in _CYRIUS_USABLE:
            note = (f"Cyrius made no confident call (genotype {genotype!r}, filter {filt}): CYP2D6 is reported "
                    "Indeterminate")
            calls.append(OutsideCall(gene=GENE, diplotype=None, phenotype="Indeterminate", activity_score=None,
                                     sample=sample, source=source, note=note))
            continue
        _check_diplotype(genotype, where)
        caution = "Cyrius filter LowQ_high_CN: low-quality call at a high copy number" if filt != "PASS" else None
        calls.append(OutsideCall(gene=GENE, diplotype=genotype, phenotype=None, activity_score=None, sample=sample,
                                 source=source, note=caution))
    return calls


def _stellarpgx(path: Path, lines: list[tuple[int, str]]) -> list[OutsideCall]:
    calls: list[OutsideCall] = []
    seen: set[str] = set()
    for number, line in lines:
        where = {"source": str(path), "location": f"line {number}"}
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 2 or not fields[0]:
            raise InputError("a StellarPGx row needs a sample and a diplotype (tab-separated)", **where)
        sample, call = fields[0], fields[1]
        _check_new(sample, seen, where)
        bracketed = call.startswith("[") and call.endswith("]")
        diplotype = call.strip("[] ")
        _check_diplotype(diplotype, where)
        note: str | None = None
        if bracketed or len(fields) > 2:
            note = "StellarPGx: " + (fields[2] if len(fields) > 2 and fields[2] else
                                     "bracketed call (possible novel allele or suballele): interpret with caution")
        calls.append(OutsideCall(gene=GENE, diplotype=diplotype, phenotype=None, activity_score=None, sample=sample,
                                 source=f"{path}:{number}", note=note))
    return calls


def _check_new(sample: str, seen: set[str], where: dict[str, str]) -> None:
    if sample in seen:
        raise InputError(f"sample {sample[:60]} is given twice", **where)
    seen.add(sample)


def _check_diplotype(text: str, where: dict[str, str]) -> None:
    if not _DIPLOTYPE.match(text):
        raise InputError(f"{text[:60]!r} is not a CYP2D6 diplotype (e.g. *1/*2x2, *4/*68+*4)", **where)
