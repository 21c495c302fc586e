"""Star-allele diplotypes with copy number and tandems, as CYP2D6 callers and laboratories write them.

``*1/*2x2`` (two copies of *2 on one chromosome), ``*4/*5`` (*5: the gene deletion), ``*36+*10/*41`` (a tandem of a
hybrid and *10), ``*1/*36x2+*10x2``. The activity score follows CPIC (Caudle et al. 2020; PharmVar structural
variation tutorial, Turner et al. 2023): each copy counts, so a duplicated allele's activity value is multiplied by
its number of copies, and the copies of a tandem are added.

>>> d = parse_star_diplotype("*1/*2x2")
>>> [h.label for h in d.haplotypes], d.copies
(['*1', '*2x2'], 3)
>>> parse_star_diplotype("*36+*10/*5").haplotypes[0].parts
(('*36', 1), ('*10', 1))
>>> parse_star_diplotype("*1/*2/*3") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tailormed.kb.pack import INDETERMINATE
from tailormed.model.pack import GeneDefinition
from tailormed.pgx.phenotype import allele_function, phenotype_from_score

_PART = re.compile(r"^(\*\d+[A-Z]?(?:\.\d{3})?)(?:[xX×](\d+))?$")
DELETION = "*5"


@dataclass(frozen=True)
class StarHaplotype:
    """One chromosome: its gene copies as (allele, copies) parts, e.g. ``*36+*10`` or ``*2x2``; ``*5`` has none."""

    parts: tuple[tuple[str, int], ...]

    @property
    def label(self) -> str:
        return "+".join(name + (f"x{n}" if n > 1 else "") for name, n in self.parts)

    @property
    def copies(self) -> int:
        """CYP2D6 gene copies on this chromosome (the deletion has none; hybrids count as copies)."""
        return sum(n for name, n in self.parts if name != DELETION)

    def activity(self, gene: GeneDefinition) -> float | None:
        """Sum of each part's activity value times its copies; None when a part has no value."""
        total = 0.0
        for name, n in self.parts:
            value = allele_function(gene, name)[1]
            if value is None:
                return None
            total += value * (n if name != DELETION else 1)
        return total

    def functions(self, gene: GeneDefinition) -> str:
        found = [allele_function(gene, name)[0] for name, _ in self.parts]
        return " + ".join(f or "unknown" for f in found)


@dataclass(frozen=True)
class StarDiplotype:
    """Two haplotypes (or one, for a hemizygous call)."""

    haplotypes: tuple[StarHaplotype, ...]

    @property
    def label(self) -> str:
        return "/".join(h.label for h in self.haplotypes)

    @property
    def copies(self) -> int:
        return sum(h.copies for h in self.haplotypes)

    def unknown_alleles(self, gene: GeneDefinition) -> list[str]:
        return [name for h in self.haplotypes for name, _ in h.parts if allele_function(gene, name)[0] is None]

    def phenotype(self, gene: GeneDefinition) -> tuple[str, float | None]:
        """Phenotype and activity score by the gene's activity-score ranges (Indeterminate without a value)."""
        values = [h.activity(gene) for h in self.haplotypes]
        if any(v is None for v in values):
            return INDETERMINATE, None
        score = float(sum(v for v in values if v is not None))
        return phenotype_from_score(gene, score), score


def parse_star_haplotype(text: str) -> StarHaplotype | None:
    parts = []
    for piece in text.strip().split("+"):
        match = _PART.match(piece.strip())
        if match is None:
            return None
        copies = int(match.group(2)) if match.group(2) else 1
        if copies < 1 or copies > 20:
            return None
        parts.append((match.group(1), copies))
    return StarHaplotype(tuple(parts)) if parts else None


def parse_star_diplotype(text: str) -> StarDiplotype | None:
    """``A/B`` with copy numbers and tandems (or a single haplotype); None when it is not written that way."""
    halves = text.strip().split("/")
    if not 1 <= len(halves) <= 2:
        return None
    haplotypes = [parse_star_haplotype(h) for h in halves]
    if any(h is None for h in haplotypes):
        return None
    return StarDiplotype(tuple(h for h in haplotypes if h is not None))


def parse_cyp2d6_diplotype(text: str) -> StarDiplotype | None:
    """:func:`parse_star_diplotype` (kept under this name for CYP2D6 callers' outputs)."""
    return parse_star_diplotype(text)
