"""Import the gene table (exonic length and transcript span per gene, GRCh38) from SpliceAI's annotation table.

The SpliceAI wheel (PyPI ``spliceai==1.3.1``, Illumina, GPLv3) bundles ``spliceai/annotations/grch38.txt``: one
GENCODE transcript per gene, 19,305 genes, tab-separated ``#NAME CHROM STRAND TX_START TX_END EXON_START
EXON_END`` with UCSC-style coordinates (0-based start, end exclusive; exon lists comma-separated with a trailing
comma). Sources accepted, in the order tried:

* that table itself (``--from grch38.txt``);
* a SpliceAI wheel (``--from spliceai-1.3.1-py2.py3-none-any.whl``);
* nothing: the pinned wheel is fetched from the configured package index with ``pip download --no-deps``.

The table is GPLv3: it is fetched by the build and cached under ``.data/genes`` (or the user data folder), never
shipped with TailorMed. What is kept is a derived table of symbol, chromosome, strand, 1-based transcript span,
exonic length (the summed length of the transcript's exons, UTRs included) and the exons themselves (1-based,
inclusive). The table has no coding-sequence (CDS) bounds or exon phases, so which exons are UTR only, and whether
deleting an exon shifts the reading frame, cannot be read from it (``tailormed.rare.cnv`` says what follows).
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tailormed.errors import InputError
from tailormed.kb.genes import GeneRecord, GeneTable, genes_install_dir
from tailormed.kb.importers.wheels import download_pinned_wheel
from tailormed.output import atomic_output_dir

SPLICEAI_WHEEL_REQUIREMENT = "spliceai==1.3.1"
TABLE_MEMBER = "spliceai/annotations/grch38.txt"
HEADER = ("#NAME", "CHROM", "STRAND", "TX_START", "TX_END", "EXON_START", "EXON_END")
CHROMOSOMES = frozenset([str(n) for n in range(1, 23)] + ["X", "Y", "M", "MT"])


@dataclass
class GeneImportReport:
    """What was imported and where it went."""

    folder: Path
    table: GeneTable
    source: str


def parse_spliceai_table(text: str, source: str) -> dict[str, GeneRecord]:
    """Parse SpliceAI's annotation table; InputError naming the file and line on anything malformed.

    >>> rows = parse_spliceai_table("#NAME\\tCHROM\\tSTRAND\\tTX_START\\tTX_END\\tEXON_START\\tEXON_END\\n"
    ...                             "G1\\tchr1\\t+\\t100\\t500\\t100,400,\\t200,500,\\n", "t.txt")
    >>> g1 = rows["G1"]
    >>> (g1.chrom, g1.strand, g1.tx_start, g1.tx_end, g1.exonic_length, g1.exons)
    ('1', '+', 101, 500, 200, ((101, 200), (401, 500)))
    """
    if not text:
        raise InputError("empty gene table", source=source)
    if not text.endswith("\n"):
        raise InputError("truncated: the last line has no line end", source=source,
                         location=f"line {text.count(chr(10)) + 1}")
    lines = text.split("\n")[:-1]
    header = tuple(lines[0].split("\t"))
    if header[: len(HEADER)] != HEADER:
        missing = [c for c in HEADER if c not in header]
        raise InputError(f"not a SpliceAI annotation table: expected columns {' '.join(HEADER)}"
                         + (f" (missing {', '.join(missing)})" if missing else ""), source=source, location="line 1")
    genes: dict[str, GeneRecord] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        record = _parse_row(line.split("\t"), source, f"line {number}")
        if record.symbol in genes:
            raise InputError(f"gene {record.symbol} appears twice", source=source, location=f"line {number}")
        genes[record.symbol] = record
    if not genes:
        raise InputError("the gene table has a header but no genes", source=source)
    return genes


def _parse_row(fields: list[str], source: str, where: str) -> GeneRecord:
    if len(fields) < len(HEADER):
        raise InputError(f"expected {len(HEADER)} tab-separated columns, found {len(fields)}", source=source,
                         location=where)
    name, chrom, strand = fields[0].strip(), fields[1].strip().removeprefix("chr"), fields[2].strip()
    if not name:
        raise InputError("empty gene name", source=source, location=where)
    if chrom not in CHROMOSOMES:
        raise InputError(f"unknown chromosome {fields[1]!r:.40}", source=source, location=where)
    if strand not in ("+", "-"):
        raise InputError(f"strand must be + or -, not {strand!r:.20}", source=source, location=where)
    try:
        start, end = int(fields[3]), int(fields[4])
        exon_starts = [int(v) for v in fields[5].strip().rstrip(",").split(",")]
        exon_ends = [int(v) for v in fields[6].strip().rstrip(",").split(",")]
    except ValueError:
        raise InputError(f"unparsable coordinates for {name}: TX_START, TX_END and the exon lists must be whole "
                         "numbers", source=source, location=where) from None
    if len(exon_starts) != len(exon_ends):
        raise InputError(f"{name}: {len(exon_starts)} exon starts but {len(exon_ends)} exon ends", source=source,
                         location=where)
    if not 0 <= start < end:
        raise InputError(f"{name}: transcript start {start} is not before its end {end}", source=source,
                         location=where)
    previous_end = start
    for exon_start, exon_end in zip(exon_starts, exon_ends, strict=True):
        if not start <= exon_start < exon_end <= end:
            raise InputError(f"{name}: exon {exon_start}-{exon_end} is empty or outside the transcript {start}-{end}",
                             source=source, location=where)
        if exon_start < previous_end:
            raise InputError(f"{name}: exon {exon_start}-{exon_end} is out of order or overlaps the one before it",
                             source=source, location=where)
        previous_end = exon_end
    length = sum(e - s for s, e in zip(exon_starts, exon_ends, strict=True))
    exons = tuple((s + 1, e) for s, e in zip(exon_starts, exon_ends, strict=True))
    return GeneRecord(symbol=name, chrom=chrom, strand=strand, tx_start=start + 1, tx_end=end, exonic_length=length,
                      exons=exons)


def _read_table(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not a text table (not UTF-8)", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=str(path)) from None


def _table_from_wheel(wheel: Path) -> str:
    try:
        with zipfile.ZipFile(wheel) as archive:
            if TABLE_MEMBER not in archive.namelist():
                raise InputError(f"this wheel does not bundle {TABLE_MEMBER}", source=str(wheel))
            return archive.read(TABLE_MEMBER).decode("utf-8")
    except (zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"not a wheel (zip) file, or a damaged one: {exc}", source=str(wheel)) from None
    except UnicodeDecodeError:
        raise InputError(f"{TABLE_MEMBER} is not UTF-8 text", source=str(wheel)) from None


def _download_wheel(into: Path) -> Path:
    return download_pinned_wheel(SPLICEAI_WHEEL_REQUIREMENT, into, instead=(
        "download the wheel (or its spliceai/annotations/grch38.txt) and pass it with --from"))


def _wheel_version(wheel: Path) -> str:
    parts = wheel.name.split("-")
    return parts[1] if len(parts) > 2 else "unknown"


def import_genes(source: Path | None = None, *, out: Path | None = None) -> GeneImportReport:
    """Build the gene table from ``source`` (table, wheel, or None = download the pinned wheel) into ``out``."""
    destination = out or genes_install_dir()
    with tempfile.TemporaryDirectory(prefix="tailormed-genes-") as scratch:
        if source is None:
            wheel = _download_wheel(Path(scratch))
            text, described, version, where = _table_from_wheel(wheel), wheel.name, _wheel_version(wheel), \
                f"{wheel.name}:{TABLE_MEMBER}"
        elif source.is_file() and zipfile.is_zipfile(source):
            text, described, version, where = _table_from_wheel(source), source.name, _wheel_version(source), \
                f"{source}:{TABLE_MEMBER}"
        elif source.is_file():
            text, described, version, where = _read_table(source), source.name, "local table", str(source)
        else:
            raise InputError("no such file (give SpliceAI's grch38.txt or a spliceai wheel)", source=str(source))
    genes = parse_spliceai_table(text, where)
    table = GeneTable(genes, {
        "source": "SpliceAI annotation table grch38.txt (GENCODE-based, one transcript per gene; Jaganathan et al., "
                  "Cell 2019)",
        "version": f"spliceai {version}", "licence": "GPL-3.0 (fetched at build time, not redistributed)",
        "from": described})
    with atomic_output_dir(destination, description="gene table (tailormed kb import genes)") as staging:
        table.save(staging)
    return GeneImportReport(destination, table, described)
