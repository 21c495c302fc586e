"""Compare the gene knowledge of two packs: positions, allele definitions, functions, activity values.

Used to review an import against the curated pack (``benchmarks/pgx_kb_vs_pharmcat.py`` and the
validation tests): every disagreement is listed, none is resolved automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from tailormed.model.genome import trim_alleles
from tailormed.model.pack import AlleleDefinition, GeneDefinition


@dataclass(frozen=True)
class Disagreement:
    """One difference between pack A (ours) and pack B (the other)."""

    gene: str
    kind: str  # variant_ref | variant_alt | variant_only_in_a | variant_only_in_b | allele_only_in_a | ...
    item: str
    ours: str
    theirs: str


def _sites(gene: GeneDefinition) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """position -> (id, ref, alts); several definitions at one position are merged."""
    out: dict[int, tuple[str, str, tuple[str, ...]]] = {}
    for v in gene.variants:
        if v.position in out:
            vid, ref, alts = out[v.position]
            out[v.position] = (vid, ref if len(ref) >= len(v.ref) else v.ref, tuple(sorted(set(alts) | set(v.alt))))
        else:
            out[v.position] = (v.id, v.ref, tuple(sorted(v.alt)))
    return out


Signature = frozenset[tuple[int, str, str]]


def _signature(gene: GeneDefinition, allele: AlleleDefinition, reference: dict[str, str]) -> Signature:
    """The allele as normalised (position, ref, alt) changes from the reference allele (explicit ref bases dropped).

    The alleles lose their common suffix only (the position is the definition's), so CAT>CATAT and C>CAT compare
    equal.
    """
    by_id = {v.id: v for v in gene.variants}
    changes = set()
    for vid, base in allele.defining.items():
        variant = by_id[vid]
        if base != reference.get(vid, variant.ref):
            changes.add((variant.position, *trim_alleles(variant.ref, base)))
    return frozenset(changes)


def _reference_bases(gene: GeneDefinition) -> dict[str, str]:
    """Variant id -> the reference allele's base there (the GRCh38 base unless the reference allele says otherwise)."""
    ref_allele = next((a for a in gene.alleles if a.name == gene.reference_allele), None)
    bases = {v.id: v.ref for v in gene.variants}
    if ref_allele is not None:
        bases.update(ref_allele.defining)
    return bases


def _norm_function(label: str | None) -> str:
    return (label or "").strip().lower()


def _format_signature(signature: Signature) -> str:
    return ", ".join(f"{p}{r}>{a}" for p, r, a in sorted(signature))


def compare_gene(ours: GeneDefinition, theirs: GeneDefinition) -> list[Disagreement]:
    """Every difference in sites, allele definitions, functions and activity values for one gene."""
    found: list[Disagreement] = []
    gene = ours.gene
    a_sites, b_sites = _sites(ours), _sites(theirs)
    for pos in sorted(set(a_sites) | set(b_sites)):
        a, b = a_sites.get(pos), b_sites.get(pos)
        if a is None and b is not None:
            found.append(Disagreement(gene, "site_only_in_theirs", f"{b[0]} {pos}", "", f"{b[1]}>{','.join(b[2])}"))
        elif b is None and a is not None:
            found.append(Disagreement(gene, "site_only_in_ours", f"{a[0]} {pos}", f"{a[1]}>{','.join(a[2])}", ""))
        elif a is not None and b is not None and a[1][0] != b[1][0]:
            found.append(Disagreement(gene, "reference_base", f"{a[0]} {pos}", a[1], b[1]))
    a_ref, b_ref = _reference_bases(ours), _reference_bases(theirs)
    a_alleles = {x.name: x for x in ours.alleles}
    b_alleles = {x.name: x for x in theirs.alleles}
    for name in sorted(set(a_alleles) | set(b_alleles)):
        a_allele, b_allele = a_alleles.get(name), b_alleles.get(name)
        if a_allele is None:
            found.append(Disagreement(gene, "allele_only_in_theirs", name, "", b_allele.function if b_allele else ""))
            continue
        if b_allele is None:
            found.append(Disagreement(gene, "allele_only_in_ours", name, a_allele.function, ""))
            continue
        if name not in (ours.reference_allele, theirs.reference_allele):
            a_sig = _signature(ours, a_allele, a_ref)
            b_sig = _signature(theirs, b_allele, b_ref)
            if a_sig != b_sig:
                found.append(Disagreement(gene, "allele_definition", name, _format_signature(a_sig),
                                          _format_signature(b_sig)))
        if (_norm_function(a_allele.function) != _norm_function(b_allele.function)
                and b_allele.function != "Unknown function"):
            found.append(Disagreement(gene, "allele_function", name, a_allele.function, b_allele.function))
        if (a_allele.activity_value is not None and b_allele.activity_value is not None
                and abs(a_allele.activity_value - b_allele.activity_value) > 1e-9):
            found.append(Disagreement(gene, "activity_value", name, str(a_allele.activity_value),
                                      str(b_allele.activity_value)))
    return found


def compare_packs(ours: dict[str, GeneDefinition], theirs: dict[str, GeneDefinition]) -> list[Disagreement]:
    """Disagreements for every gene either side defines."""
    found: list[Disagreement] = []
    for gene in sorted(set(ours) | set(theirs)):
        if gene not in theirs:
            found.append(Disagreement(gene, "gene_only_in_ours", gene, "", ""))
        elif gene not in ours:
            found.append(Disagreement(gene, "gene_only_in_theirs", gene, "", ""))
        else:
            found += compare_gene(ours[gene], theirs[gene])
    return found
