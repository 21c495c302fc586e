"""HGNC identifiers of genes, for coded gene references (FHIR ``gene-studied`` components).

The built-in table (``kb/data/hgnc/genes.tsv``) covers the pgx-core genes; each row names where its identifier
was read. A gene outside it is referred to by symbol only (no invented code).

>>> hgnc_id("CYP2C19")
'HGNC:2621'
>>> hgnc_id("EGFR") is None
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tailormed.documents import read_text
from tailormed.errors import KnowledgeError

HGNC_SYSTEM = "http://www.genenames.org"
GENES_FILE = Path(__file__).parent / "data" / "hgnc" / "genes.tsv"


@cache
def hgnc_ids() -> dict[str, str]:
    """Gene symbol -> ``HGNC:n`` from the built-in table."""
    found: dict[str, str] = {}
    header_seen = False
    for number, line in enumerate(read_text(GENES_FILE, "HGNC table").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not cells[1].startswith("HGNC:") or not cells[1][5:].isdigit() or not cells[2].strip():
            raise KnowledgeError("expected symbol, HGNC:n and a source", source=str(GENES_FILE),
                                 location=f"line {number}")
        if cells[0] in found:
            raise KnowledgeError(f"gene {cells[0]} listed twice", source=str(GENES_FILE), location=f"line {number}")
        found[cells[0]] = cells[1]
    return found


def hgnc_id(symbol: str) -> str | None:
    """The HGNC identifier of a gene symbol, or None when the table does not hold it."""
    return hgnc_ids().get(symbol)
