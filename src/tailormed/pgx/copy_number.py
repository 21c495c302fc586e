"""Complete a VCF call of CYP2D6 with the gene's total copy number (from a copy-number file).

A VCF shows which small variants a sample carries, not how many gene copies carry them. Given the total number of
CYP2D6 copies (two on most genomes), each diplotype the VCF allows becomes the structural diplotypes that fit it:

* 0 copies: ``*5/*5`` (both chromosomes deleted);
* 1 copy: ``A/*5`` (the VCF's "homozygous" ``A/A`` is one copy of A); a heterozygous VCF call cannot be one copy:
  both readings are kept and the disagreement is reported;
* 2 copies: the VCF call as it is;
* 3 or more: the extra copies duplicate one of the two alleles: ``Ax2/B`` or ``A/Bx2`` (``A/Ax2`` when both are A);
  a total copy number cannot say which, so both are reported, each with its activity score.

The activity score counts each copy (CPIC: the duplicated allele's value times its copies). Hybrid genes (*13, *36,
*68) are not told apart from CYP2D6 copies by a total copy number, and every completed call says so.
"""

from __future__ import annotations

from tailormed.kb.pack import INDETERMINATE, KnowledgeBase
from tailormed.model.common import Warning
from tailormed.model.pgx import Diplotype, GeneResult, format_score
from tailormed.pgx.engine import STRUCTURAL_WARNING
from tailormed.pgx.star import DELETION, StarDiplotype, StarHaplotype

HYBRID_NOTE = ("copy number {copies} from {source}: deletion and duplications assessed; CYP2D6/CYP2D7 hybrid genes "
               "(*13, *36, *68) are not distinguished from CYP2D6 copies by a total copy number")


def structural_readings(alleles: list[str], copies: int) -> list[StarDiplotype]:
    """The structural diplotypes a VCF diplotype (two allele names) can be with ``copies`` CYP2D6 copies.

    >>> [d.label for d in structural_readings(["*1", "*2"], 3)]
    ['*1x2/*2', '*1/*2x2']
    >>> [d.label for d in structural_readings(["*4", "*4"], 1)]
    ['*4/*5']
    """
    a, b = (alleles + alleles)[:2]
    if copies == 0:
        return [StarDiplotype((StarHaplotype(((DELETION, 1),)), StarHaplotype(((DELETION, 1),))))]
    if copies == 1:
        options = [(a, 1, DELETION)] + ([(b, 1, DELETION)] if b != a else [])
        return [StarDiplotype((StarHaplotype(((x, n),)), StarHaplotype(((y, 1),)))) for x, n, y in options]
    if copies == 2:
        return [StarDiplotype((StarHaplotype(((a, 1),)), StarHaplotype(((b, 1),))))]
    extra = copies - 2
    if a == b:
        return [StarDiplotype((StarHaplotype(((a, 1),)), StarHaplotype(((a, 1 + extra),))))]
    return [StarDiplotype((StarHaplotype(((a, 1 + extra),)), StarHaplotype(((b, 1),)))),
            StarDiplotype((StarHaplotype(((a, 1),)), StarHaplotype(((b, 1 + extra),))))]


def complete_with_copy_number(kb: KnowledgeBase, result: GeneResult, copies: int, source: str) -> GeneResult:
    """A new result: ``result`` (a VCF call) completed with the gene's total copy number."""
    gene = kb.genes[result.gene]
    caveat = (f"Provisional: completed with copy number {copies} from {source}; hybrid genes and which allele is "
              "duplicated are not seen in a VCF. Confirm with a CNV-aware CYP2D6 caller before acting on "
              "CYP2D6-dependent guidance.")
    warnings = [w.model_copy(update={"message": caveat}) if w.code == "vcf_caveat" else w
                for w in result.warnings if w.code != STRUCTURAL_WARNING]
    if not result.diplotypes:
        warnings.append(Warning(code="copy_number", gene=result.gene, severity="info",
                                message=f"copy number {copies} from {source} given, but the VCF gave no diplotype "
                                        "to complete"))
        return result.model_copy(update={"warnings": warnings, "copy_number": copies})
    readings: list[StarDiplotype] = []
    for diplotype in result.diplotypes:
        for reading in structural_readings(diplotype.alleles, copies):
            if reading.label not in {r.label for r in readings}:
                readings.append(reading)
    heterozygous = [d for d in result.diplotypes if len(set(d.alleles)) > 1]
    if copies == 1 and heterozygous:
        warnings.append(Warning(code="copy_number_disagrees", gene=result.gene,
                                message=f"copy number 1 from {source}, but the VCF call {heterozygous[0].label} is "
                                        "heterozygous, which one copy cannot be: check both inputs"))
    if copies == 0 and any(a != gene.reference_allele for d in result.diplotypes for a in d.alleles):
        warnings.append(Warning(code="copy_number_disagrees", gene=result.gene,
                                message=f"copy number 0 from {source} (no CYP2D6 gene), but the VCF has variant calls "
                                        "in CYP2D6: check both inputs"))
    called = [(r, *r.phenotype(gene)) for r in readings]
    phenotypes = {p for _, p, _ in called}
    scores = {s for _, _, s in called}
    if len(readings) > 1:
        warnings.append(Warning(code="ambiguous_diplotype", gene=result.gene,
                                message=f"{len(readings)} diplotypes fit the VCF and copy number {copies}: "
                                        + ", ".join(f"{r.label} ({p}"
                                                    + (f", activity score {format_score(s)})" if s is not None else ")")
                                                    for r, p, s in called)))
    warnings.append(Warning(code="copy_number", gene=result.gene, severity="info",
                            message=HYBRID_NOTE.format(copies=copies, source=source)))
    if len(phenotypes) == 1:
        phenotype = phenotypes.pop()
        score = scores.pop() if len(scores) == 1 else None
    else:
        phenotype, score = INDETERMINATE, None
    keys = [phenotype] + ([format_score(score)] if score is not None else [])
    diplotypes = [Diplotype(alleles=[h.label for h in r.haplotypes],
                            functions=[h.functions(gene) for h in r.haplotypes],
                            activity_values=[h.activity(gene) for h in r.haplotypes],
                            score=result.diplotypes[0].score) for r in readings]
    return result.model_copy(update={"diplotypes": diplotypes, "phenotype": phenotype, "activity_score": score,
                                     "lookup_keys": keys, "warnings": warnings, "copy_number": copies})
