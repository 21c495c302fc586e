"""Outside calls: gene results made by another tool or lab (CYP2D6 from a CNV-aware caller, HLA typing).

Format (tab-separated, ``#`` comments, blank lines ignored)::

    [sample<TAB>]gene<TAB>diplotype[<TAB>phenotype[<TAB>activity_score]]

A header line whose first field is ``gene`` or ``sample`` names the columns. Without a
``sample`` column the calls apply to every sample analysed. Each row needs a diplotype, a
phenotype or an activity score.
"""

from __future__ import annotations

import re
from pathlib import Path

from tailormed.documents import read_text
from tailormed.errors import InputError
from tailormed.model.genotypes import OutsideCall

_COLUMNS = ("sample", "gene", "diplotype", "phenotype", "activity_score")
_GENE_NAME = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")



def read_outside_calls(path: Path, known_genes: set[str] | None = None) -> list[OutsideCall]:
    """Parse and validate an outside-call TSV; errors name the file and line."""
    path = Path(path)
    text = read_text(path, "file of outside calls")
    columns: tuple[str, ...] = ("gene", "diplotype", "phenotype", "activity_score")
    calls: list[OutsideCall] = []
    seen: set[tuple[str | None, str]] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if fields[0].lower() in ("gene", "sample"):
            unknown = [f for f in fields if f.lower() not in _COLUMNS]
            if unknown or "gene" not in [f.lower() for f in fields]:
                raise InputError(f"header names unknown column(s) {_shown(unknown or fields, 200)}; expected "
                                 f"{', '.join(_COLUMNS)}",
                                 source=str(path), location=f"line {number}")
            columns = tuple(f.lower() for f in fields)
            continue
        if len(fields) > len(columns):
            raise InputError(f"{len(fields)} fields but {len(columns)} columns ({', '.join(columns)}); "
                             "is it tab-separated?",
                             source=str(path), location=f"line {number}")
        row = dict(zip(columns, fields + [""] * (len(columns) - len(fields)), strict=True))
        calls.append(_parse_row(row, path, number, known_genes))
        key = (calls[-1].sample, calls[-1].gene)
        if key in seen:
            raise InputError(f"gene {calls[-1].gene} is given twice" + (f" for sample {key[0]}" if key[0] else ""),
                             source=str(path), location=f"line {number}")
        seen.add(key)
    return calls


def _parse_row(row: dict[str, str], path: Path, number: int, known_genes: set[str] | None) -> OutsideCall:
    where = {"source": str(path), "location": f"line {number}"}
    gene = row.get("gene", "").upper()
    if not _GENE_NAME.match(gene):
        raise InputError(f"{_shown(row.get('gene', ''))} is not a gene symbol", **where)
    if known_genes is not None and gene not in known_genes:
        raise InputError(f"gene {gene} is not in the knowledge base (known: {', '.join(sorted(known_genes))})", **where)
    diplotype = row.get("diplotype") or None
    if diplotype is not None:  # PharmCAT style "CYP2D6*3/CYP2D6*4": the allele names without the gene
        diplotype = re.sub(rf"(^|[/+\s]){re.escape(gene)}(?=\*)", r"\1", diplotype)
    phenotype = row.get("phenotype") or None
    score_text = row.get("activity_score") or None
    score = None
    if score_text is not None:
        try:
            score = float(score_text)
        except ValueError as exc:
            raise InputError(f"activity score {_shown(score_text)} is not a number", **where) from exc
        if not 0 <= score <= 10:
            raise InputError(f"activity score {score} is outside 0-10", **where)
    if diplotype is None and phenotype is None and score is None:
        raise InputError(f"{gene}: give a diplotype, a phenotype or an activity score", **where)
    if diplotype is not None and (diplotype.count("/") > 1 or diplotype.startswith("/") or diplotype.endswith("/")):
        raise InputError(f"diplotype {_shown(diplotype)} must be 'A/B' (or a single allele)", **where)
    return OutsideCall(gene=gene, diplotype=diplotype, phenotype=phenotype, activity_score=score,
                       sample=row.get("sample") or None, source=f"{path}:{number}")


def _shown(value: object, limit: int = 60) -> str:
    """``repr`` of a value from the file, cut short: an error line stays readable whatever the file holds."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
