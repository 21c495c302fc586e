"""What a tumour board would stumble on, each shown by a small tumour run through `tailormed onco interpret` with the
built-in onco-core pack: resistance caveats from another tumour type, caveats that contradict a labelled
combination, a broad class catching an alteration a specific record calls resistant, requirements whose status was
not given, order within a tier with resistance levels, and the VAF/depth/copy-number columns."""

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.model.onco import OncoResult, TherapyOption

runner = CliRunner()
MAF_HEADER = ("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode", "HGVSp_Short", "t_depth",
              "t_alt_count", "Exon_Number")
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


def interpret(tmp_path: Path, tumour_type: str, variants: list[tuple[str, str, str]], clinical: str | None = None,
              *extra: str) -> tuple[OncoResult, Path]:
    """Write a small MAF (gene, classification, protein change) and optional clinical YAML; interpret them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    maf = tmp_path / "tumour.maf"
    rows = ["\t".join(MAF_HEADER)] + ["\t".join((gene, kind, "T1", change, "400", "120", ""))
                                      for gene, kind, change in variants]
    maf.write_text("\n".join(rows) + "\n")
    args = ["onco", "interpret", "--maf", str(maf), "--tumor-type", tumour_type, "--out", str(tmp_path / "out"), "-q"]
    if clinical is not None:
        (tmp_path / "clinical.yaml").write_text(clinical)
        args += ["--clinical", str(tmp_path / "clinical.yaml")]
    outcome = runner.invoke(app, [*args, *extra])
    assert outcome.exit_code == 0, outcome.output
    out = tmp_path / "out"
    return OncoResult.model_validate_json((out / "actionability.json").read_text()), out


def options_with(result: OncoResult, drug: str, response: str = "sensitive") -> list[TherapyOption]:
    return [o for o in result.therapies if drug in o.drugs and o.response == response]


# 1. Resistance caveats from another tumour type ------------------------------------------------------------------

def test_colorectal_vemurafenib_resistance_stays_out_of_a_braf_v600e_melanoma(tmp_path: Path) -> None:
    melanoma, _ = interpret(tmp_path / "mel", "MEL", [("BRAF", "Missense_Mutation", "p.V600E")])
    vemurafenib = options_with(melanoma, "vemurafenib")
    labelled = [o for o in vemurafenib if o.tumour_match == "same" and o.tier == "I-A"]
    assert len(labelled) == 3  # vemurafenib; + cobimetinib; + cobimetinib + atezolizumab
    assert all(not any("resistance" in c for c in o.caveats) and o.resistance_level is None for o in vemurafenib)
    assert options_with(melanoma, "vemurafenib", "resistant") == []
    assert all(o.record_id != "crc-braf-v600e-vemurafenib-resistance" for o in melanoma.therapies)
    # In colorectal cancer, the tumour type it covers, the record still stands.
    colorectal, _ = interpret(tmp_path / "crc", "COADREAD", [("BRAF", "Missense_Mutation", "p.V600E")])
    resisted = options_with(colorectal, "vemurafenib", "resistant")
    assert [(o.record_id, o.tier, o.resistance_level) for o in resisted] == [
        ("crc-braf-v600e-vemurafenib-resistance", "II-C", "R2")]
    # ... and the melanoma vemurafenib options carried over to it yield to it: caveat, R2, last in their tier.
    carried = options_with(colorectal, "vemurafenib")
    assert carried and all(o.tumour_match == "other" and o.resistance_level == "R2" for o in carried)
    assert all(any(c.startswith("in this tumour type BRAF V600E predicts resistance to vemurafenib")
                   for c in o.caveats) for o in carried)
    tier = [o for o in colorectal.therapies if o.tier == "II-C" and o.response == "sensitive"]
    assert tier[-len(carried):] == carried


# 2. Caveats that contradict a labelled combination -------------------------------------------------------------

def test_kras_g12c_colorectal_combinations_say_why_the_anti_egfr_antibody_is_there(tmp_path: Path) -> None:
    result, out = interpret(tmp_path, "COADREAD", [("KRAS", "Missense_Mutation", "p.G12C")])
    by_id = {o.record_id: o for o in result.therapies}
    for record_id, antibody in (("crc-kras-g12c-sotorasib-panitumumab", "panitumumab"),
                                ("crc-kras-g12c-adagrasib-cetuximab", "cetuximab")):
        option = by_id[record_id]
        assert option.tier == "I-A" and option.resistance_level is None and option.resisted_by == []
        assert not any("predicts resistance to" in c and c.startswith("this tumour also carries")
                       for c in option.caveats)
        (note,) = [c for c in option.caveats if c.startswith(f"why {antibody} here")]
        assert "given alone" in note and "designed for KRAS G12C" in note and "EGFR" in note
    # Anti-EGFR antibodies alone stay resisted at R1 (the labels exclude RAS-mutant colorectal cancer).
    assert {(o.therapy, o.resistance_level) for o in result.therapies if o.response == "resistant"} == {
        ("cetuximab", "R1"), ("panitumumab", "R1")}
    assert "why panitumumab here" in (out / "report.html").read_text()


def test_a_second_ras_mutation_still_caveats_the_combination(tmp_path: Path) -> None:
    """The combination is designed for KRAS G12C, not for an NRAS mutation that also resists the antibody."""
    result, _ = interpret(tmp_path, "COADREAD", [("KRAS", "Missense_Mutation", "p.G12C"),
                                                 ("NRAS", "Missense_Mutation", "p.Q61K")])
    option = next(o for o in result.therapies if o.record_id == "crc-kras-g12c-adagrasib-cetuximab")
    assert option.resistance_level == "R1" and option.resisted_by == ["crc-ras-mutant-cetuximab-resistance"]
    assert any(c.startswith("this tumour also carries NRAS Q61K, which predicts resistance to cetuximab")
               for c in option.caveats)


# 3. Generic class records catching an excluded alteration -------------------------------------------------------

def test_kit_d816v_mastocytosis_gets_imatinib_only_as_resistance(tmp_path: Path) -> None:
    result, _ = interpret(tmp_path / "asm", "ASM", [("KIT", "Missense_Mutation", "p.D816V")])
    assert options_with(result, "imatinib") == []
    (resisted,) = options_with(result, "imatinib", "resistant")
    assert (resisted.tier, resisted.resistance_level) == ("I-A", "R1")
    assert any("melanoma-kit-imatinib-guideline" in c and "'KIT activating'" in c for c in resisted.caveats)
    # The melanoma record itself still holds for a melanoma with an imatinib-sensitive KIT mutation.
    melanoma, _ = interpret(tmp_path / "mel", "MEL", [("KIT", "Missense_Mutation", "p.L576P")])
    assert [o.record_id for o in options_with(melanoma, "imatinib") if o.tumour_match == "same"] == [
        "melanoma-kit-imatinib-guideline"]


# 4. Requirements whose status is unknown ------------------------------------------------------------------------

def test_pik3ca_breast_cancer_without_receptor_status_gets_conditional_options(tmp_path: Path) -> None:
    result, out = interpret(tmp_path / "unknown", "IDC", [("PIK3CA", "Missense_Mutation", "p.H1047R")])
    conditional = {o.therapy: o for o in result.therapies if o.unknown_requirements}
    assert {"alpelisib + fulvestrant", "inavolisib + palbociclib + fulvestrant",
            "capivasertib + fulvestrant"} <= set(conditional)
    alpelisib = conditional["alpelisib + fulvestrant"]
    assert alpelisib.tier == "I-A" and [(u.requirement, u.missing) for u in alpelisib.unknown_requirements] == [
        ("HR-positive", "ER/PR status not given"), ("HER2-negative", "HER2 IHC score not given")]
    assert [m.requirement for m in alpelisib.matched] == ["PIK3CA activating"]  # never shown as met
    assert all(o.unknown_requirements for o in result.therapies if o.response == "sensitive"
               and o.tumour_match == "same")
    html = (out / "report.html").read_text()
    assert "Conditional on a status that was not given" in html and "3 conditional" in html
    assert "requires HR-positive: ER/PR status not given" in html
    tsv = list(csv.DictReader((out / "therapies.tsv").open(), delimiter="\t"))
    assert any(r["therapy"] == "alpelisib + fulvestrant" and "HR-positive: ER/PR status not given" in
               r["requirements_not_given"] for r in tsv)
    # Options resting only on untold statuses are not listed, but counted.
    (note,) = [w for w in result.warnings if w.code == "status_not_given"]
    assert "ER/PR status" in note.message and "HER2 status" in note.message
    # Statuses given and met: the options are plain Tier I-A.
    met, _ = interpret(tmp_path / "met", "IDC", [("PIK3CA", "Missense_Mutation", "p.H1047R")],
                       "er: positive\npr: positive\nher2_ihc: '1+'\n")
    alpelisib = next(o for o in met.therapies if o.therapy == "alpelisib + fulvestrant")
    assert alpelisib.unknown_requirements == [] and alpelisib.tier == "I-A"
    # A status given and not met still excludes the option.
    negative, _ = interpret(tmp_path / "neg", "IDC", [("PIK3CA", "Missense_Mutation", "p.H1047R")],
                            "er: negative\npr: negative\nher2_ihc: '0'\n")
    assert options_with(negative, "alpelisib") == []


def test_esr1_d538g_without_receptor_status_gets_conditional_oral_serds(tmp_path: Path) -> None:
    result, _ = interpret(tmp_path, "IDC", [("ESR1", "Missense_Mutation", "p.D538G")])
    serds = {o.therapy: [u.requirement for u in o.unknown_requirements] for o in result.therapies
             if o.therapy in ("elacestrant", "imlunestrant")}
    assert serds == {"elacestrant": ["ER-positive", "HER2-negative"],
                     "imlunestrant": ["ER-positive", "HER2-negative"]}


def test_her2_and_pd_l1_requirements_follow_the_same_rule(tmp_path: Path) -> None:
    """A germline BRCA2 breast cancer without HER2 status: PARP inhibitors conditional on HER2-negative; with HER2
    IHC 3+ (known, not met) they are excluded. A HER2-negative gastric cancer without PD-L1: pembrolizumab +
    chemotherapy (HER2-negative, PD-L1 CPS >= 1) is conditional on PD-L1, and excluded at CPS 0."""
    def germline_brca2(folder: Path, clinical: str | None) -> OncoResult:
        folder.mkdir()
        rows = ["\t".join((*MAF_HEADER, "Mutation_Status")),
                "\t".join(("BRCA2", "Frame_Shift_Del", "T1", "p.K1691fs", "400", "200", "", "Germline"))]
        (folder / "tumour.maf").write_text("\n".join(rows) + "\n")
        args = ["onco", "interpret", "--maf", str(folder / "tumour.maf"), "--tumor-type", "IDC", "--out",
                str(folder / "out"), "-q"]
        if clinical:
            (folder / "clinical.yaml").write_text(clinical)
            args += ["--clinical", str(folder / "clinical.yaml")]
        outcome = runner.invoke(app, args)
        assert outcome.exit_code == 0, outcome.output
        return OncoResult.model_validate_json((folder / "out" / "actionability.json").read_text())

    olaparib = [o for o in options_with(germline_brca2(tmp_path / "g", None), "olaparib") if o.tumour_match == "same"]
    assert olaparib and all([u.requirement for u in o.unknown_requirements] == ["HER2-negative"] for o in olaparib)
    positive = germline_brca2(tmp_path / "g3", "her2_ihc: '3+'\n")
    assert [o for o in options_with(positive, "olaparib") if o.tumour_match == "same"] == []
    stomach, _ = interpret(tmp_path / "gej", "GEJ", [("TP53", "Missense_Mutation", "p.R273H")], "her2_ihc: '0'\n")
    pembrolizumab = [o for o in options_with(stomach, "pembrolizumab") if o.unknown_requirements]
    assert pembrolizumab and all(u.missing == "PD-L1 score not given" for o in pembrolizumab
                                 for u in o.unknown_requirements)
    scored, _ = interpret(tmp_path / "gej0", "GEJ", [("TP53", "Missense_Mutation", "p.R273H")],
                          "her2_ihc: '0'\npdl1_cps: 0\n")
    assert [o for o in options_with(scored, "pembrolizumab") if o.unknown_requirements] == []


# 5. Order within a tier, resistance levels -----------------------------------------------------------------------

def test_t790m_tumour_lists_first_generation_tkis_last_in_tier_with_r2(tmp_path: Path) -> None:
    result, out = interpret(tmp_path, "LUAD", [("EGFR", "In_Frame_Del", "p.E746_A750del"),
                                               ("EGFR", "Missense_Mutation", "p.T790M")])
    tier_one = [o for o in result.therapies if o.tier == "I-A" and o.response == "sensitive"
                and o.tumour_match == "same" and not o.unknown_requirements]
    names = [o.therapy for o in tier_one]
    resisted = {"afatinib", "dacomitinib", "erlotinib", "gefitinib", "ramucirumab + erlotinib"}
    assert set(names[-len(resisted):]) == resisted  # after every option no alteration resists
    assert names.index("osimertinib") < names.index("afatinib")
    assert all(o.resistance_level == "R2" for o in tier_one if o.therapy in resisted)
    assert all(o.resistance_level is None for o in tier_one if o.therapy not in resisted)
    unresisted = [o for o in tier_one if o.resistance_level is None]
    lines = [o.line_of_therapy for o in unresisted]
    # first line first; the non-metastatic settings (adjuvant, consolidation) last, never among first-line options
    order = {"first": 0, None: 1, "later": 2, "adjuvant": 3, "consolidation": 3}
    assert lines == sorted(lines, key=lambda line: order[line])
    rows = list(csv.DictReader((out / "therapies.tsv").open(), delimiter="\t"))
    assert {r["therapy"]: r["resistance_level"] for r in rows if r["response"] == "sensitive"}["gefitinib"] == "R2"
    assert json.loads((out / "actionability.json").read_text())["therapies"][-1]["resistance_level"] == "R2"
    html = (out / "report.html").read_text()
    assert html.index("<strong>osimertinib</strong>") < html.index("<strong>afatinib</strong>")
    assert 'class="rlevel" title="resistance in this tumour type from clinical studies">R2</span>' in html


def test_an_option_resisted_by_what_another_option_targets_sorts_after_it(tmp_path: Path) -> None:
    """EGFR exon 19 deletion + T790M + MET amplification (9 copies): osimertinib and afatinib are both R2, osimertinib
    through MET amplification, afatinib through T790M, which osimertinib's own T790M record rests on. Afatinib and
    the other first-generation TKIs sort after osimertinib and say why; with MET amplification alone (no T790M)
    nothing overcomes anything and no such caveat appears."""
    cna = tmp_path / "cna.tsv"
    cna.write_text("gene\tcopy_number\nMET\t9\n")
    both, _ = interpret(tmp_path / "both", "LUAD", [("EGFR", "In_Frame_Del", "p.E746_A750del"),
                                                    ("EGFR", "Missense_Mutation", "p.T790M")], None, "--cna", str(cna))
    tier_one = [o for o in both.therapies if o.tier == "I-A" and o.response == "sensitive"
                and o.tumour_match == "same" and not o.unknown_requirements and o.disease_setting_match is not False]
    names = [o.therapy for o in tier_one]
    assert {o.resistance_level for o in tier_one if o.therapy in ("osimertinib", "afatinib")} == {"R2"}
    assert names.index("osimertinib") < names.index("afatinib") < names.index("gefitinib")
    afatinib = next(o for o in tier_one if o.therapy == "afatinib")
    assert "listed after osimertinib: an option for the EGFR T790M that resists this one" in afatinib.caveats
    osimertinib = [o for o in tier_one if o.therapy == "osimertinib"]
    assert osimertinib and not any(c.startswith("listed after") for o in osimertinib for c in o.caveats)

    met_only, _ = interpret(tmp_path / "met", "LUAD", [("EGFR", "In_Frame_Del", "p.E746_A750del")], None,
                            "--cna", str(cna))
    resisted = [o for o in met_only.therapies if o.response == "sensitive" and o.resistance_level == "R2"]
    assert {o.therapy for o in resisted} >= {"osimertinib", "gefitinib", "erlotinib"}
    assert not any(c.startswith("listed after") for o in met_only.therapies for c in o.caveats)


# 7. Report details ------------------------------------------------------------------------------------------------

def test_copy_number_vaf_and_depth_have_their_own_columns(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    outcome = runner.invoke(app, ["onco", "interpret", "--maf", str(DEMO / "tumour.maf"), "--cna",
                                  str(DEMO / "tumour-cna.tsv"), "--tumor-type", "LUAD", "--out", str(out), "-q"])
    assert outcome.exit_code == 0, outcome.output
    result = OncoResult.model_validate_json((out / "actionability.json").read_text())
    by_label = {a.label: a for a in result.alterations}
    met = by_label["MET amplification"]
    assert (met.copy_number, met.log2_ratio, met.vaf) == (9.0, None, None)
    assert by_label["CDKN2A deep deletion"].copy_number == 0.0
    deletion = by_label["EGFR E746_A750del"]
    assert deletion.depth == 412 and abs(deletion.vaf - 151 / 412) < 0.01  # type: ignore[operator]
    assert "vaf" not in deletion.details and "depth" not in deletion.details
    rows = {r["alteration"]: r for r in csv.DictReader((out / "alterations.tsv").open(), delimiter="\t")}
    assert (rows["MET amplification"]["copy_number"], rows["MET amplification"]["vaf"]) == ("9", "")
    assert rows["EGFR E746_A750del"]["depth"] == "412"
    html = (out / "report.html").read_text()
    assert '<th scope="col">VAF</th><th scope="col">Depth</th><th scope="col">Copy number</th>' in html
    assert "9 copies" in html and ">37%<" in html


def test_log2_ratio_is_reported(tmp_path: Path) -> None:
    cna = tmp_path / "cna.tsv"
    cna.write_text("gene\tlog2\nERBB2\t2.3\n")
    result, out = interpret(tmp_path, "BRCA", [("TP53", "Missense_Mutation", "p.R273H")], None, "--cna", str(cna))
    erbb2 = next(a for a in result.alterations if a.label == "ERBB2 amplification")
    assert (erbb2.log2_ratio, erbb2.copy_number) == (2.3, None)
    assert "log2 +2.30" in (out / "report.html").read_text()
