"""Diplotype -> allele functions -> phenotype (or activity score), following the pack's rules."""

from __future__ import annotations

from dataclasses import dataclass

from tailormed.kb.pack import INDETERMINATE
from tailormed.model.pack import GeneDefinition
from tailormed.model.pgx import format_score


@dataclass(frozen=True)
class PhenotypeCall:
    """A phenotype, its activity score where the gene has one, and the keys drug rules match on."""

    phenotype: str
    activity_score: float | None
    lookup_keys: tuple[str, ...]
    note: str | None = None



def allele_function(gene: GeneDefinition, name: str) -> tuple[str | None, float | None]:
    """Function label and activity value of a named allele (None when the pack does not know it)."""
    for allele in gene.alleles:
        if allele.name == name:
            return allele.function, allele.activity_value
    return None, None


def legacy_alleles(gene: GeneDefinition, names: list[str] | tuple[str, ...]) -> list[str]:
    """Per allele its first legacy name (else its current name); empty when none of them has a legacy name.

    >>> from tailormed.model.pack import AlleleDefinition
    >>> gene = GeneDefinition(gene="NAT2", chromosome="chr8", phenotype_method="function", reference_allele="*1",
    ...     alleles=[AlleleDefinition(name="*1", function="Increased function", legacy_names=["*12A"]),
    ...              AlleleDefinition(name="*40", function="Decreased function")],
    ...     phenotype_rules=[{"functions": ["Increased function"], "phenotype": "Rapid Metabolizer"}])
    >>> legacy_alleles(gene, ["*1", "*40"]), legacy_alleles(gene, ["*40", "*40"])
    (['*12A', '*40'], [])
    """
    legacy = {a.name: a.legacy_names[0] for a in gene.alleles if a.legacy_names}
    if not any(n in legacy for n in names):
        return []
    return [legacy.get(n, n) for n in names]


def current_name(gene: GeneDefinition, name: str) -> str | None:
    """The current allele a legacy name stands for, when ``name`` is not itself a current name and exactly one
    allele lists it among its legacy names (NAT2 ``*5B`` -> ``*5``); None otherwise."""
    if any(a.name == name for a in gene.alleles):
        return None
    found = [a.name for a in gene.alleles if name in a.legacy_names]
    return found[0] if len(found) == 1 else None


def phenotype_from_functions(gene: GeneDefinition, functions: list[str]) -> str:
    """Phenotype of an unordered function pair (or a single function for hemizygous calls)."""
    wanted = sorted(functions)
    for rule in gene.phenotype_rules:
        if sorted(rule.functions) == wanted:
            return rule.phenotype
    return INDETERMINATE


def phenotype_from_score(gene: GeneDefinition, score: float) -> str:
    """Phenotype for an activity score from the gene's inclusive ranges."""
    for band in gene.activity_phenotypes:
        if band.min - 1e-9 <= score <= band.max + 1e-9:
            return band.phenotype
    return INDETERMINATE


def call_phenotype(gene: GeneDefinition, diplotypes: list[tuple[str, ...]]) -> PhenotypeCall:
    """Phenotype for the best diplotypes; tied diplotypes that disagree give Indeterminate."""
    if not diplotypes:
        return PhenotypeCall(INDETERMINATE, None, (INDETERMINATE,), "no diplotype could be called")
    calls = [_phenotype_of(gene, d) for d in diplotypes]
    distinct = {(c.phenotype, c.activity_score) for c in calls}
    if len(distinct) == 1:
        return calls[0]
    phenotypes = {c.phenotype for c in calls}
    if len(phenotypes) == 1 and gene.phenotype_method == "activity_score":
        only = calls[0].phenotype
        return PhenotypeCall(only, None, (only,), "tied diplotypes share the phenotype but differ in activity score")
    return PhenotypeCall(INDETERMINATE, None, (INDETERMINATE,),
                         "tied diplotypes imply different phenotypes: " + "; ".join(sorted(phenotypes)))


def _phenotype_of(gene: GeneDefinition, diplotype: tuple[str, ...]) -> PhenotypeCall:
    functions: list[str] = []
    values: list[float | None] = []
    for name in diplotype:
        function, value = allele_function(gene, name)
        if function is None:
            return PhenotypeCall(INDETERMINATE, None, (INDETERMINATE,), f"allele {name} is not in the knowledge pack")
        functions.append(function)
        values.append(value)
    if gene.phenotype_method == "activity_score":
        if any(v is None for v in values):
            return PhenotypeCall(INDETERMINATE, None, (INDETERMINATE,), "an allele has no activity value")
        score = float(sum(v for v in values if v is not None))
        phenotype = phenotype_from_score(gene, score)
        return PhenotypeCall(phenotype, score, (phenotype, format_score(score)))
    phenotype = phenotype_from_functions(gene, functions)
    return PhenotypeCall(phenotype, None, (phenotype,))


def allele_presence_keys(gene: GeneDefinition, alleles: list[str]) -> tuple[str, ...]:
    """``*57:01 positive`` / ``*57:01 negative`` for each allele of interest of an HLA-type gene."""
    carried = {_hla_field(a) for a in alleles}
    keys = []
    for interest in gene.alleles_of_interest:
        status = "positive" if _hla_field(interest) in carried else "negative"
        keys.append(f"{interest} {status}")
    return tuple(keys)


def _hla_field(name: str) -> str:
    """``HLA-B*57:01:01`` -> ``*57:01`` (two-field resolution, what guidelines use)."""
    core = name.split("*", 1)[-1]
    fields = core.split(":")
    return "*" + ":".join(fields[:2])
