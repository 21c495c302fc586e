"""ACMG/AMP classification on the points scale: each criterion, its strength boundaries, classes and posteriors."""

from __future__ import annotations

import pytest

from tailormed.model.rare import TranscriptConsequence, Variant
from tailormed.rare.acmg import (
    DEFAULT_SETTINGS,
    AcmgSettings,
    GeneContext,
    choose_transcript,
    classify_variant,
    points_to_class,
    posterior_from_points,
)

AD_ESTABLISHED = GeneContext("GENE1", frozenset({"autosomal_dominant"}), "established")
AR_ESTABLISHED = GeneContext("GENE1", frozenset({"autosomal_recessive"}), "established")


def tx(*consequences: str, **fields: object) -> TranscriptConsequence:
    """A canonical GENE1 transcript with the given SO terms and fields."""
    values: dict[str, object] = {"gene": "GENE1", "transcript": "ENST01", "canonical": True}
    values.update(fields)
    return TranscriptConsequence(consequences=list(consequences), **values)  # type: ignore[arg-type]


def variant(*annotations: TranscriptConsequence, annotated: bool = True) -> Variant:
    return Variant(chrom="1", pos=1000, ref="C", alt="T", source="test.vcf:10", annotated=annotated,
                   annotations=list(annotations))


def codes(result) -> dict[str, tuple[str, int]]:
    return {c.code: (c.strength, c.points) for c in result.criteria}


def computational(annotation: TranscriptConsequence, gene: GeneContext | None = AD_ESTABLISHED,
                  settings: AcmgSettings = DEFAULT_SETTINGS) -> dict[str, tuple[str, int]]:
    """The criteria that fired, leaving out the population ones (PM2, BS1, BA1)."""
    found = codes(classify_variant(variant(annotation), gene, settings))
    return {code: value for code, value in found.items() if code not in ("PM2", "BS1", "BA1")}


def missense(**fields: object) -> TranscriptConsequence:
    return tx("missense_variant", gnomad_af=0.0005, **fields)


# --- classes and posteriors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("points", "expected"), [
    (30, "Pathogenic"), (10, "Pathogenic"), (9, "Likely pathogenic"), (6, "Likely pathogenic"),
    (5, "Uncertain significance"), (0, "Uncertain significance"), (-1, "Likely benign"), (-6, "Likely benign"),
    (-7, "Benign"), (-20, "Benign"),
])
def test_points_to_class_boundaries_follow_tavtigian_2020(points, expected):
    assert points_to_class(points) == expected


@pytest.mark.parametrize(("points", "posterior"), [
    # odds = 350 ** (points / 8); posterior = odds * 0.1 / ((odds - 1) * 0.1 + 1), worked by hand
    (0, 0.1),
    (1, 0.187706381),      # odds 2.0797
    (6, 0.899910028),      # odds 80.92: the likely pathogenic floor of Tavtigian 2018 (0.90)
    (8, 0.974930362),      # odds 350
    (10, 0.994090058),     # odds 1514: the pathogenic floor (0.99)
    (-1, 0.050716017),     # odds 0.4808
    (-7, 0.000659798),     # odds 0.005942
])
def test_posterior_from_points_matches_hand_computed_values(points, posterior):
    assert posterior_from_points(points) == pytest.approx(posterior, abs=1e-6)


def test_posterior_uses_the_prior_and_odds_from_settings():
    # prior 0.2, 8 points: 350 * 0.2 / (349 * 0.2 + 1) = 70 / 70.8
    assert posterior_from_points(8, AcmgSettings(prior=0.2)) == pytest.approx(70 / 70.8, abs=1e-9)


# --- transcript choice ------------------------------------------------------------------------------------------


def test_canonical_transcript_is_chosen_over_a_more_severe_one():
    severe = tx("stop_gained", transcript="ENST_ALT", canonical=False, impact="HIGH")
    canonical = tx("missense_variant", transcript="ENST_CAN", impact="MODERATE")
    assert choose_transcript(variant(severe, canonical)).transcript == "ENST_CAN"


def test_most_severe_consequence_wins_among_non_canonical_transcripts():
    mild = tx("intron_variant", transcript="ENST_A", canonical=False)
    severe = tx("splice_region_variant", "frameshift_variant", transcript="ENST_B", canonical=False)
    assert choose_transcript(variant(mild, severe)).transcript == "ENST_B"


def test_gene_filter_and_no_annotation_for_the_gene():
    other = tx("stop_gained", gene="OTHER", transcript="ENST_O")
    mine = tx("synonymous_variant", transcript="ENST_M", canonical=False)
    assert choose_transcript(variant(other, mine), "GENE1").transcript == "ENST_M"
    assert choose_transcript(variant(other), "GENE1") is None


# --- unannotated and nothing-applicable variants ----------------------------------------------------------------


def test_unannotated_variant_is_uncertain_with_no_criteria():
    result = classify_variant(variant(annotated=False), AD_ESTABLISHED)
    assert (result.classification, result.points, result.criteria) == ("Uncertain significance", 0, [])
    assert result.posterior_pathogenic == pytest.approx(0.1)


def test_annotated_without_transcripts_gets_no_invented_frequency_evidence():
    result = classify_variant(variant(), AD_ESTABLISHED)
    assert (result.classification, result.criteria) == ("Uncertain significance", [])


def test_intronic_variant_absent_from_gnomad_is_vus_with_pm2_only():
    result = classify_variant(variant(tx("intron_variant")), AD_ESTABLISHED)
    assert codes(result) == {"PM2": ("supporting", 1)}
    assert (result.classification, result.points) == ("Uncertain significance", 1)


def test_clinvar_pathogenic_on_the_variant_itself_is_not_a_criterion():
    # PP5 was retired (Biesecker & Harrison 2018): the assertion adds nothing.
    result = classify_variant(variant(tx("3_prime_UTR_variant", clinvar=["pathogenic"])), AD_ESTABLISHED)
    assert codes(result) == {"PM2": ("supporting", 1)}


# --- PVS1 -------------------------------------------------------------------------------------------------------


def test_pvs1_full_strength_for_nmd_predicted_nonsense_with_pm2_is_likely_pathogenic():
    result = classify_variant(variant(tx("stop_gained", exon="3/12")), AD_ESTABLISHED)
    assert codes(result) == {"PVS1": ("very_strong", 8), "PM2": ("supporting", 1)}
    assert "not the last exon" in result.criteria[0].reason
    assert (result.classification, result.points) == ("Likely pathogenic", 9)


def test_pvs1_downgraded_to_strong_in_the_last_exon():
    result = classify_variant(variant(tx("frameshift_variant", exon="12/12")), AD_ESTABLISHED)
    assert codes(result)["PVS1"] == ("strong", 4)
    assert "last exon" in result.criteria[0].reason and "escape NMD" in result.criteria[0].reason


def test_pvs1_exon_range_touching_the_last_exon_counts_as_last_exon():
    assert computational(tx("frameshift_variant", exon="11-12/12", gnomad_af=0.0005))["PVS1"] == ("strong", 4)


def test_pvs1_single_exon_gene_and_unknown_exon_are_strong():
    assert computational(tx("stop_gained", exon="1/1", gnomad_af=0.0005))["PVS1"] == ("strong", 4)
    assert computational(tx("stop_gained", gnomad_af=0.0005))["PVS1"] == ("strong", 4)


def test_pvs1_start_lost_is_moderate():
    assert computational(tx("start_lost", exon="1/5", gnomad_af=0.0005))["PVS1"] == ("moderate", 2)


def test_pvs1_transcript_ablation_is_very_strong():
    assert computational(tx("transcript_ablation", gnomad_af=0.0005))["PVS1"] == ("very_strong", 8)


def test_pvs1_canonical_splice_site_is_strong_by_default_and_configurable():
    splice = tx("splice_donor_variant", intron="4/11", gnomad_af=0.0005)
    assert computational(splice)["PVS1"] == ("strong", 4)
    assert computational(splice, settings=AcmgSettings(canonical_splice_pvs1="very_strong"))["PVS1"] == (
        "very_strong", 8)


def test_pvs1_one_step_down_when_lof_mechanism_is_only_likely():
    likely = GeneContext("GENE1", frozenset({"autosomal_dominant"}), "likely")
    result = classify_variant(variant(tx("stop_gained", exon="3/12")), likely)
    assert codes(result)["PVS1"] == ("strong", 4)
    assert "likely mechanism" in result.criteria[0].reason
    assert computational(tx("start_lost", exon="1/5", gnomad_af=0.0005), likely)["PVS1"] == ("supporting", 1)


def test_pvs1_not_applied_when_lof_mechanism_unknown_or_gene_unknown():
    unknown = GeneContext("GENE1", frozenset({"autosomal_dominant"}))
    assert "PVS1" not in computational(tx("stop_gained", exon="3/12", gnomad_af=0.0005), unknown)
    assert "PVS1" not in computational(tx("stop_gained", exon="3/12", gnomad_af=0.0005), None)


def test_pvs1_not_applied_where_curation_says_loss_of_function_is_not_the_mechanism():
    from tailormed.kb.gene_evidence import builtin_lof_table
    from tailormed.rare.engine import gene_contexts

    gain = GeneContext("GENE1", frozenset({"autosomal_dominant"}), "not_lof", lof_source="curation")
    assert "PVS1" not in computational(tx("stop_gained", exon="3/12", gnomad_af=0.0005), gain)
    assert "PVS1" not in computational(tx("frameshift_variant", exon="3/12", gnomad_af=0.0005), gain)
    table = builtin_lof_table()
    # the RASopathy genes the ClinGen RAS EP (Gelb 2018) lists PVS1 as not applicable for; PTPN11 and SOS1 also have
    # a loss-of-function or truncating-variant disorder and stay out
    for gene in ("HRAS", "KRAS", "BRAF", "MAP2K1", "MAP2K2", "RAF1"):
        assert table[gene][0] == "not_lof" and "29493581" in table[gene][1]
    assert "PTPN11" not in table and "SOS1" not in table
    assert table["FBN1"][0] == "established"

    class _Hpo:  # the two things gene_contexts reads from the HPO knowledge
        genes = ["HRAS"]
        disease_modes = [["autosomal_dominant"]]

        def diseases_of_gene(self, gene: str) -> list[int]:
            return [0]

    context = gene_contexts(_Hpo(), builtin_lof=table)["HRAS"]  # type: ignore[arg-type]
    assert context.lof_mechanism == "not_lof" and not context.lof_from_default


def test_splicing_pp3_is_not_added_to_pvs1_but_used_when_pvs1_is_not_applied():
    splice = tx("splice_acceptor_variant", spliceai_max=0.95, gnomad_af=0.0005)
    assert computational(splice) == {"PVS1": ("strong", 4)}
    unknown = GeneContext("GENE1", frozenset(), "unknown")
    assert computational(splice, unknown) == {"PP3": ("supporting", 1)}


# --- PM2, BA1, BS1 ----------------------------------------------------------------------------------------------


def test_pm2_absent_and_at_the_dominant_limit():
    assert codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.0)), AD_ESTABLISHED)) == {
        "PM2": ("supporting", 1)}
    assert "PM2" in codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.00002)), AD_ESTABLISHED))
    assert "PM2" not in codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.000021)), AD_ESTABLISHED))


def test_pm2_recessive_limit_applies_only_when_every_disease_is_recessive():
    rare = variant(tx("intron_variant", gnomad_af=0.00007))
    assert "PM2" in codes(classify_variant(rare, AR_ESTABLISHED))
    assert "PM2" not in codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.000071)), AR_ESTABLISHED))
    both = GeneContext("GENE1", frozenset({"autosomal_recessive", "autosomal_dominant"}), "established")
    assert "PM2" not in codes(classify_variant(rare, both))


def test_ba1_boundary_is_strictly_above_five_percent():
    at_limit = classify_variant(variant(tx("intron_variant", gnomad_af=0.05)), AD_ESTABLISHED)
    assert codes(at_limit) == {"BS1": ("strong", -4)}
    above = classify_variant(variant(tx("intron_variant", gnomad_af=0.0501)), AD_ESTABLISHED)
    assert codes(above) == {"BA1": ("stand_alone", -8)}
    assert above.classification == "Benign"


def test_ba1_overrides_pathogenic_points():
    result = classify_variant(variant(tx("stop_gained", exon="3/12", gnomad_af=0.2)), AD_ESTABLISHED)
    assert codes(result) == {"PVS1": ("very_strong", 8), "BA1": ("stand_alone", -8)}
    assert result.points == 0 and points_to_class(result.points) == "Uncertain significance"
    assert result.classification == "Benign"


def test_ba1_exception_list_leaves_frequency_evidence_out():
    settings = AcmgSettings(ba1_exceptions=frozenset({"1-1000-C-T"}))
    result = classify_variant(variant(tx("stop_gained", exon="3/12", gnomad_af=0.2)), AD_ESTABLISHED, settings)
    assert codes(result) == {"PVS1": ("very_strong", 8)}
    assert result.classification == "Likely pathogenic"


def test_ba1_exception_list_and_vcf_may_spell_the_chromosome_differently():
    # The BA1 list was compared with the key as the VCF wrote it, so 'chr1-1000-C-T' missed '1-1000-C-T' (while the
    # ClinVar keys of the same module were compared without the prefix).
    on_chr1 = variant(tx("stop_gained", exon="3/12", gnomad_af=0.2)).model_copy(update={"chrom": "chr1"})
    for listed in ("1-1000-C-T", "chr1-1000-C-T"):
        result = classify_variant(on_chr1, AD_ESTABLISHED, AcmgSettings(ba1_exceptions=frozenset({listed})))
        assert codes(result) == {"PVS1": ("very_strong", 8)}


def test_bs1_dominant_limit():
    assert "BS1" not in codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.001)), AD_ESTABLISHED))
    assert codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.0011)), AD_ESTABLISHED)) == {
        "BS1": ("strong", -4)}


def test_bs1_recessive_limit_used_for_recessive_mixed_and_unknown_genes():
    common = variant(tx("intron_variant", gnomad_af=0.005))
    both = GeneContext("GENE1", frozenset({"autosomal_recessive", "autosomal_dominant"}), "established")
    for gene in (AR_ESTABLISHED, both, None):
        assert "BS1" not in codes(classify_variant(common, gene))
    assert "BS1" in codes(classify_variant(variant(tx("intron_variant", gnomad_af=0.0101)), AR_ESTABLISHED))


def test_largest_af_over_annotations_is_used():
    result = classify_variant(variant(tx("intron_variant"), tx("intron_variant", transcript="ENST02",
                                                               gnomad_af=0.002)), AD_ESTABLISHED)
    assert codes(result) == {"BS1": ("strong", -4)}


# --- PP3 / BP4: REVEL, CADD, SpliceAI ---------------------------------------------------------------------------


@pytest.mark.parametrize(("revel", "expected"), [
    (0.932, {"PP3": ("strong", 4)}), (0.9319, {"PP3": ("moderate", 2)}),
    (0.773, {"PP3": ("moderate", 2)}), (0.7729, {"PP3": ("supporting", 1)}),
    (0.644, {"PP3": ("supporting", 1)}), (0.6439, {}),
    (0.2901, {}), (0.290, {"BP4": ("supporting", -1)}),
    (0.1831, {"BP4": ("supporting", -1)}), (0.183, {"BP4": ("moderate", -2)}),
    (0.0161, {"BP4": ("moderate", -2)}), (0.016, {"BP4": ("strong", -4)}),
    (0.003, {"BP4": ("strong", -4)}),  # very strong interval capped at strong by default
])
def test_revel_thresholds_of_pejaver_2022(revel, expected):
    assert computational(missense(revel=revel)) == expected


def test_revel_very_strong_benign_when_allowed():
    settings = AcmgSettings(computational_very_strong_benign=True)
    assert computational(missense(revel=0.003), settings=settings) == {"BP4": ("very_strong", -8)}
    assert computational(missense(revel=0.0031), settings=settings) == {"BP4": ("strong", -4)}


@pytest.mark.parametrize(("cadd", "expected"), [
    (28.1, {"PP3": ("moderate", 2)}), (28.09, {"PP3": ("supporting", 1)}), (25.3, {"PP3": ("supporting", 1)}),
    (25.29, {}), (22.71, {}), (22.7, {"BP4": ("supporting", -1)}), (17.3, {"BP4": ("moderate", -2)}),
    (0.15, {"BP4": ("strong", -4)}),
])
def test_cadd_thresholds_used_only_without_revel(cadd, expected):
    assert computational(missense(cadd_phred=cadd)) == expected


def test_revel_is_preferred_over_cadd():
    assert computational(missense(revel=0.5, cadd_phred=35.0)) == {}


def test_spliceai_on_missense_gives_pp3_once_at_the_stronger_strength():
    assert computational(missense(revel=0.5, spliceai_max=0.2)) == {"PP3": ("supporting", 1)}
    assert computational(missense(revel=0.8, spliceai_max=0.9)) == {"PP3": ("moderate", 2)}


def test_missense_bp4_withheld_when_splicing_is_predicted_or_uncertain():
    assert computational(missense(revel=0.1, spliceai_max=0.25)) == {"PP3": ("supporting", 1)}
    assert computational(missense(revel=0.1, spliceai_max=0.15)) == {}
    assert computational(missense(revel=0.1, spliceai_max=0.1)) == {"BP4": ("moderate", -2)}


def test_spliceai_thresholds_for_splice_region_intronic_variants():
    region = ("splice_region_variant", "intron_variant")
    assert computational(tx(*region, spliceai_max=0.2, gnomad_af=0.0005)) == {"PP3": ("supporting", 1)}
    assert computational(tx(*region, spliceai_max=0.1999, gnomad_af=0.0005)) == {}
    assert computational(tx(*region, spliceai_max=0.1, gnomad_af=0.0005)) == {"BP4": ("supporting", -1)}


def test_no_benign_computational_evidence_for_inframe_or_utr_variants():
    assert computational(tx("inframe_deletion", spliceai_max=0.0, gnomad_af=0.0005)) == {}
    assert computational(tx("5_prime_UTR_variant", spliceai_max=0.0, gnomad_af=0.0005)) == {}
    assert computational(tx("inframe_deletion", spliceai_max=0.3, gnomad_af=0.0005)) == {"PP3": ("supporting", 1)}


# --- BP7 --------------------------------------------------------------------------------------------------------


def test_bp7_synonymous_spliceai_boundary():
    assert computational(tx("synonymous_variant", spliceai_max=0.1, gnomad_af=0.0005)) == {"BP7": ("supporting", -1)}
    assert computational(tx("synonymous_variant", spliceai_max=0.11, gnomad_af=0.0005)) == {}
    assert computational(tx("synonymous_variant", spliceai_max=0.2, gnomad_af=0.0005)) == {"PP3": ("supporting", 1)}


def test_bp7_synonymous_without_spliceai_only_away_from_splice_sites():
    assert computational(tx("synonymous_variant", gnomad_af=0.0005)) == {"BP7": ("supporting", -1)}
    assert computational(tx("splice_region_variant", "synonymous_variant", gnomad_af=0.0005)) == {}


def test_bp7_deep_intronic_needs_a_spliceai_score():
    assert computational(tx("intron_variant", spliceai_max=0.05, gnomad_af=0.0005)) == {"BP7": ("supporting", -1)}
    assert computational(tx("intron_variant", gnomad_af=0.0005)) == {}


def test_common_synonymous_variant_in_dominant_gene_is_likely_benign():
    result = classify_variant(variant(tx("synonymous_variant", spliceai_max=0.01, gnomad_af=0.002)), AD_ESTABLISHED)
    assert codes(result) == {"BS1": ("strong", -4), "BP7": ("supporting", -1)}
    assert (result.classification, result.points) == ("Likely benign", -5)


# --- PS1 / PM5 --------------------------------------------------------------------------------------------------


def gene_with(changes: dict[str, str]) -> GeneContext:
    return GeneContext("GENE1", frozenset({"autosomal_dominant"}), "established", changes)


def test_ps1_same_amino_acid_change_as_known_pathogenic():
    change = missense(hgvsp="ENSP01:p.Arg123Trp", amino_acids="R/W")
    assert computational(change, gene_with({"p.Arg123Trp": "pathogenic"})) == {"PS1": ("strong", 4)}
    assert computational(change, gene_with({"p.Arg123Trp": "likely_pathogenic"})) == {"PS1": ("moderate", 2)}


def test_ps1_not_applied_when_the_variant_is_itself_the_known_pathogenic_one():
    own = missense(hgvsp="ENSP01:p.Arg123Trp", clinvar=["pathogenic"])
    assert computational(own, gene_with({"p.Arg123Trp": "pathogenic"})) == {}


def test_a_known_pathogenic_mitochondrial_variant_is_recognised_as_itself():
    # ClinVar keys spell the mitochondrion 'MT'; a 'chrM' VCF used to give the key 'M-…', so the variant counted as
    # a different nucleotide change with the same protein change (PS1 for itself).
    own = missense(hgvsp="ENSP01:p.Arg123Trp")
    gene = GeneContext("GENE1", frozenset({"mitochondrial"}), "established", {"p.Arg123Trp": "pathogenic"},
                       known_pathogenic_variants=frozenset({"MT-1000-C-T"}))
    on_chrm = variant(own).model_copy(update={"chrom": "chrM"})
    assert {c.code for c in classify_variant(on_chrm, gene).criteria} & {"PS1", "PM5"} == set()
    elsewhere = on_chrm.model_copy(update={"pos": 1001})
    assert "PS1" in {c.code for c in classify_variant(elsewhere, gene).criteria}


def test_pm5_other_missense_at_the_same_residue():
    change = missense(hgvsp="ENSP01:p.Arg123Trp")
    assert computational(change, gene_with({"p.Arg123Gln": "pathogenic"})) == {"PM5": ("moderate", 2)}
    assert computational(change, gene_with({"p.R123Q": "likely pathogenic"})) == {"PM5": ("supporting", 1)}
    assert computational(change, gene_with({"p.Arg123Ter": "pathogenic", "p.Arg124Gln": "pathogenic"})) == {}


def test_ps1_combines_with_pp3_and_pm2_to_likely_pathogenic():
    change = tx("missense_variant", hgvsp="ENSP01:p.Arg123Trp", revel=0.95)
    result = classify_variant(variant(change), gene_with({"p.Arg123Trp": "pathogenic"}))
    assert codes(result) == {"PS1": ("strong", 4), "PM2": ("supporting", 1), "PP3": ("strong", 4)}
    assert [c.code for c in result.criteria] == ["PS1", "PM2", "PP3"]
    assert (result.classification, result.points) == ("Likely pathogenic", 9)
    assert result.posterior_pathogenic == pytest.approx(0.987787, abs=1e-6)  # odds 727.91: 72.791 / 73.691
