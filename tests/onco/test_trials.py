"""Trial format, ClinicalTrials.gov API v2 import and trial matching
(model/trials.py, kb/trials.py, kb/importers/ctgov.py, onco/trials.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from tiny_oncotree import TinyTree

from tailormed.errors import InputError
from tailormed.kb.importers.ctgov import (
    BUILTIN_CANCER_GENES,
    CONDITION_CODES,
    BiomarkerExtractor,
    import_ctgov,
    map_condition,
)
from tailormed.kb.trials import load_trials, write_trials
from tailormed.model.alterations import parse_alteration
from tailormed.model.onco import ClinicalBiomarkers, CopyNumberCall, Fusion, SomaticVariant, TumourProfile
from tailormed.model.trials import Trial
from tailormed.onco.matching import TumourFacts, build_facts
from tailormed.onco.trials import match_trials

CTGOV = Path(__file__).parent / "data" / "ctgov"
DEMO = Path(__file__).resolve().parents[2] / "examples" / "trials" / "demo-trials.yaml"
TREE = TinyTree()


@pytest.fixture(scope="module")
def oncotree():  # type: ignore[no-untyped-def]
    """The project's built-in OncoTree, or skip when it is not available yet."""
    try:
        from tailormed.kb.oncotree import load_oncotree

        return load_oncotree()
    except (ImportError, OSError, InputError) as exc:
        pytest.skip(f"built-in OncoTree not available ({exc})")


def variant(gene: str, change: str, consequence: str = "missense") -> SomaticVariant:
    return SomaticVariant(gene=gene, protein_change=change, consequence=consequence, source="test")  # type: ignore[arg-type]


def facts_for(tumour_type: str, variants: list[SomaticVariant] = (), *,  # type: ignore[assignment]
              clinical: ClinicalBiomarkers | None = None, cna: list[CopyNumberCall] = (),  # type: ignore[assignment]
              fusions: list[Fusion] = ()) -> TumourFacts:  # type: ignore[assignment]
    profile = TumourProfile(sample_id="T1", tumour_type=tumour_type, variants=list(variants),
                            copy_number=list(cna), fusions=list(fusions), clinical=clinical or ClinicalBiomarkers())
    return build_facts(profile, genes={})


def trial(tid: str = "NCT00000001", **fields: object) -> Trial:
    base: dict[str, object] = {"id": tid, "title": f"trial {tid}", "phase": "2", "status": "recruiting",
                               "conditions": ["NSCLC"], "inclusion": ["KRAS G12C"], "source": "test"}
    base.update(fields)
    return Trial.model_validate(base)


def criteria_by_kind(match: object, kind: str) -> list:  # type: ignore[type-arg]
    return [c for c in match.criteria if c.kind == kind]  # type: ignore[attr-defined]


KRAS_LUAD = facts_for("LUAD", [variant("KRAS", "G12C")])


# --------------------------------------------------------------------------- loading


def write_yaml(path: Path, trials: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"trials": trials}))
    return path


def test_load_yaml_and_json_with_codes_resolved(tmp_path: Path) -> None:
    record = {"id": "NCT00000001", "title": "A", "phase": "Phase 1/2", "status": "Not yet recruiting",
              "conditions": ["luad"], "inclusion": ["EGFR exon 19 deletion | EGFR L858R"], "exclusion": ["EGFR T790M"],
              "min_age": 18, "sex": "female", "source": "test"}
    from_yaml = load_trials(write_yaml(tmp_path / "t.yaml", [record]), TREE)
    json_path = tmp_path / "t.json"
    json_path.write_text(json.dumps({"trials": [record]}))
    from_json = load_trials(json_path)
    assert from_yaml[0].phase == "1/2" and from_yaml[0].status == "not_yet_recruiting"
    assert from_yaml[0].conditions == ["LUAD"]  # canonical spelling with a tree
    assert from_json[0].conditions == ["luad"]  # checked only at match time without one
    assert from_json[0].inclusion == ["EGFR exon 19 deletion | EGFR L858R"]


def test_demo_trials_load() -> None:
    trials = load_trials(DEMO, TREE)
    assert len(trials) == 6
    assert all(t.id.startswith("NCT999999") and "(fictitious demo trial)" in t.title for t in trials)


@pytest.mark.parametrize(("record", "location", "message"), [
    ({"title": "A", "status": "recruiting", "source": "s"}, "trials.1.id", "Field required"),
    ({"id": "NCT2", "title": "A", "status": "open", "source": "s"}, "trials.1 (NCT2).status", "Input should be"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "inclusion": ["KRAS G12C", "KRAS G12C-like"]},
     "trials.1 (NCT2).inclusion.1", "cannot read"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "exclusion": ["PD-L1 XYZ >= 1"]},
     "trials.1 (NCT2).exclusion.0", "PD-L1 scale"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "min_age": 70, "max_age": 18},
     "trials.1 (NCT2)", "above max_age"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "arm": "A"}, "trials.1 (NCT2).arm",
     "Extra inputs"),
    ({"id": "NCT1", "title": "A", "status": "recruiting", "source": "s"}, "trials.1 (NCT1)", "also used"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "max_age": float("inf")},
     "trials.1 (NCT2).max_age", "finite number"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "min_age": float("nan")},
     "trials.1 (NCT2).min_age", "finite number"),
    ({"id": "NCT2", "title": "A", "status": "recruiting", "source": "s", "max_age": "1e308"},
     "trials.1 (NCT2).max_age", "less than or equal to 130"),
])
def test_invalid_trials_name_file_and_place(tmp_path: Path, record: dict[str, object], location: str,
                                            message: str) -> None:
    good = {"id": "NCT1", "title": "ok", "status": "recruiting", "source": "s", "inclusion": ["KRAS G12C"]}
    path = write_yaml(tmp_path / "bad.yaml", [good, record])
    with pytest.raises(InputError) as caught:
        load_trials(path)
    assert caught.value.source == str(path)
    assert caught.value.location == location
    assert message in caught.value.message


def test_unknown_condition_code_with_tree(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "t.yaml", [{"id": "NCT1", "title": "A", "status": "recruiting", "source": "s",
                                             "conditions": ["NSCLC", "LUNGX"]}])
    with pytest.raises(InputError) as caught:
        load_trials(path, TREE)
    assert (caught.value.source, caught.value.location) == (str(path), "trials.0 (NCT1).conditions.1")


@pytest.mark.parametrize(("text", "message"), [
    ("[unclosed", "not valid YAML"),
    ("- just a list", "expected a mapping with a 'trials' list"),
    ("trials: []\nversion: 1\n", "unknown top-level key"),
])
def test_not_a_trial_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_trials(path)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("t.yaml", b"trials: [\xff]\n", "not UTF-8 text"),
    ("t.json", b"{\"trials\": " + b"[" * 300 + b"]" * 300 + b"}", "nested too deeply"),
    ("t.yaml", b"trials: &a [*a]\n", "refers to itself"),
    ("t.json", b'{"trials": [', "line 1 column 13: not valid JSON"),
])
def test_unreadable_trial_files_name_the_file(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        load_trials(path)
    assert caught.value.source == str(path)
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(InputError, match="is a folder, not a trial file"):
        load_trials(tmp_path / "folder.yaml")


# --------------------------------------------------------------------------- matching


def test_inclusion_met_with_detail_and_eligible() -> None:
    [match] = match_trials([trial(min_age=18, max_age=75)], KRAS_LUAD, TREE, age=64)
    assert match.eligible is True
    [inclusion] = criteria_by_kind(match, "inclusion")
    assert (inclusion.met, inclusion.detail) == (True, "met: KRAS G12C")
    assert criteria_by_kind(match, "condition")[0].detail == "LUAD is within NSCLC"
    assert criteria_by_kind(match, "age")[0].met is True


def test_trial_needs_one_biomarker_inclusion_met() -> None:
    other = trial("NCT00000002", inclusion=["EGFR exon 20 insertion"])
    no_biomarker = trial("NCT00000003", inclusion=[])
    assert match_trials([other, no_biomarker], KRAS_LUAD, TREE) == []


def test_unmet_second_inclusion_makes_trial_ineligible_but_listed() -> None:
    [match] = match_trials([trial(inclusion=["KRAS G12C", "STK11 truncating"])], KRAS_LUAD, TREE)
    assert match.eligible is False
    assert [(c.criterion, c.met) for c in criteria_by_kind(match, "inclusion")] == [
        ("KRAS G12C", True), ("STK11 truncating", False)]
    assert criteria_by_kind(match, "inclusion")[1].detail == "not met: not found in the tumour profile"


def test_exclusion_present_and_absent() -> None:
    facts = facts_for("LUAD", [variant("EGFR", "L858R"), variant("EGFR", "T790M")])
    excluded = trial("NCT00000010", inclusion=["EGFR exon 19 deletion | EGFR L858R"], exclusion=["EGFR T790M"])
    allowed = trial("NCT00000011", inclusion=["EGFR exon 19 deletion | EGFR L858R"], exclusion=["EGFR C797S"])
    by_id = {m.trial_id: m for m in match_trials([excluded, allowed], facts, TREE)}
    bad = criteria_by_kind(by_id["NCT00000010"], "exclusion")[0]
    good = criteria_by_kind(by_id["NCT00000011"], "exclusion")[0]
    assert (bad.met, bad.detail) == (False, "excluded: the tumour has EGFR T790M")
    assert (good.met, good.detail) == (True, "not excluded: not found in the tumour profile")
    assert by_id["NCT00000010"].eligible is False and by_id["NCT00000011"].eligible is True


def test_age_and_sex_known_unknown_and_failing() -> None:
    restricted = trial(min_age=18, max_age=65, sex="female")
    unknown = match_trials([restricted], KRAS_LUAD, TREE)[0]
    assert unknown.eligible is None
    assert [c.met for c in unknown.criteria if c.kind in ("age", "sex")] == [None, None]
    old_male = match_trials([restricted], KRAS_LUAD, TREE, age=70, sex="Male")[0]
    assert old_male.eligible is False
    assert [(c.kind, c.met) for c in old_male.criteria if c.kind in ("age", "sex")] == [("age", False), ("sex", False)]
    fits = match_trials([restricted], KRAS_LUAD, TREE, age=40, sex="female")[0]
    assert fits.eligible is True
    with pytest.raises(InputError, match="sex must be"):
        match_trials([restricted], KRAS_LUAD, TREE, sex="unknown")


def test_closed_trials_skipped_unless_asked() -> None:
    closed = trial(status="completed")
    assert match_trials([closed], KRAS_LUAD, TREE) == []
    [match] = match_trials([closed], KRAS_LUAD, TREE, include_closed=True)
    status = criteria_by_kind(match, "status")[0]
    assert (status.met, match.eligible) == (False, False)
    assert "not open" in status.detail


def test_condition_hierarchy_and_groups() -> None:
    specific = trial("NCT00000020", conditions=["NSCLC"])
    parent = trial("NCT00000021", conditions=["LUNG"])
    basket = trial("NCT00000022", conditions=["SOLID"])
    bowel = trial("NCT00000023", conditions=["COADREAD"])
    heme = trial("NCT00000024", conditions=["HEME"])
    unmapped = trial("NCT00000025", conditions=[])
    ids = [m.trial_id for m in match_trials([specific, parent, basket, bowel, heme, unmapped], KRAS_LUAD, TREE)]
    assert ids == ["NCT00000020", "NCT00000021", "NCT00000022"]


def test_condition_hierarchy_with_builtin_oncotree(oncotree) -> None:  # type: ignore[no-untyped-def]
    trials = [trial("NCT00000030", conditions=["NSCLC"]), trial("NCT00000031", conditions=["COADREAD"]),
              trial("NCT00000032", conditions=["SOLID"]), trial("NCT00000033", conditions=["HEME"])]
    assert [m.trial_id for m in match_trials(trials, KRAS_LUAD, oncotree)] == ["NCT00000030", "NCT00000032"]


def test_unknown_condition_code_at_match_time_names_trial() -> None:
    with pytest.raises(InputError) as caught:
        match_trials([trial("NCT00000040", conditions=["NOPE"])], KRAS_LUAD, TREE)
    assert (caught.value.source, caught.value.location) == ("trial NCT00000040", "conditions.0")


def test_signatures_unknown_when_not_measured() -> None:
    basket = trial("NCT00000050", conditions=["SOLID"], inclusion=["KRAS G12C"], exclusion=["MSI-H"])
    unmeasured = match_trials([basket], KRAS_LUAD, TREE)[0]
    exclusion = criteria_by_kind(unmeasured, "exclusion")[0]
    assert (exclusion.met, unmeasured.eligible) == (None, None)
    assert exclusion.detail == "cannot tell whether excluded: MSI status not reported"
    mss = facts_for("LUAD", [variant("KRAS", "G12C")], clinical=ClinicalBiomarkers(msi_status="MSS"))
    assert criteria_by_kind(match_trials([basket], mss, TREE)[0], "exclusion")[0].met is True


def test_signature_inclusion_from_clinical_biomarkers_and_tmb() -> None:
    basket = trial("NCT00000060", conditions=["SOLID"], inclusion=["MSI-H | dMMR | TMB-H"])
    msi = facts_for("COADREAD", clinical=ClinicalBiomarkers(msi_status="MSI-H"))
    tmb = facts_for("MEL", clinical=ClinicalBiomarkers(tmb=14.0))
    low = facts_for("MEL", clinical=ClinicalBiomarkers(tmb=3.0, msi_status="MSS", mmr_status="pMMR"))
    assert criteria_by_kind(match_trials([basket], msi, TREE)[0], "inclusion")[0].detail == "met: MSI-H (reported)"
    assert "TMB 14.0" in criteria_by_kind(match_trials([basket], tmb, TREE)[0], "inclusion")[0].detail
    assert match_trials([basket], low, TREE) == []
    assert match_trials([basket], facts_for("AML", clinical=ClinicalBiomarkers(tmb=20.0)), TREE) == []


def test_fusion_and_amplification_criteria() -> None:
    facts = facts_for("LUAD", cna=[CopyNumberCall(gene="MET", call="amplification", source="t")],
                      fusions=[Fusion(gene_a="EML4", gene_b="ALK", description="EML4::ALK", source="t")])
    alk = trial("NCT00000070", inclusion=["ALK fusion | ROS1 fusion"], exclusion=["MET amplification"])
    [match] = match_trials([alk], facts, TREE)
    assert criteria_by_kind(match, "inclusion")[0].detail == "met: EML4::ALK"
    assert criteria_by_kind(match, "exclusion")[0].detail == "excluded: the tumour has MET amplification"


def test_inferred_inclusion_is_unknown_not_met() -> None:
    wildtype = trial("NCT00000080", conditions=["COADREAD"], inclusion=["KRAS wildtype"])
    [match] = match_trials([wildtype], facts_for("COADREAD", [variant("BRAF", "V600E")]), TREE)
    inclusion = criteria_by_kind(match, "inclusion")[0]
    assert inclusion.met is None and match.eligible is None
    assert inclusion.detail.startswith("met only by inference")


def test_sorted_eligible_first_then_phase_then_id() -> None:
    trials = [trial("NCT00000093", phase="1"), trial("NCT00000092", phase="3", exclusion=["KRAS G12C"]),
              trial("NCT00000091", phase="2"), trial("NCT00000090", phase="3"), trial("NCT00000094", phase=None),
              trial("NCT00000095", phase="2", max_age=50)]
    ids = [m.trial_id for m in match_trials(trials, KRAS_LUAD, TREE, age=60)]
    assert ids == ["NCT00000090", "NCT00000091", "NCT00000093", "NCT00000094", "NCT00000092", "NCT00000095"]


def test_demo_trials_against_demo_tumour() -> None:
    """The demo LUAD: EGFR exon 19 deletion + T790M, MET amplification, MSS."""
    facts = facts_for("LUAD", [variant("EGFR", "E746_A750del", "inframe_deletion"), variant("EGFR", "T790M")],
                      cna=[CopyNumberCall(gene="MET", call="amplification", source="t")],
                      clinical=ClinicalBiomarkers(msi_status="MSS", pdl1={"TPS": 60}))
    facts.variants_by_gene["EGFR"][0] = facts.variants_by_gene["EGFR"][0].model_copy(update={"exon": 19})
    matches = {m.trial_id: m for m in match_trials(load_trials(DEMO, TREE), facts, TREE, age=58, sex="female")}
    assert set(matches) == {"NCT99999913", "NCT99999914"}
    assert matches["NCT99999913"].eligible is True
    assert matches["NCT99999914"].eligible is False  # excludes T790M


# --------------------------------------------------------------------------- ClinicalTrials.gov import


def imported() -> tuple[dict[str, Trial], list[str]]:
    trials, warnings = import_ctgov(sorted(CTGOV.glob("*.json")), retrieved="2026-11-20")
    return {t.id: t for t in trials}, warnings


def test_import_fields() -> None:
    trials, _ = imported()
    assert list(trials) == ["NCT99999901", "NCT99999902", "NCT99999903", "NCT99999904"]
    kras = trials["NCT99999901"]
    assert (kras.phase, kras.status, kras.conditions, kras.sex) == ("2", "recruiting", ["NSCLC"], "all")
    assert (kras.min_age, kras.max_age) == (18, None)
    assert kras.inclusion == ["KRAS G12C"]
    assert kras.exclusion == ["ALK fusion"]  # "Prior treatment with a KRAS G12C inhibitor" is not a biomarker
    assert kras.source.startswith("ClinicalTrials.gov API v2 record NCT99999901")
    assert "retrieved 2026-11-20" in kras.source and "last updated 2026-09-30" in kras.source
    egfr = trials["NCT99999902"]
    assert (egfr.phase, egfr.status, egfr.conditions) == ("1/2", "not_yet_recruiting", ["NSCLC"])
    assert (egfr.inclusion, egfr.exclusion, egfr.max_age) == (["EGFR exon 20 insertion"], ["EGFR T790M"], 75)
    basket = trials["NCT99999903"]
    assert basket.conditions == ["SOLID"]
    assert basket.inclusion == ["dMMR | MSI-H | TMB-H"]
    assert basket.exclusion == []  # anti-PD-1 therapy is not a biomarker
    her2 = trials["NCT99999904"]
    assert (her2.status, her2.sex, her2.conditions, her2.inclusion) == ("completed", "female", ["BRCA"],
                                                                         ["HER2-positive"])


def test_import_warnings() -> None:
    _, warnings = imported()
    assert any(w.startswith("NCT99999901: eligibility line 11 (exclusion): 'KRAS G12C' not imported (names a therapy")
               for w in warnings)
    assert "NCT99999901: gene(s) named without a recognised alteration: EGFR (check the eligibility text by hand)" \
        in warnings
    assert "NCT99999903: condition(s) not mapped to OncoTree: 'Neoplasms'" in warnings
    assert any(w.startswith("NCT99999903: 3 inclusion biomarkers joined as alternatives") for w in warnings)
    assert not any(w.startswith("NCT99999902") for w in warnings)


def study(nct: str, conditions: list[str], criteria: str, **eligibility: str) -> dict[str, object]:
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": f"{nct} (fictitious)"},
        "statusModule": {"overallStatus": "RECRUITING"},
        "conditionsModule": {"conditions": conditions},
        "designModule": {"phases": ["PHASE2", "PHASE3"]},
        "eligibilityModule": {"eligibilityCriteria": criteria, **eligibility}}}


def test_import_unmapped_conditions_negation_and_ages(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"studies": [
        study("NCT99999980", ["Rare Disease X"], "Inclusion Criteria:\n* BRAF V600E mutation\n",
              minimumAge="6 Months", maximumAge="N/A", sex="MALE"),
        study("NCT99999981", ["Colorectal Cancer"], "Inclusion Criteria:\n* Tumours without KRAS G12C or BRAF V600E\n"
              "* RAS wild-type\nExclusion Criteria:\n* non-MSI-H is not required\n", minimumAge="eighteen"),
    ]}))
    trials, warnings = import_ctgov([path], retrieved="2026-11-20")
    first, second = trials
    assert (first.conditions, first.inclusion, first.min_age, first.max_age, first.sex, first.phase) == (
        [], ["BRAF V600E"], 0.5, None, "male", "2/3")
    assert "NCT99999980: no condition mapped to an OncoTree code; kept with conditions [] (it never matches on " \
           "tumour type): add codes by hand" in warnings
    assert (second.conditions, second.inclusion, second.exclusion, second.min_age) == (["COADREAD"], [], [], None)
    negated = [w for w in warnings if w.startswith("NCT99999981") and "(negated)" in w]
    assert len(negated) == 3  # KRAS G12C, BRAF V600E, MSI-H
    assert "NCT99999981: minimum age 'eighteen' not understood; left empty" in warnings
    assert match_trials([first], facts_for("MEL", [variant("BRAF", "V600E")]), TREE) == []


def test_import_rejects_non_v2_json(tmp_path: Path) -> None:
    classic = tmp_path / "classic.json"
    classic.write_text(json.dumps({"FullStudiesResponse": {"FullStudies": []}}))
    with pytest.raises(InputError, match="retired classic API format"):
        import_ctgov([classic])
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"studies": [{"protocolSection": {"identificationModule": {}}}]}))
    with pytest.raises(InputError) as caught:
        import_ctgov([broken])
    assert (caught.value.source, caught.value.location) == (str(broken), "studies.0")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        import_ctgov([broken], retrieved="20 Nov 2026")


@pytest.mark.parametrize(("identification", "eligibility", "location", "message"), [
    ({"nctId": "NCT 1"}, {}, "studies.0 (NCT 1).id", "String should match pattern"),
    ({"nctId": "NCT1"}, {"maximumAge": "999 Years"}, "studies.0 (NCT1).max_age", "less than or equal to 130"),
    ({"nctId": "NCT1"}, {"minimumAge": "80 Years", "maximumAge": "18 Years"}, "studies.0 (NCT1)", "above max_age"),
])
def test_import_of_a_study_the_format_cannot_hold_names_it(tmp_path: Path, identification: dict[str, str],
                                                            eligibility: dict[str, str], location: str,
                                                            message: str) -> None:
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"studies": [{"protocolSection": {
        "identificationModule": identification, "designModule": {"phases": [["PHASE2"], {"x": 1}]},
        "eligibilityModule": eligibility}}]}))
    with pytest.raises(InputError, match=message) as caught:
        import_ctgov([path], retrieved="2026-11-20")
    assert (caught.value.source, caught.value.location) == (str(path), location)


def test_duplicate_study_kept_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_text((CTGOV / "NCT99999901.json").read_text())
    trials, warnings = import_ctgov([CTGOV / "NCT99999901.json", copy])
    assert [t.id for t in trials] == ["NCT99999901"]
    assert "NCT99999901: also in copy.json (study); the first copy is kept" in warnings


@pytest.mark.parametrize(("name", "codes"), [
    ("Non-small Cell Lung Cancer", ["NSCLC"]), ("Carcinoma, Non-Small-Cell Lung", ["NSCLC"]),
    ("Squamous Non-small Cell Lung Cancer", ["LUSC"]), ("Small Cell Lung Cancer", ["SCLC"]),
    ("Metastatic Colorectal Cancer", ["COADREAD"]), ("Breast Neoplasms", ["BRCA"]), ("Melanoma", ["MEL"]),
    ("Uveal Melanoma", ["UM"]), ("Advanced Solid Tumours", ["SOLID"]), ("Haematological Malignancies", ["HEME"]),
    ("Cancer", []), ("KRAS G12C", []),
])
def test_condition_table(name: str, codes: list[str]) -> None:
    assert map_condition(name) == codes


def test_condition_table_codes_exist_in_builtin_oncotree(oncotree) -> None:  # type: ignore[no-untyped-def]
    missing = []
    for _, code in CONDITION_CODES:
        try:
            oncotree.resolve(code)
        except InputError:
            missing.append(code)
    assert missing == []


@pytest.mark.parametrize(("text", "found"), [
    ("EGFR mutation (exon 19 deletion or L858R)", ["EGFR exon 19 deletion", "EGFR L858R"]),
    ("BRAF V600E/K-mutant", ["BRAF V600E", "BRAF V600K"]),
    ("KRASG12C", ["KRAS G12C"]), ("KRAS p.Gly12Cys", ["KRAS Gly12Cys"]),
    ("ALK or ROS1 rearrangement", ["ALK rearrangement", "ROS1 rearrangement"]),
    ("HER2 amplification", ["ERBB2 amplification"]), ("MET exon 14 skipping", ["MET exon 14 skipping"]),
    ("NTRK gene fusion", ["NTRK1 fusion", "NTRK2 fusion", "NTRK3 fusion"]),
    ("EGFR ex19del", ["EGFR exon 19 deletion"]),
    ("tumour mutational burden (TMB) >= 10 mut/Mb", ["TMB-H"]), ("MSI-high or dMMR", ["MSI-H", "dMMR"]),
    ("METHODS: anti-EGFR therapy; EGFR TKI", []), ("ABCD1 V600E", []),
])
def test_biomarker_phrases(text: str, found: list[str]) -> None:
    items, _ = BiomarkerExtractor(BUILTIN_CANCER_GENES).find(text)
    assert [i.alteration for i in items if i.problem is None] == found


@given(gene=st.sampled_from(sorted(BUILTIN_CANCER_GENES)), ref=st.sampled_from("ACDEFGHIKLMNPQRSTVWY"),
       position=st.integers(1, 2000), alt=st.sampled_from("ACDEFGHIKLMNPQRSTVWY"),
       prefix=st.sampled_from(["", "Documented ", "tumour with "]),
       suffix=st.sampled_from(["", " mutation", "-mutant"]))
def test_protein_changes_found_and_parseable(gene: str, ref: str, position: int, alt: str, prefix: str,
                                             suffix: str) -> None:
    items, _ = BiomarkerExtractor(BUILTIN_CANCER_GENES).find(f"{prefix}{gene} {ref}{position}{alt}{suffix}")
    assert [i.alteration for i in items] == [f"{gene} {ref}{position}{alt}"]
    parse_alteration(items[0].alteration)


# --------------------------------------------------------------------------- round trip and CLI


def test_round_trip_import_write_load_match(tmp_path: Path) -> None:
    trials, _ = import_ctgov(sorted(CTGOV.glob("*.json")), retrieved="2026-11-20")
    out = tmp_path / "trials.yaml"
    write_trials(trials, out)
    loaded = load_trials(out, TREE)
    assert loaded == trials
    assert "min_age: 18\n" in out.read_text()
    matches = match_trials(loaded, KRAS_LUAD, TREE, age=60, sex="female", include_closed=True)
    assert [m.trial_id for m in matches] == ["NCT99999901"]
    assert matches[0].eligible is True
    assert [(c.kind, c.met) for c in matches[0].criteria] == [
        ("condition", True), ("status", True), ("inclusion", True), ("exclusion", True), ("age", True)]
    msi_crc = facts_for("COADREAD", clinical=ClinicalBiomarkers(msi_status="MSI-H"))
    [basket] = match_trials(loaded, msi_crc, TREE)
    assert (basket.trial_id, basket.eligible) == ("NCT99999903", None)  # age not given


def test_cli_trials_import(tmp_path: Path, oncotree) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from tailormed.cli import app

    out = tmp_path / "trials.yaml"
    result = CliRunner().invoke(app, ["onco", "trials-import", *map(str, sorted(CTGOV.glob("*.json"))), "--out",
                                      str(out), "--retrieved", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert "imported 4 trial(s) from 2 file(s)" in result.output
    assert "warning: NCT99999903: condition(s) not mapped to OncoTree: 'Neoplasms'" in result.output
    assert [t.id for t in load_trials(out, oncotree)] == ["NCT99999901", "NCT99999902", "NCT99999903", "NCT99999904"]
    bad = CliRunner().invoke(app, ["onco", "trials-import", str(tmp_path / "missing.json"), "--out", str(out)])
    assert bad.exit_code == 2
