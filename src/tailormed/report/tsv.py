"""``calls.tsv``: one row per sample x gene."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from tailormed.model.pgx import GeneResult, format_score

CALLS_COLUMNS = ("sample", "gene", "diplotype", "phenotype", "activity_score", "alternatives",
                 "missing_positions", "source", "legacy_diplotype")


def tsv_field(value: str) -> str:
    r"""A value as one TSV field: tabs and line breaks become spaces (every TSV rendering uses this).

    >>> tsv_field("a\tb\nc")
    'a b c'
    """
    return value.replace("\t", " ").replace("\n", " ")


def calls_rows(sample: str, genes: Iterable[GeneResult]) -> Iterable[list[str]]:
    """The calls.tsv rows of one sample (empty fields stay empty)."""
    for g in genes:
        yield [
            sample,
            g.gene,
            g.diplotype_label,
            g.phenotype or "",
            format_score(g.activity_score) if g.activity_score is not None else "",
            ";".join(g.alternative_labels),
            ";".join(m.split(" ")[0] for m in g.missing_positions),
            g.source if g.tested else "not tested",
            g.legacy_diplotype_label,
        ]


def write_calls_header(handle: TextIO) -> None:
    handle.write("\t".join(CALLS_COLUMNS) + "\n")


def write_calls(handle: TextIO, sample: str, genes: Iterable[GeneResult]) -> None:
    for row in calls_rows(sample, genes):
        handle.write("\t".join(tsv_field(f) for f in row) + "\n")


class CallsWriter:
    """Writes calls.tsv for many samples, formatting each gene result once: in a cohort most samples share their
    gene result objects. Writes what :func:`write_calls` writes; keeps the results it keyed on alive (one writer
    per run)."""

    def __init__(self, handle: TextIO, header: bool = True) -> None:
        self._handle = handle
        self._tails: dict[int, tuple[GeneResult, str]] = {}
        if header:
            write_calls_header(handle)

    def write(self, sample: str, genes: Iterable[GeneResult]) -> None:
        head = tsv_field(sample) + "\t"
        lines = []
        for g in genes:
            hit = self._tails.get(id(g))
            if hit is None:
                row = next(iter(calls_rows(sample, [g])))
                hit = (g, "\t".join(tsv_field(f) for f in row[1:]) + "\n")
                self._tails[id(g)] = hit
            lines.append(head + hit[1])
        self._handle.write("".join(lines))
