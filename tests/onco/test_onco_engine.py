"""Tiering, tumour-type scope and transfer rules of the oncology engine, on a small test pack."""

from pathlib import Path

import pytest
import yaml
from tiny_oncotree import TinyTree

from tailormed.errors import KnowledgeError
from tailormed.kb.onco import load_onco_knowledge
from tailormed.model.common import Provenance
from tailormed.model.onco import ClinicalBiomarkers, CopyNumberCall, SomaticVariant, TumourProfile
from tailormed.onco.engine import assign_tier, interpret_tumour


def record(rid: str, alterations: list[str], tumours: list[str], evidence: str = "fda",
           response: str = "sensitive", drugs: list[str] | None = None) -> dict[str, object]:
    return {"id": rid, "alterations": alterations, "tumour_types": tumours, "therapy": rid, "drugs": drugs or [rid],
            "response": response, "evidence": evidence, "summary": f"test record {rid} summary", "sources": ["label"]}


def write_pack(folder: Path, records: list[dict[str, object]]) -> Path:
    (folder / "evidence").mkdir(parents=True)
    (folder / "manifest.yaml").write_text(yaml.safe_dump({
        "name": "test-onco", "version": "1", "date": "2026-11-25", "kind": "onco", "description": "test",
        "licence": "test", "sources": [{"id": "label", "citation": "A test label, revised 2025."}]}))
    (folder / "evidence" / "test.yaml").write_text(yaml.safe_dump({"records": records}))
    (folder / "genes.yaml").write_text(yaml.safe_dump({"genes": {
        "BRAF": {"role": "oncogene", "hotspots": ["V600"]}, "MLH1": {"role": "tumour_suppressor", "mmr": True}}}))
    return folder


RECORDS = [
    record("braf-mel", ["BRAF V600E | BRAF V600K"], ["MEL"]),
    record("braf-solid-trial", ["BRAF V600"], ["SOLID"], evidence="clinical-trial"),
    record("braf-crc-combo", ["BRAF V600E"], ["COADREAD"], drugs=["encorafenib", "cetuximab"]),
    record("egfr-nsclc", ["EGFR exon 19 deletion | EGFR L858R"], ["NSCLC"]),
    record("egfr-t790m-resist", ["EGFR T790M"], ["NSCLC"], response="resistant", evidence="guideline"),
    record("pdl1-nsclc", ["PD-L1 TPS >= 50", "EGFR wildtype"], ["NSCLC"], drugs=["pembrolizumab"]),
    record("msi-solid", ["MSI-H | dMMR"], ["SOLID"], drugs=["pembrolizumab"]),
    record("aml-study", ["BRAF V600E"], ["AML"], evidence="clinical-study"),
    record("hrd-or-brca-ovary", ["HRD | BRCA1 oncogenic"], ["LUAD"], drugs=["olaparib"]),
    dict(record("braf-solid-not-crc", ["BRAF V600E"], ["SOLID"], drugs=["dabrafenib"]),
         excluded_tumour_types=["COADREAD"]),
]


def run(tmp_path: Path, tumour_type: str, variants: list[SomaticVariant], **profile: object):  # type: ignore[no-untyped-def]
    pack = tmp_path / "pack"
    knowledge = load_onco_knowledge(str(pack if pack.exists() else write_pack(pack, RECORDS)))
    tumour = TumourProfile(sample_id="T1", tumour_type=tumour_type, variants=variants, **profile)  # type: ignore[arg-type]
    provenance = Provenance(software="t", software_version="0", knowledge=[], created="now")
    return interpret_tumour(tumour, knowledge, TinyTree(), tumour_type_name=tumour_type, provenance=provenance)


def braf(change: str = "V600E") -> SomaticVariant:
    return SomaticVariant(gene="BRAF", protein_change=change, consequence="missense", source="m:2")


@pytest.mark.parametrize(("evidence", "same", "tier"), [
    ("fda", True, "I-A"), ("guideline", True, "I-A"), ("clinical-trial", True, "I-B"), ("clinical-study", True, "II-C"),
    ("preclinical", True, "II-D"), ("fda", False, "II-C"), ("clinical-trial", False, "II-C"),
    ("clinical-study", False, "II-D"), ("case-report", False, "II-D"),
])
def test_tier_table(evidence: str, same: bool, tier: str) -> None:
    assert assign_tier(evidence, same) == tier


def test_same_tumour_first_then_other_tumour_types(tmp_path: Path) -> None:
    result = run(tmp_path, "MEL", [braf()])
    tiers = [(o.record_id, o.tier, o.tumour_match) for o in result.therapies]
    assert tiers == [("braf-mel", "I-A", "same"), ("braf-solid-not-crc", "I-A", "same"),
                     ("braf-solid-trial", "I-B", "same"),
                     ("braf-crc-combo", "II-C", "other"), ("aml-study", "II-D", "other")]
    assert result.alterations[0].label == "BRAF V600E" and result.alterations[0].tier == "I-A"
    assert result.alterations[0].oncogenic


def test_codon_records_and_other_alleles(tmp_path: Path) -> None:
    result = run(tmp_path, "COADREAD", [braf("V600K")])
    assert {o.record_id for o in result.therapies} == {"braf-solid-trial", "braf-mel"}
    crc = run(tmp_path / "e", "COADREAD", [braf()])
    excluded = next(o for o in crc.therapies if o.record_id == "braf-solid-not-crc")
    assert excluded.tumour_match == "other" and "excludes this tumour type" in excluded.caveats[0]
    assert next(o for o in result.therapies if o.record_id == "braf-mel").tier == "II-C"


def test_tumour_specific_requirements_do_not_transfer(tmp_path: Path) -> None:
    clinical = ClinicalBiomarkers(pdl1={"TPS": 80})
    lung = run(tmp_path, "LUAD", [], clinical=clinical)
    assert [(o.record_id, o.tier) for o in lung.therapies] == [("pdl1-nsclc", "I-A")]
    assert lung.therapies[0].matched[1].inferred  # EGFR wild type is inferred from absence
    assert any("inferred" in c for c in lung.therapies[0].caveats)
    assert run(tmp_path, "MEL", [], clinical=clinical).therapies == []
    egfr = SomaticVariant(gene="EGFR", protein_change="L858R", consequence="missense", source="m:3")
    with_egfr = run(tmp_path, "LUAD", [egfr], clinical=clinical)
    assert [o.record_id for o in with_egfr.therapies] == ["egfr-nsclc"]


def test_resistance_is_reported_apart(tmp_path: Path) -> None:
    variants = [SomaticVariant(gene="EGFR", protein_change=c, consequence="missense", source="m") for c in
                ("L858R", "T790M")]
    result = run(tmp_path, "LUAD", variants)
    assert {(o.record_id, o.response) for o in result.therapies} == {("egfr-nsclc", "sensitive"),
                                                                    ("egfr-t790m-resist", "resistant")}


def test_inferred_dmmr_and_immunotherapy_summary(tmp_path: Path) -> None:
    hits = [SomaticVariant(gene="MLH1", protein_change="R100*", consequence="nonsense", vaf=0.9, source="m:4"),
            SomaticVariant(gene="POLE", protein_change="P286R", consequence="missense", source="m:5")]
    result = run(tmp_path, "COADREAD", hits)
    option = next(o for o in result.therapies if o.record_id == "msi-solid")
    assert option.tier == "I-A" and option.matched[0].inferred
    io = result.immunotherapy
    assert io.mmr_status == "dMMR (inferred)" and io.checkpoint_options == ["msi-solid"]
    assert io.polymerase_mutations == ["POLE P286R (exonuclease domain)"]
    reported = run(tmp_path, "COADREAD", hits, clinical=ClinicalBiomarkers(mmr_status="pMMR"))
    assert all(o.record_id != "msi-solid" for o in reported.therapies)


def test_copy_number_alterations_are_listed(tmp_path: Path) -> None:
    result = run(tmp_path, "LUAD", [], copy_number=[CopyNumberCall(gene="MET", call="amplification", source="c:1")])
    assert [(a.label, a.tier, a.kind) for a in result.alterations] == [("MET amplification", "III", "copy_number")]


def test_pack_errors_name_the_record(tmp_path: Path) -> None:
    bad = [record("broken", ["BRAF V600E!"], ["MEL"])]
    with pytest.raises(KnowledgeError, match=r"test.yaml:records.0 \(broken\)"):
        load_onco_knowledge(str(write_pack(tmp_path / "bad", bad)))
    unknown_source = [dict(record("xy", ["BRAF V600E"], ["MEL"]), sources=["nowhere"])]
    with pytest.raises(KnowledgeError, match="nowhere"):
        load_onco_knowledge(str(write_pack(tmp_path / "bad2", unknown_source)))


def test_records_reachable_through_a_signature_alternative(tmp_path: Path) -> None:
    """A record 'HRD | BRCA1 oncogenic' applies to an HRD-positive tumour without any BRCA1 variant."""
    result = run(tmp_path, "LUAD", [], clinical=ClinicalBiomarkers(hrd="positive"))
    assert [o.record_id for o in result.therapies] == ["hrd-or-brca-ovary"]


def test_less_specific_tumour_type_gets_subtype_records_with_a_caveat(tmp_path: Path) -> None:
    result = run(tmp_path, "NSCLC", [], clinical=ClinicalBiomarkers(hrd="positive"))
    option = result.therapies[0]
    assert (option.record_id, option.tier, option.tumour_match) == ("hrd-or-brca-ovary", "I-A", "same")
    assert option.caveats[0].startswith("indicated for the subtype(s) LUAD")


def test_sensitivity_option_names_resistance_to_the_same_drug(tmp_path: Path) -> None:
    """Erlotinib for an EGFR exon 19 deletion carries a caveat when T790M (resistance to erlotinib) is present."""
    write_pack(tmp_path / "pack", [
        record("erlotinib-nsclc", ["EGFR exon 19 deletion | EGFR L858R"], ["NSCLC"], drugs=["erlotinib"]),
        record("osimertinib-nsclc", ["EGFR exon 19 deletion | EGFR L858R"], ["NSCLC"], drugs=["osimertinib"]),
        record("t790m-erlotinib", ["EGFR T790M"], ["NSCLC"], response="resistant", evidence="clinical-study",
               drugs=["erlotinib"]),
    ])
    deletion = SomaticVariant(gene="EGFR", protein_change="E746_A750del", consequence="inframe_deletion", exon=19,
                              source="m:1")
    t790m = SomaticVariant(gene="EGFR", protein_change="T790M", consequence="missense", source="m:2")
    with_resistance = {o.record_id: o for o in run(tmp_path, "LUAD", [deletion, t790m]).therapies}
    assert any("EGFR T790M" in c and "resistance to erlotinib" in c
               for c in with_resistance["erlotinib-nsclc"].caveats)
    assert not any("resistance" in c for c in with_resistance["osimertinib-nsclc"].caveats)
    without = {o.record_id: o for o in run(tmp_path, "LUAD", [deletion]).therapies}
    assert not any("resistance" in c for c in without["erlotinib-nsclc"].caveats)


def test_specifically_named_actionable_alteration_is_oncogenic(tmp_path: Path) -> None:
    """An exon 19 deletion is no hotspot and not truncating, but a Tier I record names it: oncogenic.
    A variant met only by a generic class ('EGFR mutation') is not called oncogenic for that reason."""
    write_pack(tmp_path / "pack", [
        record("egfr-ex19", ["EGFR exon 19 deletion"], ["NSCLC"]),
        record("egfr-any", ["EGFR mutation"], ["NSCLC"]),
    ])
    deletion = SomaticVariant(gene="EGFR", protein_change="E746_A750del", consequence="inframe_deletion", exon=19,
                              source="m:1")
    passenger = SomaticVariant(gene="EGFR", protein_change="A1000T", consequence="missense", source="m:2")
    flags = {a.label: a.oncogenic for a in run(tmp_path, "LUAD", [deletion, passenger]).alterations}
    assert flags == {"EGFR E746_A750del": True, "EGFR A1000T": False}


def kit(change: str) -> SomaticVariant:
    return SomaticVariant(gene="KIT", protein_change=change, consequence="missense", source="m:1")


def test_resistance_weighed_against_the_alteration_an_option_rests_on(tmp_path: Path) -> None:
    """A combination built for the alteration gets a note, not a caveat; a same-drug contradiction is called a
    conflict; a broad class met only by an alteration a specific record calls resistant is suppressed."""
    write_pack(tmp_path / "pack", [
        record("g12c-combo", ["KRAS G12C"], ["COADREAD"], drugs=["sotorasib", "panitumumab"]),
        record("ras-panitumumab", ["KRAS G12 | NRAS Q61"], ["COADREAD"], response="resistant", drugs=["panitumumab"]),
        record("braf-d", ["BRAF V600E"], ["COADREAD"], drugs=["drug-d"]),
        record("braf-d-resist", ["BRAF V600E"], ["COADREAD"], response="resistant", evidence="clinical-study",
               drugs=["drug-d"]),
        record("kit-class", ["KIT activating"], ["MEL"], drugs=["imatinib"], evidence="guideline"),
        record("kit-d816v-resist", ["KIT D816V"], ["COADREAD"], response="resistant", drugs=["imatinib"]),
    ])
    (tmp_path / "pack" / "genes.yaml").write_text(yaml.safe_dump({"genes": {
        "BRAF": {"role": "oncogene", "hotspots": ["V600"]},
        "KIT": {"role": "oncogene", "hotspots": ["D816", "L576"]}}}))
    g12c = SomaticVariant(gene="KRAS", protein_change="G12C", consequence="missense", source="m:1")
    result = {o.record_id: o for o in run(tmp_path, "COADREAD", [g12c, braf(), kit("D816V")]).therapies}
    combo = result["g12c-combo"]
    assert combo.resistance_level is None and combo.caveats == [
        "why panitumumab here: KRAS G12C predicts resistance to panitumumab given alone (R1, ras-panitumumab), but "
        "this combination is designed for KRAS G12C, so that is no caveat here"]
    assert result["braf-d"].resistance_level is None and "records conflict" in result["braf-d"].caveats[0]
    assert "records conflict" in result["braf-d-resist"].caveats[0]
    assert "kit-class" not in result and "kit-class" in result["kit-d816v-resist"].caveats[0]
    # A second KIT mutation the resistance record does not name keeps the class option (with the caveat).
    both = {o.record_id: o for o in run(tmp_path, "COADREAD", [kit("D816V"), kit("L576P")]).therapies}
    assert both["kit-class"].resistance_level == "R1" and both["kit-class"].resisted_by == ["kit-d816v-resist"]
    # Resistance records are not carried to other tumour types: none of them applies to a melanoma.
    melanoma = run(tmp_path, "MEL", [g12c, braf(), kit("D816V")]).therapies
    assert all(o.response == "sensitive" and o.resistance_level is None for o in melanoma)


def test_order_within_a_tier_resistance_then_evidence_then_line_then_name(tmp_path: Path) -> None:
    def with_setting(rid: str, setting: str, **kwargs: object) -> dict[str, object]:
        return dict(record(rid, ["EGFR exon 19 deletion"], ["NSCLC"], **kwargs), setting=setting)  # type: ignore[arg-type]

    write_pack(tmp_path / "pack", [
        with_setting("a-later", "metastatic, after prior platinum chemotherapy"),
        with_setting("b-first", "first-line metastatic"),
        with_setting("c-unsaid", "metastatic"),
        with_setting("d-guideline-first", "first-line metastatic", evidence="guideline"),
        with_setting("e-resisted-first", "first-line metastatic", drugs=["erlotinib"]),
        record("t790m", ["EGFR T790M"], ["NSCLC"], response="resistant", evidence="clinical-study",
               drugs=["erlotinib"]),
    ])
    deletion = SomaticVariant(gene="EGFR", protein_change="E746_A750del", consequence="inframe_deletion", exon=19,
                              source="m:1")
    t790m = SomaticVariant(gene="EGFR", protein_change="T790M", consequence="missense", source="m:2")
    options = [o for o in run(tmp_path, "LUAD", [deletion, t790m]).therapies if o.response == "sensitive"]
    assert [(o.record_id, o.line_of_therapy, o.resistance_level) for o in options] == [
        ("b-first", "first", None), ("c-unsaid", None, None), ("a-later", "later", None),
        ("d-guideline-first", "first", None), ("e-resisted-first", "first", "R2")]
