"""Genotype evidence per gene and mode of inheritance.

Each candidate allele is classified with the ACMG/AMP criteria on the points scale; its points give
an odds of pathogenicity, ``OddsPath = 350 ** (points / 8)`` (Tavtigian et al., Genet Med 2018), which
is a likelihood ratio "pathogenic vs benign" for that allele. A gene's genotype likelihood ratio for
one mode of inheritance is then:

* dominant-acting modes (autosomal dominant, X-linked dominant, mitochondrial): the best allele's odds;
* recessive modes: the product of the two best alleles in trans (a homozygous allele counts twice),
  or one allele's odds times ``single_hit_recessive`` when only one hit was found;
* X-linked recessive in a male: one hemizygous allele is enough;
* the odds are divided by the probability of seeing such a genotype in a given gene by chance:
  ``chance_rate`` for one heterozygous hit (a typical exome has a few hundred rare protein-altering
  variants over about 19,000 genes, i.e. one to two per cent of genes carry one), its square for two,
  and ``chance_rate * homozygous_rate`` for a homozygous allele (``homozygous_rate``: the share of
  rare alleles seen homozygous, high in consanguineous families, low in outbred ones);
* per-gene background (``gene_background: exonic_length``, a preset option, off by default; LIRICAL's idea
  of a gene-specific background frequency of rare damaging variants, Robinson et al., AJHG 2020): a long
  gene collects chance findings more often than a short one, so ``chance_rate`` is scaled by the gene's
  exonic length over the mean exonic length of the gene table (:func:`background_scale`, bounded to
  ``BACKGROUND_SCALE_BOUNDS``) wherever it is used;
* no qualifying allele at all: ``miss_lr`` (the causal variant may have been missed, be structural or
  lie outside the sequenced regions);
* family data: an unaffected parent carrying a dominant-acting allele (not the mother of a male with an X-linked
  recessive allele: carrier mothers are usually unaffected), or an unaffected parent homozygous for a recessive
  one, multiplies by ``conflict_lr``;
  two heterozygous hits in cis (same parent, or the same phased haplotype) count as one hit;
  an allele absent from both parents gains PM6 (assumed de novo, moderate; ACMG/AMP 2015).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from tailormed.kb.genes import GeneTable
from tailormed.model.rare import AcmgClassification, GenotypeSettings, SampleGenotype, Variant
from tailormed.rare.acmg import (
    DEFAULT_SETTINGS,
    AcmgSettings,
    GeneContext,
    choose_transcript,
    classify_variant,
    clinvar_unequivocally_pathogenic,
    pm6_assumed_de_novo,
    points_to_class,
    posterior_from_points,
)
from tailormed.rare.cnv import CnvInheritance, classify_cnv, cnv_inheritance, cnv_kind

DOMINANT_ACTING = frozenset({"autosomal_dominant", "x_linked_dominant", "mitochondrial"})
RECESSIVE = frozenset({"autosomal_recessive"})
X_LINKED_RECESSIVE = frozenset({"x_linked_recessive", "x_linked"})
BENIGN_CLASSES = frozenset({"Benign"})  # likely benign alleles stay, with odds below 1
MAX_ODDS_POINTS = 10  # cap one allele's odds at the "Pathogenic" threshold so phenotype still counts
#: A gene's chance rate is at most this many times lower or higher than ``chance_rate``: the length proxy is coarse
#: (UTRs count, mutability and constraint do not), so a 9-bp gene is not taken as 370 times less likely to carry a
#: chance finding, nor TTN (109 kb, 33 x the mean) as 33 times more likely.
BACKGROUND_SCALE_BOUNDS = (0.1, 10.0)



@dataclass(frozen=True)
class Family:
    """The proband and, when a PED names them, parents and their affection status."""

    proband: str
    father: str | None = None
    mother: str | None = None
    affected: frozenset[str] = frozenset()
    proband_sex: str = "unknown"

    @property
    def parents(self) -> list[str]:
        return [p for p in (self.father, self.mother) if p]


@dataclass
class CandidateAllele:
    """One ALT allele the proband carries in one gene, with its classification and family context."""

    variant: Variant
    gene: str
    acmg: AcmgClassification
    copies: int
    hemizygous: bool
    carriers: dict[str, int] = field(default_factory=dict)  # family member -> ALT copies

    @property
    def odds(self) -> float:
        """OddsPath of this allele from its points (capped)."""
        return float(350.0 ** (min(self.acmg.points, MAX_ODDS_POINTS) / 8.0))

    @property
    def zygosity(self) -> str:
        if self.hemizygous:
            return "hemizygous"
        return "homozygous" if self.copies >= 2 else "heterozygous"


@dataclass
class ModeFit:
    """How well a gene's alleles fit one mode of inheritance."""

    mode: str
    likelihood_ratio: float
    alleles: list[CandidateAllele]
    explanation: str


@dataclass
class FilterCounts:
    """How many alleles each genotype filter removed (reported, never silent)."""

    read: int = 0
    not_carried: int = 0
    failed_quality: int = 0
    unannotated: int = 0
    too_common: int = 0
    no_protein_effect: int = 0
    benign: int = 0
    kept: int = 0
    #: alleles (variant and gene) kept past the consequence or frequency filter by their ClinVar P/LP assertion, and
    #: how many such alleles the classification then called benign (BA1)
    clinvar_kept: list[str] = field(default_factory=list)
    clinvar_benign: int = 0


def collect_candidates(variants: Iterable[Variant], family: Family, gene_contexts: dict[str, GeneContext],
                       settings: GenotypeSettings = GenotypeSettings(),
                       acmg: AcmgSettings = DEFAULT_SETTINGS) -> tuple[dict[str, list[CandidateAllele]], FilterCounts]:
    """Filter the proband's alleles and classify them per gene; returns gene -> alleles and the counts."""
    by_gene: dict[str, list[CandidateAllele]] = defaultdict(list)
    counts = FilterCounts()
    for variant in variants:
        counts.read += 1
        call = variant.genotypes.get(family.proband)
        if call is None or not call.alt_count:
            counts.not_carried += 1
            continue
        if not _passes_quality(variant, call, settings):
            counts.failed_quality += 1
            continue
        if not variant.annotated:
            counts.unannotated += 1
            continue
        kept_any = False
        genes = sorted({a.gene for a in variant.annotations if a.gene})
        clinvar_genes = _clinvar_genes(variant, genes, settings) if settings.keep_clinvar_pathogenic else set()
        for gene in genes:
            exempt = gene in clinvar_genes
            no_effect = not _may_affect_gene(variant, gene, settings)
            too_common = not no_effect and _too_common(variant, gene, gene_contexts.get(gene), settings)
            if (no_effect or too_common) and not exempt:
                counts.no_protein_effect += no_effect
                counts.too_common += too_common
                continue
            allele = _candidate(variant, gene, call, family, gene_contexts.get(gene), settings, acmg)
            if allele.acmg.classification in BENIGN_CLASSES:
                counts.benign += 1
                counts.clinvar_benign += no_effect or too_common
            else:
                by_gene[gene].append(allele)
                kept_any = True
                if no_effect or too_common:
                    counts.clinvar_kept.append(f"{variant.key} ({gene})")
        counts.kept += kept_any
    return dict(by_gene), counts


def _may_affect_gene(variant: Variant, gene: str, settings: GenotypeSettings) -> bool:
    """False when every consequence on the gene's chosen transcript is one the preset excludes
    (synonymous, intronic, UTR, up/downstream...) and no splicing prediction reaches the PP3 threshold."""
    transcript = choose_transcript(variant, gene)
    if transcript is None or not transcript.consequences:
        return True
    if not set(transcript.consequences) <= set(settings.exclude_consequences):
        return True
    splice = transcript.spliceai_max
    return splice is not None and splice >= settings.keep_if_spliceai_at_least


#: Consequences that place a variant outside a gene (VEP repeats CLIN_SIG on these entries of neighbouring genes).
_OUTSIDE_GENE = frozenset({"upstream_gene_variant", "downstream_gene_variant", "intergenic_variant",
                           "regulatory_region_variant", "TF_binding_site_variant"})


def _clinvar_genes(variant: Variant, genes: list[str], settings: GenotypeSettings) -> set[str]:
    """The genes for which a ClinVar (likely) pathogenic assertion lets the allele past the filters: the assertion is
    the variant's, and VEP repeats it on every gene's entry, so it counts only for the genes the variant lies in, and
    among those for the ones it changes most (a coding or splice consequence the preset keeps, if any gene has one),
    as Exomiser assigns a variant to the gene of its most severe consequence. The significance must be unequivocal
    (:func:`clinvar_unequivocally_pathogenic`)."""
    if not any(tc.clinvar for tc in variant.annotations):
        return set()  # most variants: no ClinVar term, no transcript to choose
    within: dict[str, bool] = {}
    for gene in genes:
        transcript = choose_transcript(variant, gene)
        if transcript is None or not clinvar_unequivocally_pathogenic(transcript):
            continue
        consequences = set(transcript.consequences)
        if consequences and consequences <= _OUTSIDE_GENE:
            continue
        within[gene] = not consequences <= set(settings.exclude_consequences)
    changed = {gene for gene, coding in within.items() if coding}
    return changed or set(within)


def _passes_quality(variant: Variant, call: SampleGenotype, settings: GenotypeSettings) -> bool:
    if settings.require_pass and not variant.filter_pass:
        return False
    if call.genotype_quality is not None and call.genotype_quality < settings.min_genotype_quality:
        return False
    return call.depth is None or call.depth >= settings.min_depth


def _too_common(variant: Variant, gene: str, context: GeneContext | None, settings: GenotypeSettings) -> bool:
    """Population AF above the limit for the gene's modes (the dominant limit only when every mode is dominant)."""
    transcript = choose_transcript(variant, gene)
    frequency = transcript.gnomad_af if transcript else None
    modes = context.modes if context else frozenset()
    limit = settings.max_af_dominant if modes and modes <= DOMINANT_ACTING else settings.max_af_recessive
    return frequency is not None and frequency > limit


def _candidate(variant: Variant, gene: str, call: SampleGenotype, family: Family, context: GeneContext | None,
               settings: GenotypeSettings, acmg: AcmgSettings) -> CandidateAllele:
    carriers = {member: (variant.genotypes[member].alt_count or 0)
                for member in family.parents if member in variant.genotypes
                and variant.genotypes[member].alt_count is not None}
    if cnv_kind(variant) is not None:
        classification = classify_cnv(variant, context, gene, acmg,
                                      _cnv_inheritance(variant, call, family, carriers))
    else:
        classification = classify_variant(variant, context or GeneContext(symbol=gene, modes=frozenset()), acmg)
        if len(family.parents) == 2 and len(carriers) == 2 and not any(carriers.values()):
            classification = _with_de_novo(classification, acmg)
    return CandidateAllele(variant=variant, gene=gene, acmg=classification, copies=call.alt_count or 0,
                           hemizygous=call.ploidy == 1, carriers=carriers)


def _cnv_inheritance(variant: Variant, call: SampleGenotype, family: Family,
                     carriers: dict[str, int]) -> CnvInheritance | None:
    """Section 5 input for a copy-number record: None when the pedigree names no parent (nothing to say)."""
    if not family.parents:
        return None
    chrom = variant.chrom.upper().removeprefix("CHR")
    male = family.proband_sex == "male" or call.ploidy == 1
    others = bool(family.affected - {family.proband})
    return cnv_inheritance(proband=family.proband, proband_copies=call.alt_count or 0, carriers=carriers,
                           parents=family.parents, affected=family.affected, others_affected=others,
                           male_x_from_mother=male and chrom == "X", mother=family.mother)


def _with_de_novo(classification: AcmgClassification, acmg: AcmgSettings) -> AcmgClassification:
    """Add PM6 (assumed de novo: absent from both parents, parentage not confirmed)."""
    criterion = pm6_assumed_de_novo()
    points = classification.points + criterion.points
    if classification.classification == "Benign" and any(c.code == "BA1" for c in classification.criteria):
        return classification
    return AcmgClassification(classification=points_to_class(points), points=points,
                              criteria=[*classification.criteria, criterion],
                              posterior_pathogenic=posterior_from_points(points, acmg),
                              cnv_points=classification.cnv_points, cnv_class=classification.cnv_class)


def background_scale(gene: str, table: GeneTable | None, settings: GenotypeSettings) -> float:
    """How much more (or less) often than ``chance_rate`` this gene carries a qualifying allele by chance: its
    exonic length over the table's mean exonic length, bounded; 1.0 when the preset says ``constant``, when no
    table is installed, or when the table does not know the gene.

    The mean (not the median) is the reference because ``chance_rate`` is an exome-wide average per gene (a few
    hundred qualifying alleles over about 19,000 genes): scaling by length over the mean keeps the expected number
    of chance findings over the whole exome where ``chance_rate`` puts it.

    >>> from tailormed.kb.genes import GeneRecord
    >>> table = GeneTable({"LONG": GeneRecord("LONG", "1", "+", 1, 9000, 3000),
    ...                    "SHORT": GeneRecord("SHORT", "1", "+", 1, 900, 1000)})
    >>> by_length = GenotypeSettings(gene_background="exonic_length")
    >>> background_scale("LONG", table, by_length), background_scale("SHORT", table, by_length)
    (1.5, 0.5)
    >>> background_scale("OTHER", table, by_length), background_scale("LONG", None, by_length)
    (1.0, 1.0)
    >>> background_scale("LONG", table, GenotypeSettings())  # the default, gene_background: constant
    1.0
    """
    if settings.gene_background == "constant" or table is None:
        return 1.0
    length, mean = table.exonic_length(gene), table.mean_exonic_length
    if length is None or mean <= 0:
        return 1.0
    low, high = BACKGROUND_SCALE_BOUNDS
    return min(max(length / mean, low), high)


def evaluate_gene(alleles: Sequence[CandidateAllele], modes: Iterable[str], family: Family,
                  settings: GenotypeSettings = GenotypeSettings(), *, scale: float = 1.0) -> ModeFit:
    """The best-fitting mode of inheritance for a gene's alleles (modes unknown: all are tried); ``scale``
    multiplies ``chance_rate`` for this gene (:func:`background_scale`)."""
    if scale != 1.0:
        settings = replace(settings, chance_rate=min(settings.chance_rate * scale, 1.0))
    wanted = list(modes) or ["autosomal_dominant", "autosomal_recessive"]
    fits = [_fit(alleles, mode, family, settings) for mode in wanted]
    best = max(fits, key=lambda fit: fit.likelihood_ratio)
    if scale != 1.0 and best.alleles:
        best.explanation += (f"; chance rate x{scale:.2g} for the gene's exonic length "
                             f"({'longer' if scale > 1 else 'shorter'} than the mean)")
    return best


def _fit(alleles: Sequence[CandidateAllele], mode: str, family: Family, settings: GenotypeSettings) -> ModeFit:
    if not alleles:
        return ModeFit(mode, settings.miss_lr, [], "no qualifying variant in this gene")
    ranked = sorted(alleles, key=lambda a: -a.odds)
    male = family.proband_sex == "male" or any(a.hemizygous for a in ranked)
    if mode in DOMINANT_ACTING or (mode in X_LINKED_RECESSIVE and male):
        fit = _dominant_fit(ranked, mode, family, settings)
        fit.likelihood_ratio /= settings.chance_rate
    else:
        fit = _recessive_fit(ranked, mode, family, settings)
        fit.likelihood_ratio /= _chance(fit.alleles, settings)
    fit.likelihood_ratio = max(fit.likelihood_ratio, settings.miss_lr)
    return fit


def _chance(alleles: list[CandidateAllele], settings: GenotypeSettings) -> float:
    """Probability of seeing such a recessive genotype in a given gene by chance."""
    if len(alleles) == 2:
        return settings.chance_rate**2
    if alleles[0].copies >= 2:
        return settings.chance_rate * settings.homozygous_rate
    return settings.chance_rate


def _unaffected_parents(family: Family) -> list[str]:
    return [p for p in family.parents if p not in family.affected]


def _dominant_fit(ranked: list[CandidateAllele], mode: str, family: Family, settings: GenotypeSettings) -> ModeFit:
    scored = []
    for allele in ranked:
        lr, note = allele.odds, f"{allele.zygosity} {allele.acmg.classification.lower()} variant"
        # An X-linked recessive allele in a male comes from his mother, who is usually an unaffected carrier.
        expected = {family.mother} if mode in X_LINKED_RECESSIVE else set()
        transmitting = [p for p in _unaffected_parents(family) if allele.carriers.get(p) and p not in expected]
        if transmitting:
            lr *= settings.conflict_lr
            note += f"; also carried by unaffected parent {', '.join(transmitting)}"
        scored.append((lr, allele, note))
    lr, allele, note = max(scored, key=lambda item: item[0])
    return ModeFit(mode, lr, [allele], note)


def _recessive_fit(ranked: list[CandidateAllele], mode: str, family: Family, settings: GenotypeSettings) -> ModeFit:
    options: list[tuple[float, list[CandidateAllele], str]] = []
    for allele in ranked:
        if allele.copies >= 2:
            lr, note = allele.odds, "homozygous"  # one variant: its pathogenicity evidence counts once
            if any(allele.carriers.get(p, 0) >= 2 for p in _unaffected_parents(family)):
                lr, note = lr * settings.conflict_lr, "homozygous, but an unaffected parent is homozygous too"
            options.append((lr, [allele], note))
    for i, first in enumerate(ranked):
        for second in ranked[i + 1 :]:
            if first.copies >= 2 or second.copies >= 2:
                continue
            if _same_parent(first, second, family) or _phased_cis(first, second, family):
                continue  # in cis: together they are one hit, not two
            lr, note = first.odds * second.odds, "compound heterozygous"
            if not family.parents and not _phased_trans(first, second, family):
                note += " (phase unknown)"
            options.append((lr, [first, second], note))
    best = ranked[0]
    if best.copies < 2:
        options.append((best.odds * settings.single_hit_recessive, [best],
                        "one heterozygous variant; a second hit was not found"))
    lr, alleles, note = max(options, key=lambda item: item[0] / _chance(item[1], settings))
    return ModeFit(mode, lr, alleles, note)


def _same_parent(first: CandidateAllele, second: CandidateAllele, family: Family) -> bool:
    if len(family.parents) < 2:
        return False
    for parent in family.parents:
        other = next(p for p in family.parents if p != parent)
        if first.carriers.get(parent) and second.carriers.get(parent) and \
                not first.carriers.get(other) and not second.carriers.get(other):
            return True
    return False


def _phase(allele: CandidateAllele, family: Family) -> tuple[int | None, frozenset[int]] | None:
    call = allele.variant.genotypes.get(family.proband)
    if call is None or not call.phased:
        return None
    return call.phase_set, frozenset(call.haplotype_with_alt)


def _phased_cis(first: CandidateAllele, second: CandidateAllele, family: Family) -> bool:
    a, b = _phase(first, family), _phase(second, family)
    return a is not None and b is not None and a[0] == b[0] and bool(a[1] & b[1])


def _phased_trans(first: CandidateAllele, second: CandidateAllele, family: Family) -> bool:
    a, b = _phase(first, family), _phase(second, family)
    return a is not None and b is not None and a[0] == b[0] and not (a[1] & b[1])
