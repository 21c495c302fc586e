"""Disease setting and line of therapy: adjuvant, perioperative and consolidation options are never read as first-line
treatment of metastatic disease; a metastatic patient's adjuvant-only options are shown as not matching the setting,
not dropped. Runs the built-in onco-core pack through `tailormed onco interpret`."""

import csv
from pathlib import Path

import pytest
from test_onco_caveats import interpret

from tailormed.kb.onco import load_onco_knowledge
from tailormed.model.onco import LINE_LABELS, ClinicalBiomarkers
from tailormed.onco.engine import disease_settings, line_of_therapy
from tailormed.report.onco import onco_view, render_onco_html

EX19DEL = [("EGFR", "In_Frame_Del", "p.E746_A750del")]
ADJUVANT = "nsclc-egfr-ex19del-l858r-osimertinib-adjuvant"
CONSOLIDATION = "nsclc-egfr-ex19del-l858r-osimertinib-post-chemoradiation"
FIRST_LINE = "nsclc-egfr-ex19del-l858r-osimertinib-first-line"


@pytest.mark.parametrize(("setting", "line"), [
    ("adjuvant after complete tumour resection (early-stage NSCLC)", "adjuvant"),
    ("resectable NSCLC (tumour >= 4 cm or node positive), perioperative", "adjuvant"),
    ("high-risk early-stage triple-negative breast cancer, before and after surgery", "adjuvant"),
    ("neoadjuvant for locally advanced, inflammatory or early breast cancer (tumour >2 cm or node-positive); "
     "adjuvant for early breast cancer at high risk of recurrence", "adjuvant"),
    ("locally advanced unresectable (stage III) NSCLC without progression during or after concurrent or sequential "
     "platinum-based chemoradiation", "consolidation"),
    ("first-line advanced/metastatic; adjuvant after resection of high-risk tumours", "first"),
    ("unresectable or metastatic, after prior chemotherapy in the metastatic setting or recurrence during or within "
     "6 months of adjuvant chemotherapy", "later"),
    ("first-line, stage III not suitable for resection or definitive chemoradiation, or metastatic", "first"),
])
def test_line_of_therapy_names_the_non_metastatic_settings(setting: str, line: str) -> None:
    assert line_of_therapy(setting) == line


def test_no_onco_core_record_for_resectable_disease_only_is_called_first_line() -> None:
    knowledge = load_onco_knowledge("onco-core")
    lines = {c.record.id: c.record.line_of_therapy or line_of_therapy(c.record.setting)
             for c in knowledge.records if c.record.response == "sensitive"}
    assert lines[ADJUVANT] == "adjuvant" and lines[CONSOLIDATION] == "consolidation" and lines[FIRST_LINE] == "first"
    for c in knowledge.records:
        setting = (c.record.setting or "").lower()
        if c.record.response == "sensitive" and setting.startswith(("adjuvant", "neoadjuvant", "extended adjuvant")):
            assert lines[c.record.id] == "adjuvant", c.record.id
    # A record covering metastatic first-line use and adjuvant use (imatinib in GIST) stays first line and covers both.
    gist = "gist-kit-mutant-imatinib-guideline"
    setting = next(c.record.setting for c in knowledge.records if c.record.id == gist)
    assert lines[gist] == "first"
    assert disease_settings(setting, lines[gist]) == {"metastatic", "non-metastatic"}


def test_without_a_disease_setting_adjuvant_options_are_labelled_and_sorted_after_first_line(tmp_path: Path) -> None:
    result, out = interpret(tmp_path, "LUAD", EX19DEL)
    osimertinib = {o.record_id: o for o in result.therapies if o.therapy == "osimertinib"}
    assert osimertinib[ADJUVANT].line_of_therapy == "adjuvant"
    assert osimertinib[CONSOLIDATION].line_of_therapy == "consolidation"
    assert all(o.disease_setting_match is None for o in result.therapies)
    order = [o.record_id for o in result.therapies]
    tier_one_first_line = [o.record_id for o in result.therapies if o.tier == "I-A" and o.line_of_therapy == "first"
                           and o.tumour_match == "same" and o.response == "sensitive" and not o.unknown_requirements
                           and o.resistance_level is None and o.evidence == "fda"]
    assert tier_one_first_line and all(order.index(r) < order.index(ADJUVANT) for r in tier_one_first_line)
    rows = {r["record_id"]: r for r in csv.DictReader((out / "therapies.tsv").open(), delimiter="\t")}
    assert rows[ADJUVANT]["line_of_therapy"] == "adjuvant" and rows[ADJUVANT]["disease_setting_match"] == ""
    html = (out / "report.html").read_text()
    assert LINE_LABELS["adjuvant"] in html and "adjuvant line" not in html and "first line" in html
    assert "no disease setting was given" in html


def test_metastatic_patient_sees_adjuvant_options_apart_as_not_matching(tmp_path: Path) -> None:
    result, out = interpret(tmp_path, "LUAD", EX19DEL, "disease_setting: metastatic\n")
    assert result.disease_setting == "metastatic"
    options = {o.record_id: o for o in result.therapies}
    for rid in (ADJUVANT, CONSOLIDATION, "nsclc-pdl1-tc1-atezolizumab-adjuvant"):
        if rid not in options:
            continue  # atezolizumab needs PD-L1: absent here
        assert options[rid].disease_setting_match is False, rid
        assert options[rid].caveats[0].startswith("not an option for metastatic disease"), options[rid].caveats
    assert options[FIRST_LINE].disease_setting_match is True and not options[FIRST_LINE].caveats
    # Listed after every option matching the setting, not dropped.
    order = list(options)
    matching = [r for r, o in options.items() if o.disease_setting_match is not False and not o.unknown_requirements]
    assert all(order.index(r) < order.index(ADJUVANT) for r in matching)
    view = onco_view(result)
    assert ADJUVANT in {o.record_id for o in view["other_setting"]}
    assert ADJUVANT not in {o.record_id for o in view["same"]}
    assert all(not line.non_metastatic_only for line in view["summary"].tier_one)
    html = render_onco_html(result)
    assert "Options for another disease setting" in html and "The disease setting given is <strong>metastatic" in html
    rows = {r["record_id"]: r for r in csv.DictReader((out / "therapies.tsv").open(), delimiter="\t")}
    assert rows[ADJUVANT]["disease_setting_match"] == "no" and rows[FIRST_LINE]["disease_setting_match"] == "yes"


def test_non_metastatic_patient_gets_adjuvant_first_and_metastatic_only_options_apart(tmp_path: Path) -> None:
    result, _ = interpret(tmp_path, "LUAD", EX19DEL, "disease_setting: non-metastatic\n")
    options = {o.record_id: o for o in result.therapies}
    assert options[ADJUVANT].disease_setting_match is True
    assert options[FIRST_LINE].disease_setting_match is False  # "first-line metastatic"
    assert "for metastatic disease only" in options[FIRST_LINE].caveats[0]
    # "first-line locally advanced or metastatic" may be an unresectable non-metastatic tumour: not judged unmatched.
    assert options["nsclc-egfr-ex19del-l858r-osimertinib-pemetrexed-platinum"].disease_setting_match is True
    order = list(options)
    assert order.index(ADJUVANT) < order.index("nsclc-egfr-ex19del-l858r-osimertinib-pemetrexed-platinum")


def test_disease_setting_input_is_checked(tmp_path: Path) -> None:
    assert ClinicalBiomarkers(disease_setting="Non-Metastatic").disease_setting == "non-metastatic"
    clinical = tmp_path / "clinical.yaml"
    clinical.write_text("disease_setting: early\n")
    (tmp_path / "t.maf").write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n"
                                    "EGFR\tMissense_Mutation\tT1\tp.L858R\n")
    from test_onco_caveats import runner

    from tailormed.cli import app
    outcome = runner.invoke(app, ["onco", "interpret", "--maf", str(tmp_path / "t.maf"), "--tumor-type", "LUAD",
                                  "--clinical", str(clinical), "--out", str(tmp_path / "out"), "-q"])
    assert outcome.exit_code == 2 and "clinical.yaml" in outcome.output and "disease_setting" in outcome.output
    assert not (tmp_path / "out").exists()
