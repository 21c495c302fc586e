"""MAF reader (GDC / cBioPortal / vcf2maf columns) for somatic variants.

Required columns: ``Hugo_Symbol``, ``Variant_Classification``, ``Tumor_Sample_Barcode`` and a protein change
(``HGVSp_Short``, ``HGVSp`` or ``Protein_Change``; empty is allowed for non-coding rows). Used when present:
``NCBI_Build``, ``Chromosome``, ``Start_Position``, ``Reference_Allele``, ``Tumor_Seq_Allele2``,
``HGVSc``, ``Exon_Number``/``EXON``, ``INTRON``, ``t_depth``, ``t_alt_count``, ``t_ref_count``,
``Mutation_Status``, ``CLIN_SIG``. A GRCh37 or mixed-build MAF is refused (coordinates are GRCh38 here);
every malformed row is an error naming the file and line.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tailormed.documents import check_file
from tailormed.errors import GenomeBuildError, InputError
from tailormed.model.alterations import AMINO_ACIDS, normalise_protein_change
from tailormed.model.genome import normalise_chrom
from tailormed.model.onco import LONGEST_GRCH38_CHROMOSOME, Consequence, SomaticVariant

REQUIRED = ("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode")
PROTEIN_COLUMNS = ("HGVSp_Short", "HGVSp", "Protein_Change")

VARIANT_CLASSIFICATION: dict[str, Consequence] = {
    "Missense_Mutation": "missense", "Nonsense_Mutation": "nonsense", "Frame_Shift_Del": "frameshift",
    "Frame_Shift_Ins": "frameshift", "In_Frame_Del": "inframe_deletion", "In_Frame_Ins": "inframe_insertion",
    "Splice_Site": "splice_site", "Splice_Region": "splice_region", "Translation_Start_Site": "start_lost",
    "Nonstop_Mutation": "stop_lost", "Silent": "synonymous", "Intron": "noncoding", "3'UTR": "noncoding",
    "5'UTR": "noncoding", "3'Flank": "noncoding", "5'Flank": "noncoding", "IGR": "noncoding", "RNA": "noncoding",
    "lincRNA": "noncoding", "Targeted_Region": "other", "De_novo_Start_InFrame": "other",
    "De_novo_Start_OutOfFrame": "other", "Start_Codon_SNP": "start_lost", "Start_Codon_Del": "start_lost",
    "Start_Codon_Ins": "start_lost", "Stop_Codon_Del": "stop_lost", "Stop_Codon_Ins": "stop_lost",
    "Unknown": "other",
}
_GRCH38 = {"GRCh38", "hg38", "38", "GRCh38.p13", "GRCh38.p14"}
_GRCH37 = {"GRCh37", "hg19", "37", "GRCh37-lite", "b37"}
_CHANGE = (r"(?:[A-Z*]|=|\?|[A-Z]?fs(?:\*\d+|\*\?|\*)?|del|dup[A-Z*]*|ins[A-Z*]+|delins[A-Z*]+"
           r"|[A-Z]?ext\*?\?|[A-Z]?ext\*?\d+)")
_PROTEIN_OK = re.compile(rf"^[A-Z*]\d+(?:{_CHANGE}|_[A-Z*]\d+{_CHANGE})?$|^[A-Z*]?\d+_splice$|^\?$|^=$|^0$|^M1\?$")
_EXON_NUMBER = re.compile(r"^(\d+)(?:/\d+)?$")
_MISSING = ("", ".", "NA")
_WHOLE_NUMBER = re.compile(r"^[0-9]+(?:\.0*)?$")  # '412' or '412.0' (integer columns written by pandas)


@dataclass
class MafContent:
    """Variants of one MAF, grouped by tumour sample barcode."""

    path: Path
    by_sample: dict[str, list[SomaticVariant]] = field(default_factory=dict)
    rows: int = 0


def open_text(path: Path) -> IO[str]:
    """Open a plain or gzip text file (utf-8)."""
    with path.open("rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    if gz:
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def table_rows(path: Path, required: tuple[str, ...], *, any_of: tuple[str, ...] = ()) -> Iterator[
        tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a tab-separated table with a header, skipping '#' lines; checks columns."""
    check_file(path)
    try:
        with open_text(path) as handle:
            line_number = 0
            header: list[str] | None = None
            reader = csv.reader(handle, delimiter="\t")
            for fields in reader:
                line_number = reader.line_num
                if not fields or (header is None and fields[0].startswith("#")) or not any(f.strip() for f in fields):
                    continue
                if header is None:
                    header = [f.strip() for f in fields]
                    missing = [c for c in required if c not in header]
                    if missing:
                        raise InputError(f"missing required column(s) {', '.join(missing)} "
                                         f"(found: {', '.join(header[:12])}{'...' if len(header) > 12 else ''})",
                                         source=str(path), location=f"line {line_number}")
                    if any_of and not any(c in header for c in any_of):
                        raise InputError(f"needs one of the columns {', '.join(any_of)}", source=str(path),
                                         location=f"line {line_number}")
                    continue
                if len(fields) > len(header):
                    raise InputError(f"{len(fields)} fields but the header has {len(header)}", source=str(path),
                                     location=f"line {line_number}")
                yield line_number, {name: (fields[i].strip() if i < len(fields) else "") for i, name in
                                    enumerate(header)}
            if header is None:
                raise InputError("empty file: no header line", source=str(path))
    except UnicodeDecodeError as exc:
        raise InputError(f"not a UTF-8 text table ({exc.reason})", source=str(path)) from exc
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from exc
    except csv.Error as exc:
        raise InputError(f"malformed table ({exc})", source=str(path)) from exc


def check_build(value: str, path: Path, line: int, seen: set[str]) -> None:
    """Refuse GRCh37 and a file mixing builds."""
    if not value:
        return
    if value in _GRCH37:
        raise GenomeBuildError(f"NCBI_Build is {value}: TailorMed works on GRCh38 (lift the MAF over first)",
                               source=str(path), location=f"line {line}")
    if value not in _GRCH38:
        raise InputError(f"unknown NCBI_Build {value!r} (expected GRCh38)", source=str(path), location=f"line {line}")
    seen.add(value)


def _whole_number(text: str, column: str, path: Path, line: int, *, low: int, high: int | None,
                  allowed: str) -> int | None:
    """A whole number in ``low..high`` (``412`` or ``412.0``), None for an empty, ``.`` or ``NA`` field."""
    if text in _MISSING:
        return None
    value = int(text.split(".")[0]) if text.isascii() and _WHOLE_NUMBER.match(text) else None
    if value is None or value < low or (high is not None and value > high):
        raise InputError(f"{column} must be {allowed} (empty or NA when unknown), got {text[:40]!r}",
                         source=str(path), location=f"line {line}")
    return value


def _count(text: str, column: str, path: Path, line: int) -> int | None:
    """A read count (t_depth, t_alt_count, t_ref_count): a whole number >= 0."""
    return _whole_number(text, column, path, line, low=0, high=None, allowed="a whole number of reads, 0 or more")


def _position(text: str, path: Path, line: int) -> int | None:
    """Start_Position: a GRCh38 position, 1 to the length of the longest chromosome."""
    return _whole_number(text, "Start_Position", path, line, low=1, high=LONGEST_GRCH38_CHROMOSOME,
                         allowed=f"a whole-number GRCh38 position, 1-{LONGEST_GRCH38_CHROMOSOME}")


def _protein_change(row: dict[str, str], path: Path, line: int, consequence: Consequence) -> str | None:
    raw = next((row[c] for c in PROTEIN_COLUMNS if row.get(c)), "")
    if not raw or raw in (".", "NA"):
        if consequence in ("missense", "nonsense", "inframe_deletion", "inframe_insertion", "frameshift"):
            raise InputError(f"{row['Variant_Classification']} row without a protein change", source=str(path),
                             location=f"line {line}")
        return None
    change = normalise_protein_change(raw)
    if not _PROTEIN_OK.match(change) or (change[0] not in AMINO_ACIDS and not change.endswith("_splice")
                                         and change not in ("?", "=", "0", "M1?")):
        raise InputError(f"malformed protein change {raw!r} (expected HGVS like p.V600E or p.Val600Glu)",
                         source=str(path), location=f"line {line}")
    return change


def _exon(text: str) -> int | None:
    match = _EXON_NUMBER.match(text)
    return int(match.group(1)) if match else None


def read_maf(path: Path | str, *, sample: str | None = None) -> MafContent:
    """Read a MAF; ``sample`` keeps only that Tumor_Sample_Barcode (an error if the MAF has rows but none of it)."""
    path = Path(path)
    content = MafContent(path=path)
    builds: set[str] = set()
    for line, row in table_rows(path, REQUIRED, any_of=PROTEIN_COLUMNS):
        content.rows += 1
        check_build(row.get("NCBI_Build", ""), path, line, builds)
        barcode = row["Tumor_Sample_Barcode"]
        if not barcode or not row["Hugo_Symbol"]:
            raise InputError("empty Hugo_Symbol or Tumor_Sample_Barcode", source=str(path), location=f"line {line}")
        if sample is not None and barcode != sample:
            continue
        classification = row["Variant_Classification"]
        if classification not in VARIANT_CLASSIFICATION:
            raise InputError(f"unknown Variant_Classification {classification!r}", source=str(path),
                             location=f"line {line}")
        consequence = VARIANT_CLASSIFICATION[classification]
        protein = _protein_change(row, path, line, consequence)
        depth = _count(row.get("t_depth", ""), "t_depth", path, line)
        alt_count = _count(row.get("t_alt_count", ""), "t_alt_count", path, line)
        ref_count = _count(row.get("t_ref_count", ""), "t_ref_count", path, line)
        if depth is None and alt_count is not None and ref_count is not None:
            depth = alt_count + ref_count
        if depth is not None and alt_count is not None and alt_count > depth:
            raise InputError(f"t_alt_count {alt_count} exceeds depth {depth}", source=str(path),
                             location=f"line {line}")
        vaf = alt_count / depth if depth and alt_count is not None else None
        status = row.get("Mutation_Status", "").lower()
        content.by_sample.setdefault(barcode, []).append(SomaticVariant(
            gene=row["Hugo_Symbol"], protein_change=protein, hgvsc=row.get("HGVSc") or None, consequence=consequence,
            chrom=normalise_chrom(row.get("Chromosome") or "") or None,
            pos=_position(row.get("Start_Position", ""), path, line),
            ref=row.get("Reference_Allele") or None, alt=row.get("Tumor_Seq_Allele2") or None,
            exon=_exon(row.get("Exon_Number") or row.get("EXON") or ""), intron=_exon(row.get("INTRON") or ""),
            vaf=vaf, depth=depth, origin="germline" if status == "germline" else "somatic",
            clinical_significance=row.get("CLIN_SIG") or None, source=f"{path.name}:{line}"))
    if sample is not None and content.rows and sample not in content.by_sample:  # a header-only MAF is the caller's
        raise InputError(f"no rows for Tumor_Sample_Barcode {sample!r}", source=str(path))
    return content
