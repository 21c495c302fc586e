"""The alteration language: parsing and what each form means for a tumour."""

import pytest

from tailormed.errors import InputError
from tailormed.kb.onco import GeneRole
from tailormed.model.alterations import (
    ExonClass,
    FusionPair,
    GeneClass,
    ProteinChange,
    ScoredMarker,
    Signature,
    normalise_protein_change,
    parse_alteration,
)
from tailormed.model.onco import ClinicalBiomarkers, CopyNumberCall, Fusion, SomaticVariant, TumourProfile
from tailormed.onco.matching import build_facts, match_pattern, unknown_status


def variant(gene: str, change: str | None, consequence: str = "missense", **extra: object) -> SomaticVariant:
    return SomaticVariant(gene=gene, protein_change=change, consequence=consequence, source="test:1",  # type: ignore[arg-type]
                          **extra)  # type: ignore[arg-type]


def facts_for(*variants: SomaticVariant, cna: tuple[CopyNumberCall, ...] = (), fusions: tuple[Fusion, ...] = (),
              clinical: ClinicalBiomarkers | None = None, genes: dict[str, GeneRole] | None = None,
              tmb: float | None = None):  # type: ignore[no-untyped-def]
    profile = TumourProfile(sample_id="t", tumour_type="LUAD", variants=list(variants), copy_number=list(cna),
                            fusions=list(fusions), clinical=clinical or ClinicalBiomarkers())
    return build_facts(profile, genes or {}, computed_tmb=tmb)


def matches(text: str, facts) -> list[str] | None:  # type: ignore[no-untyped-def]
    found = match_pattern(parse_alteration(text), facts)
    return None if found is None else found.satisfied_by


@pytest.mark.parametrize(("raw", "expected"), [
    ("p.Val600Glu", "V600E"), ("p.V600E", "V600E"), ("p.(Gly12Cys)", "G12C"), ("p.Arg273Ter", "R273*"),
    ("E746_A750del", "E746_A750del"), ("p.Trp288CysfsTer12", "W288Cfs*12"), ("R100X", "R100*"),
])
def test_protein_changes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_protein_change(raw) == expected


def test_each_form_parses_to_its_kind() -> None:
    assert parse_alteration("BRAF V600E").alternatives == (ProteinChange("BRAF", "V", 600, "E", "V600E"),)
    assert parse_alteration("KRAS G12").alternatives[0] == ProteinChange("KRAS", "G", 12, None, "G12")
    assert parse_alteration("EGFR exon 19 deletion").alternatives[0] == ExonClass("EGFR", 19, "deletion")
    assert parse_alteration("germline BRCA2 oncogenic").alternatives[0] == GeneClass("BRCA2", "oncogenic", "germline")
    assert parse_alteration("BCR::ABL1 fusion").alternatives[0] == FusionPair("BCR", "ABL1")
    assert parse_alteration("MSI-H").alternatives[0] == Signature("MSI-H")
    assert parse_alteration("PD-L1 CPS >= 10").alternatives[0] == ScoredMarker("PD-L1", "CPS", 10.0)
    both = parse_alteration("EGFR exon 19 deletion | EGFR L858R")
    assert len(both.alternatives) == 2 and both.genes == {"EGFR"}


@pytest.mark.parametrize("bad", ["KRAS", "KRAS sometimes", "PD-L1 XYZ >= 5", "B@D V600E", "BRAF 600E", "BRAF J600E"])
def test_malformed_alterations_are_errors_naming_the_place(bad: str) -> None:
    with pytest.raises(InputError) as error:
        parse_alteration(bad, source="pack.yaml", location="records.3")
    assert "pack.yaml:records.3" in str(error.value)


def test_exact_codon_and_complex_protein_changes() -> None:
    facts = facts_for(variant("BRAF", "V600K"), variant("KRAS", "G12D"),
                      variant("EGFR", "E746_A750del", "inframe_deletion", exon=19))
    assert matches("BRAF V600E", facts) is None
    assert matches("BRAF V600", facts) == ["BRAF V600K"]
    assert matches("KRAS G12", facts) == ["KRAS G12D"]
    assert matches("KRAS G13", facts) is None
    assert matches("EGFR E746_A750del", facts) == ["EGFR E746_A750del"]


def test_exon_classes_use_annotation_or_codon_ranges() -> None:
    roles = {"EGFR": GeneRole(role="oncogene", exon_codons={19: (729, 761), 20: (762, 823)})}
    no_exon = facts_for(variant("EGFR", "L747_P753delinsS", "inframe_deletion"),
                        variant("EGFR", "D770_N771insSVD", "inframe_insertion"), genes=roles)
    assert matches("EGFR exon 19 deletion", no_exon) == ["EGFR L747_P753delinsS"]
    assert matches("EGFR exon 20 insertion", no_exon) == ["EGFR D770_N771insSVD"]
    assert matches("EGFR exon 21 mutation", no_exon) is None
    met = facts_for(variant("MET", "X1010_splice", "splice_site", intron=14))
    assert matches("MET exon 14 skipping", met) == ["MET X1010_splice"]
    assert matches("MET exon 14 skipping", facts_for(variant("MET", "Y1003C"))) is None


def test_gene_classes() -> None:
    roles = {"BRCA2": GeneRole(role="tumour_suppressor"), "KRAS": GeneRole(role="oncogene", hotspots=["G12", "Q61"])}
    facts = facts_for(variant("BRCA2", "K1000fs", "frameshift", origin="germline"), variant("KRAS", "G12C"),
                      variant("KRAS", "E31K"), variant("TP53", "R175H", clinical_significance="Pathogenic"),
                      cna=(CopyNumberCall(gene="CDKN2A", call="deep_deletion", source="c:1"),
                           CopyNumberCall(gene="ERBB2", call="amplification", source="c:2")), genes=roles)
    assert matches("BRCA2 oncogenic", facts) == ["BRCA2 K1000fs (germline)"]
    assert matches("germline BRCA2 oncogenic", facts) == ["BRCA2 K1000fs (germline)"]
    assert matches("somatic BRCA2 oncogenic", facts) is None
    assert matches("KRAS oncogenic", facts) == ["KRAS G12C"]  # E31K is neither hotspot nor marked pathogenic
    assert matches("KRAS mutation", facts) == ["KRAS G12C", "KRAS E31K"]
    assert matches("TP53 oncogenic", facts) == ["TP53 R175H"]
    assert matches("CDKN2A deletion", facts) == ["CDKN2A deep deletion"]
    assert matches("CDKN2A oncogenic", facts) == ["CDKN2A deep deletion"]
    assert matches("ERBB2 amplification", facts) == ["ERBB2 amplification"]
    assert matches("KRAS wildtype", facts) is None
    wild = match_pattern(parse_alteration("NRAS wildtype"), facts)
    assert wild is not None and wild.inferred


def test_fusions_in_either_order_and_intragenic_events() -> None:
    facts = facts_for(fusions=(Fusion(gene_a="ALK", gene_b="EML4", description="ALK-EML4", source="f:1"),
                               Fusion(gene_a="EGFR", kind="intragenic", description="EGFR-intragenic", source="f:2")))
    assert matches("EML4::ALK fusion", facts) == ["ALK-EML4"]
    assert matches("ALK fusion", facts) == ["ALK-EML4"]
    assert matches("EGFR fusion", facts) is None
    assert matches("EGFR rearrangement", facts) == ["EGFR-intragenic"]


def test_signatures_and_scored_markers() -> None:
    clinical = ClinicalBiomarkers(msi_status="MSI-H", her2_ihc="2+", her2_ish="amplified", pdl1={"TPS": 60},
                                  er="positive")
    facts = facts_for(clinical=clinical, tmb=12.0)
    assert matches("MSI-H", facts) and matches("TMB-H", facts)
    assert matches("HER2-positive", facts) and matches("HER2-low", facts) is None
    assert matches("PD-L1 TPS >= 50", facts) == ["PD-L1 TPS 60"]
    assert matches("PD-L1 CPS >= 1", facts) is None
    assert matches("HR-positive", facts) and matches("ER-negative", facts) is None
    low = facts_for(clinical=ClinicalBiomarkers(her2_ihc="1+"), tmb=9.9)
    assert matches("HER2-low", low) and matches("HER2-negative", low) and matches("TMB-H", low) is None


def test_dmmr_is_inferred_only_from_biallelic_mmr_loss() -> None:
    roles = {"MLH1": GeneRole(role="tumour_suppressor", mmr=True)}
    one_hit = facts_for(variant("MLH1", "R100*", "nonsense", vaf=0.4), genes=roles)
    assert matches("dMMR", one_hit) is None
    two_hits = facts_for(variant("MLH1", "R100*", "nonsense", vaf=0.4), variant("MLH1", "K200fs", "frameshift",
                                                                                   vaf=0.35), genes=roles)
    inferred = match_pattern(parse_alteration("dMMR"), two_hits)
    assert inferred is not None and inferred.inferred and "MLH1" in inferred.satisfied_by[0]
    reported = facts_for(clinical=ClinicalBiomarkers(mmr_status="pMMR"), genes=roles)
    assert matches("dMMR", reported) is None and matches("pMMR", reported)


def untold(text: str, facts) -> str | None:  # type: ignore[no-untyped-def]
    return unknown_status(parse_alteration(text), facts)


@pytest.mark.parametrize(("requirement", "clinical", "tmb", "expected"), [
    # Not given: the requirement is undecided, and the result says which status is missing.
    ("HR-positive", ClinicalBiomarkers(), None, "ER/PR status not given"),
    ("HR-positive", ClinicalBiomarkers(er="negative"), None, "PR status not given"),
    ("ER-positive", ClinicalBiomarkers(pr="positive"), None, "ER status not given"),
    ("HER2-negative", ClinicalBiomarkers(), None, "HER2 IHC score not given"),
    ("HER2-positive", ClinicalBiomarkers(), None, "HER2 status (IHC/ISH) not given"),
    ("PD-L1 TPS >= 50", ClinicalBiomarkers(), None, "PD-L1 score not given"),
    ("PD-L1 TC >= 50 | PD-L1 IC >= 10", ClinicalBiomarkers(), None, "PD-L1 score not given"),
    ("MSI-H | dMMR", ClinicalBiomarkers(), None, "MSI/MMR status not given"),
    ("pMMR | MSS", ClinicalBiomarkers(), None, "MSI/MMR status not given"),
    ("TMB-H", ClinicalBiomarkers(), None, "TMB not given (no callable territory, no laboratory TMB)"),
    ("HRD | BRCA1 oncogenic", ClinicalBiomarkers(), None, "HRD status not given"),
    # Given and not met: known, so None (the option is excluded).
    ("HR-positive", ClinicalBiomarkers(er="negative", pr="negative"), None, None),
    ("HER2-negative", ClinicalBiomarkers(her2_ish="amplified"), None, None),
    ("HER2-positive", ClinicalBiomarkers(her2_ihc="1+"), None, None),
    ("PD-L1 TPS >= 50", ClinicalBiomarkers(pdl1={"TPS": 10}), None, None),
    ("PD-L1 TPS >= 50", ClinicalBiomarkers(pdl1={"CPS": 60}), None, None),  # the laboratory scored what it scored
    ("dMMR", ClinicalBiomarkers(msi_status="MSS"), None, None),  # either MSI or MMR testing decides both
    ("TMB-H", ClinicalBiomarkers(), 4.0, None),
    ("BRAF V600E", ClinicalBiomarkers(), None, None),  # an unreported variant is absent, not unknown
])
def test_statuses_not_given_leave_a_requirement_undecided(requirement: str, clinical: ClinicalBiomarkers,
                                                          tmb: float | None, expected: str | None) -> None:
    facts = facts_for(clinical=clinical, tmb=tmb)
    assert matches(requirement, facts) is None
    assert untold(requirement, facts) == expected


def test_every_finding_meeting_a_requirement_is_listed() -> None:
    facts = facts_for(variant("KRAS", "G12C"), variant("NRAS", "Q61K"))
    assert matches("KRAS G12 | NRAS Q61", facts) == ["KRAS G12C", "NRAS Q61K"]
