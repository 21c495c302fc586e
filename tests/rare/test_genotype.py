"""Genotype likelihood ratios: filters, modes of inheritance, phase and family evidence."""

import pytest

from tailormed.model.rare import GenotypeSettings, SampleGenotype, TranscriptConsequence, Variant
from tailormed.rare.acmg import GeneContext
from tailormed.rare.genotype import Family, collect_candidates, evaluate_gene

AD = GeneContext(symbol="GENEA", modes=frozenset({"autosomal_dominant"}), lof_mechanism="likely")
AR = GeneContext(symbol="GENER", modes=frozenset({"autosomal_recessive"}), lof_mechanism="established")
XL = GeneContext(symbol="GENEX", modes=frozenset({"x_linked_recessive"}), lof_mechanism="established")
CONTEXTS = {c.symbol: c for c in (AD, AR, XL)}
SETTINGS = GenotypeSettings()
CHANCE = SETTINGS.chance_rate


def _variant(pos: int, gene: str, consequence: str = "missense_variant", *, af: float | None = None,
             calls: dict[str, SampleGenotype] | None = None, chrom: str = "chr1", revel: float | None = 0.5,
             filter_pass: bool = True) -> Variant:
    annotation = TranscriptConsequence(gene=gene, transcript="NM_1.1", consequences=[consequence], canonical=True,
                                       impact="MODERATE", hgvsc=f"NM_1.1:c.{pos}A>G", gnomad_af=af,
                                       revel=revel if consequence == "missense_variant" else None)
    return Variant(chrom=chrom, pos=pos, ref="A", alt="G", source=f"t.vcf:{pos}", annotated=True,
                   annotations=[annotation], genotypes=calls or {"P": het()}, filter_pass=filter_pass)


def het(**kw: object) -> SampleGenotype:
    return SampleGenotype(alt_count=1, depth=30, genotype_quality=60, **kw)  # type: ignore[arg-type]


def hom() -> SampleGenotype:
    return SampleGenotype(alt_count=2, depth=30, genotype_quality=60)


def ref() -> SampleGenotype:
    return SampleGenotype(alt_count=0, depth=30, genotype_quality=60)


PROBAND = Family(proband="P", affected=frozenset({"P"}))


def _fit(variants: list[Variant], gene: GeneContext, family: Family = PROBAND):  # type: ignore[no-untyped-def]
    candidates, _ = collect_candidates(variants, family, CONTEXTS, SETTINGS)
    return evaluate_gene(candidates.get(gene.symbol, []), gene.modes, family, SETTINGS)


def test_dominant_gene_takes_the_best_allele_odds() -> None:
    fit = _fit([_variant(100, "GENEA"), _variant(200, "GENEA", "stop_gained")], AD)
    assert fit.mode == "autosomal_dominant"
    assert [a.variant.pos for a in fit.alleles] == [200]
    points = fit.alleles[0].acmg.points
    assert fit.likelihood_ratio == pytest.approx(350 ** (points / 8) / CHANCE)


def test_no_qualifying_variant_gives_the_miss_ratio() -> None:
    fit = _fit([_variant(100, "GENEA", af=0.01)], AD)  # too common for a dominant disorder
    assert fit.likelihood_ratio == SETTINGS.miss_lr and not fit.alleles


def test_recessive_needs_two_hits() -> None:
    single = _fit([_variant(100, "GENER", "frameshift_variant")], AR)
    compound = _fit([_variant(100, "GENER", "frameshift_variant"), _variant(300, "GENER", "stop_gained")], AR)
    homozygous = _fit([_variant(100, "GENER", "frameshift_variant", calls={"P": hom()})], AR)
    odds = single.alleles[0].odds
    assert single.likelihood_ratio == pytest.approx(odds * SETTINGS.single_hit_recessive / CHANCE)
    assert compound.likelihood_ratio == pytest.approx(odds * compound.alleles[1].odds / CHANCE**2)
    assert "compound heterozygous (phase unknown)" in compound.explanation
    assert homozygous.likelihood_ratio == pytest.approx(odds / (CHANCE * SETTINGS.homozygous_rate))


def test_parents_show_two_hits_in_cis() -> None:
    family = Family(proband="P", father="F", mother="M", affected=frozenset({"P"}))
    calls = {"P": het(), "F": het(), "M": ref()}
    cis = _fit([_variant(100, "GENER", "frameshift_variant", calls=calls),
                _variant(300, "GENER", "stop_gained", calls=calls)], AR, family)
    trans = _fit([_variant(100, "GENER", "frameshift_variant", calls=calls),
                  _variant(300, "GENER", "stop_gained", calls={"P": het(), "F": ref(), "M": het()})], AR, family)
    assert trans.likelihood_ratio > cis.likelihood_ratio
    assert trans.explanation == "compound heterozygous"
    assert cis.explanation.startswith("one heterozygous variant")


def test_phase_sets_show_cis() -> None:
    first = _variant(100, "GENER", "frameshift_variant",
                     calls={"P": het(phased=True, phase_set=7, haplotype_with_alt=[0])})
    second = _variant(300, "GENER", "stop_gained", calls={"P": het(phased=True, phase_set=7, haplotype_with_alt=[0])})
    cis = _fit([first, second], AR)
    assert cis.explanation.startswith("one heterozygous variant")
    assert cis.likelihood_ratio == pytest.approx(cis.alleles[0].odds * SETTINGS.single_hit_recessive / CHANCE)
    second_trans = _variant(300, "GENER", "stop_gained",
                            calls={"P": het(phased=True, phase_set=7, haplotype_with_alt=[1])})
    trans = _fit([first, second_trans], AR)
    assert trans.explanation == "compound heterozygous" and len(trans.alleles) == 2


def test_unaffected_parent_carrying_a_dominant_allele_counts_against() -> None:
    family = Family(proband="P", father="F", mother="M", affected=frozenset({"P"}))
    inherited = _fit([_variant(200, "GENEA", "stop_gained", calls={"P": het(), "F": het(), "M": ref()})], AD, family)
    plain = _fit([_variant(200, "GENEA", "stop_gained")], AD)
    assert inherited.likelihood_ratio == pytest.approx(plain.likelihood_ratio * SETTINGS.conflict_lr)
    assert "unaffected parent F" in inherited.explanation


def test_de_novo_allele_gains_pm6() -> None:
    family = Family(proband="P", father="F", mother="M", affected=frozenset({"P"}))
    de_novo = _fit([_variant(200, "GENEA", calls={"P": het(), "F": ref(), "M": ref()})], AD, family)
    plain = _fit([_variant(200, "GENEA")], AD)
    assert "PM6" in [c.code for c in de_novo.alleles[0].acmg.criteria]
    assert de_novo.alleles[0].acmg.points == plain.alleles[0].acmg.points + 2


def test_x_linked_recessive_in_a_male_needs_one_hemizygous_hit() -> None:
    male = Family(proband="P", affected=frozenset({"P"}), proband_sex="male")
    hemizygous = SampleGenotype(alt_count=1, ploidy=1, depth=30, genotype_quality=60)
    fit = _fit([_variant(500, "GENEX", "stop_gained", chrom="chrX", calls={"P": hemizygous})], XL, male)
    assert fit.likelihood_ratio == pytest.approx(fit.alleles[0].odds / CHANCE)
    assert fit.alleles[0].zygosity == "hemizygous"
    female = _fit([_variant(500, "GENEX", "stop_gained", chrom="chrX")], XL)
    assert female.likelihood_ratio < fit.likelihood_ratio


def test_consequence_filter_keeps_predicted_splice_effects() -> None:
    synonymous = _variant(10, "GENEA", "synonymous_variant")
    spliced = _variant(11, "GENEA", "synonymous_variant")
    spliced.annotations[0].spliceai_max = 0.5
    candidates, counts = collect_candidates([synonymous, spliced], PROBAND, CONTEXTS, SETTINGS)
    assert counts.no_protein_effect == 1
    assert [a.variant.pos for a in candidates["GENEA"]] == [11]


def test_a_clinvar_pathogenic_allele_passes_the_consequence_and_frequency_filters() -> None:
    # a splice-activating synonymous variant (LMNA c.1824C>T in progeria) with no SpliceAI score in the annotation,
    # and a founder allele above the recessive frequency limit: both ClinVar pathogenic, both kept and classified
    synonymous = _variant(20, "GENEA", "synonymous_variant", revel=None)
    founder = _variant(21, "GENER", af=0.03)
    plain = _variant(22, "GENEA", "synonymous_variant")
    for variant in (synonymous, founder):
        variant.annotations[0].clinvar = ["pathogenic"]
    candidates, counts = collect_candidates([synonymous, founder, plain], PROBAND, CONTEXTS, SETTINGS)
    assert [a.variant.pos for a in candidates["GENEA"]] == [20] and [a.variant.pos for a in candidates["GENER"]] == [21]
    assert (len(counts.clinvar_kept), counts.no_protein_effect, counts.too_common) == (2, 1, 0)
    assert not any(c.code in ("PP5", "PS1") for a in candidates["GENEA"] for c in a.acmg.criteria)  # no evidence
    off = GenotypeSettings(keep_clinvar_pathogenic=False)
    candidates, counts = collect_candidates([synonymous, founder, plain], PROBAND, CONTEXTS, off)
    assert not candidates and (counts.no_protein_effect, counts.too_common, counts.clinvar_kept) == (2, 1, [])


def test_the_clinvar_exemption_is_the_variant_gene_s_not_a_neighbour_s() -> None:
    # VEP repeats CLIN_SIG on a neighbouring gene's downstream entry: that gene gets no exempt candidate
    variant = _variant(30, "GENEA", af=0.03)
    neighbour = TranscriptConsequence(gene="GENER", transcript="NM_2.1", consequences=["downstream_gene_variant"],
                                      canonical=True, impact="MODIFIER", gnomad_af=0.03, clinvar=["pathogenic"])
    variant.annotations[0].clinvar = ["pathogenic"]
    variant.annotations.append(neighbour)
    candidates, counts = collect_candidates([variant], PROBAND, CONTEXTS, SETTINGS)
    assert "GENER" not in candidates and counts.clinvar_kept == ["chr1-30-A-G (GENEA)"]
    # conflicting records at one site ("benign&pathogenic") let nothing through
    conflicting = _variant(31, "GENEA", "synonymous_variant")
    conflicting.annotations[0].clinvar = ["benign", "pathogenic"]
    candidates, counts = collect_candidates([conflicting], PROBAND, CONTEXTS, SETTINGS)
    assert not candidates and counts.no_protein_effect == 1


def test_filters_are_counted() -> None:
    variants = [
        _variant(1, "GENEA", filter_pass=False),
        _variant(2, "GENEA", calls={"P": SampleGenotype(alt_count=1, depth=3, genotype_quality=60)}),
        _variant(3, "GENEA", calls={"P": ref()}),
        _variant(4, "GENER", af=0.2),
        Variant(chrom="chr1", pos=5, ref="A", alt="T", source="t.vcf:5", annotated=False, genotypes={"P": het()}),
        _variant(6, "GENEA"),
    ]
    candidates, counts = collect_candidates(variants, PROBAND, CONTEXTS, SETTINGS)
    assert (counts.failed_quality, counts.not_carried, counts.too_common, counts.unannotated, counts.kept) == (
        2, 1, 1, 1, 1)
    assert [a.variant.pos for a in candidates["GENEA"]] == [6]


def _length_table(**lengths: int):  # type: ignore[no-untyped-def]
    from tailormed.kb.genes import GeneRecord, GeneTable

    return GeneTable({g: GeneRecord(g, "1", "+", 1, 10 * n, n) for g, n in lengths.items()})


def test_background_rate_scales_with_exonic_length() -> None:
    from tailormed.rare.genotype import BACKGROUND_SCALE_BOUNDS, background_scale

    SETTINGS = GenotypeSettings(gene_background="exonic_length")  # noqa: N806 - the module's name, shadowed here
    # mean exonic length 4,000 bp: GENEA (8,000) collects chance findings twice as often, GENER half as often
    table = _length_table(GENEA=8000, GENER=2000, OTHER=2000)
    assert background_scale("GENEA", table, SETTINGS) == pytest.approx(2.0)
    assert background_scale("GENER", table, SETTINGS) == pytest.approx(0.5)
    assert background_scale("UNKNOWN", table, SETTINGS) == 1.0
    assert background_scale("GENEA", None, SETTINGS) == 1.0
    assert background_scale("GENEA", table, GenotypeSettings()) == 1.0  # the default: constant
    extreme = _length_table(GENEA=1_000_000, GENER=1, **{f"G{i}": 1000 for i in range(50)})
    assert background_scale("GENEA", extreme, SETTINGS) == BACKGROUND_SCALE_BOUNDS[1]
    assert background_scale("GENER", extreme, SETTINGS) == BACKGROUND_SCALE_BOUNDS[0]


def test_scaled_background_divides_every_chance_term() -> None:
    candidates, _ = collect_candidates([_variant(100, "GENEA", "stop_gained")], PROBAND, CONTEXTS, SETTINGS)
    plain = evaluate_gene(candidates["GENEA"], AD.modes, PROBAND, SETTINGS)
    long = evaluate_gene(candidates["GENEA"], AD.modes, PROBAND, SETTINGS, scale=4.0)
    assert long.likelihood_ratio == pytest.approx(plain.likelihood_ratio / 4)
    assert long.explanation.endswith("chance rate x4 for the gene's exonic length (longer than the mean)")
    assert "chance rate" not in plain.explanation
    pair = [_variant(100, "GENER", "frameshift_variant"), _variant(300, "GENER", "stop_gained")]
    candidates, _ = collect_candidates(pair, PROBAND, CONTEXTS, SETTINGS)
    plain = evaluate_gene(candidates["GENER"], AR.modes, PROBAND, SETTINGS)
    short = evaluate_gene(candidates["GENER"], AR.modes, PROBAND, SETTINGS, scale=0.5)
    assert short.likelihood_ratio == pytest.approx(plain.likelihood_ratio * 4)  # two hits: (rate x 0.5) squared
    candidates, _ = collect_candidates([_variant(100, "GENER", "frameshift_variant", calls={"P": hom()})], PROBAND,
                                       CONTEXTS, SETTINGS)
    plain = evaluate_gene(candidates["GENER"], AR.modes, PROBAND, SETTINGS)
    short = evaluate_gene(candidates["GENER"], AR.modes, PROBAND, SETTINGS, scale=0.5)
    assert short.likelihood_ratio == pytest.approx(plain.likelihood_ratio * 2)  # homozygous: rate x hom rate


def test_x_linked_recessive_allele_from_an_unaffected_carrier_mother_is_expected() -> None:
    family = Family(proband="P", father="F", mother="M", affected=frozenset({"P"}), proband_sex="male")
    hemizygous = SampleGenotype(alt_count=1, ploidy=1, depth=30, genotype_quality=60)
    from_mother = _fit([_variant(500, "GENEX", "stop_gained", chrom="chrX",
                                 calls={"P": hemizygous, "F": SampleGenotype(alt_count=0, ploidy=1), "M": het()})],
                       XL, family)
    alone = _fit([_variant(500, "GENEX", "stop_gained", chrom="chrX", calls={"P": hemizygous})], XL,
                 Family(proband="P", affected=frozenset({"P"}), proband_sex="male"))
    assert from_mother.likelihood_ratio == pytest.approx(alone.likelihood_ratio)
    assert "unaffected parent" not in from_mother.explanation
    # The same allele carried by an unaffected father (who would be affected) still counts against.
    from_father = _fit([_variant(500, "GENEX", "stop_gained", chrom="chrX",
                                 calls={"P": hemizygous, "F": SampleGenotype(alt_count=1, ploidy=1), "M": ref()})],
                       XL, family)
    assert from_father.likelihood_ratio == pytest.approx(alone.likelihood_ratio * SETTINGS.conflict_lr)
