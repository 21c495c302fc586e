"""Protein (IHC) and HLA markers for antibody, cell and T-cell-receptor therapies, each shown by a small tumour run
through `tailormed onco interpret` with the built-in onco-core pack: a marker that is given and meets the label's
cut-off gives the labelled option; one below it excludes the option; one not given never counts as met."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.model.onco import OncoResult, TherapyOption

runner = CliRunner()
MAF_HEADER = ("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode", "HGVSp_Short", "t_depth",
              "t_alt_count")


def run(tmp_path: Path, tumour_type: str, variant: tuple[str, str, str], clinical: str | None) -> tuple[int, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    maf = tmp_path / "tumour.maf"
    maf.write_text("\t".join(MAF_HEADER) + "\n" + "\t".join((*variant[:2], "T1", variant[2], "400", "120")) + "\n")
    args = ["onco", "interpret", "--maf", str(maf), "--tumor-type", tumour_type, "--out", str(tmp_path / "out"), "-q"]
    if clinical is not None:
        (tmp_path / "clinical.yaml").write_text(clinical)
        args += ["--clinical", str(tmp_path / "clinical.yaml")]
    outcome = runner.invoke(app, args)
    return outcome.exit_code, outcome.output


def interpret(tmp_path: Path, tumour_type: str, variant: tuple[str, str, str],
              clinical: str | None = None) -> OncoResult:
    code, output = run(tmp_path, tumour_type, variant, clinical)
    assert code == 0, output
    return OncoResult.model_validate_json((tmp_path / "out" / "actionability.json").read_text())


def option(result: OncoResult, drug: str) -> TherapyOption | None:
    found = [o for o in result.therapies if drug in o.drugs and o.response == "sensitive"]
    assert len(found) <= 1, found
    return found[0] if found else None


def untested(result: OncoResult) -> str:
    notes = [w.message for w in result.warnings if w.code == "status_not_given"]
    return notes[0] if notes else ""


OVARIAN = ("HGSOC", ("TP53", "Missense_Mutation", "p.R273H"))
UVEAL = ("UM", ("GNAQ", "Missense_Mutation", "p.Q209L"))
SYNOVIAL = ("SYNS", ("TTN", "Missense_Mutation", "p.R100W"))
GASTRIC = ("STAD", ("TP53", "Missense_Mutation", "p.R175H"))
LUNG = ("LUAD", ("TP53", "Missense_Mutation", "p.R248Q"))


# FOLR1: mirvetuximab soravtansine ---------------------------------------------------------------------------------

def test_folr1_high_ovarian_cancer_gets_mirvetuximab(tmp_path: Path) -> None:
    result = interpret(tmp_path, *OVARIAN, "folr1_ihc_2plus: 80\n")
    mirvetuximab = option(result, "mirvetuximab soravtansine")
    assert mirvetuximab is not None and mirvetuximab.tier == "I-A" and mirvetuximab.unknown_requirements == []
    assert mirvetuximab.matched[0].satisfied_by == ["FOLR1 IHC: 80% of tumour cells at 2+ or stronger"]
    assert mirvetuximab.line_of_therapy == "later"
    assert result.markers == ["FOLR1 IHC: 80% of tumour cells at 2+ or stronger"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Protein and HLA markers" in html and "FOLR1 IHC: 80% of tumour cells" in html
    # A percentage at 3+ is a lower bound of the percentage at 2+ or stronger.
    strong = interpret(tmp_path / "strong", *OVARIAN, "folr1_ihc_3plus: 76\n")
    assert option(strong, "mirvetuximab soravtansine") is not None


def test_folr1_not_given_is_never_met_and_is_named_in_the_untested_note(tmp_path: Path) -> None:
    result = interpret(tmp_path, *OVARIAN)
    assert option(result, "mirvetuximab soravtansine") is None
    assert "FOLR1 IHC (1: mirvetuximab soravtansine)" in untested(result)
    # 40% at 3+ does not decide whether 75% stain at 2+ or stronger: still undecided, never met.
    partial = interpret(tmp_path / "partial", *OVARIAN, "folr1_ihc_3plus: 40\n")
    assert option(partial, "mirvetuximab soravtansine") is None
    assert "FOLR1 IHC at 2+ or stronger" in untested(partial)


@pytest.mark.parametrize("clinical", ["folr1_ihc_2plus: 74.9\n", "folr1_ihc_1plus: 60\n"])
def test_folr1_low_ovarian_cancer_has_no_mirvetuximab(tmp_path: Path, clinical: str) -> None:
    result = interpret(tmp_path, *OVARIAN, clinical)
    assert option(result, "mirvetuximab soravtansine") is None
    assert "FOLR1" not in untested(result)


def test_folr1_high_does_not_carry_mirvetuximab_to_another_tumour_type(tmp_path: Path) -> None:
    result = interpret(tmp_path, "IDC", ("TP53", "Missense_Mutation", "p.R273H"), "folr1_ihc_2plus: 90\n")
    assert option(result, "mirvetuximab soravtansine") is None


# HLA-A*02:01: tebentafusp -------------------------------------------------------------------------------------------

def test_hla_a0201_uveal_melanoma_gets_tebentafusp(tmp_path: Path) -> None:
    result = interpret(tmp_path, *UVEAL, "hla: [A*02:01:01:01, A*03:01]\n")
    tebentafusp = option(result, "tebentafusp")
    assert tebentafusp is not None and tebentafusp.tier == "I-A" and tebentafusp.unknown_requirements == []
    assert tebentafusp.matched[0].satisfied_by == ["HLA-A*02:01 (typed A*02:01:01:01)"]
    assert "HLA typing: A*02:01:01:01, A*03:01" in result.markers


@pytest.mark.parametrize("typing", ["[A*03:01, A*24:02]", "[A*03:01, A*03:01]", "'A*02:05, A*24:02'",
                                    "[A*02:01N, A*24:02]"])
def test_uveal_melanoma_without_hla_a0201_has_no_tebentafusp(tmp_path: Path, typing: str) -> None:
    result = interpret(tmp_path, *UVEAL, f"hla: {typing}\n")
    assert option(result, "tebentafusp") is None
    assert "tebentafusp" not in untested(result)


@pytest.mark.parametrize(("typing", "reason"), [
    (None, "HLA-A typing (1: tebentafusp)"),
    ("[A*03:01]", "lists one allele"),
    ("[A*02, A*03:01]", "cannot tell"),
    ("[A*02:01:01G, A*03:01]", "cannot tell"),
    ("[B*07:02, B*08:01]", "HLA-A typing (1: tebentafusp)"),
])
def test_hla_typing_that_cannot_tell_leaves_tebentafusp_unlisted_and_says_why(tmp_path: Path, typing: str | None,
                                                                           reason: str) -> None:
    result = interpret(tmp_path, *UVEAL, None if typing is None else f"hla: {typing}\n")
    assert option(result, "tebentafusp") is None
    assert reason in untested(result) and "tebentafusp" in untested(result)


# HLA-A*02 P groups + MAGE-A4: afamitresgene autoleucel --------------------------------------------------------------

def test_mage_a4_positive_hla_a02_synovial_sarcoma_gets_afami_cel(tmp_path: Path) -> None:
    result = interpret(tmp_path, *SYNOVIAL, "hla: [A*02:06, A*24:02]\nmage_a4_ihc_2plus: 60\n")
    afami = option(result, "afamitresgene autoleucel")
    assert afami is not None and afami.tier == "I-A" and afami.unknown_requirements == []
    assert [m.satisfied_by for m in afami.matched] == [
        ["HLA-A*02:06P (typed A*02:06)"], ["no HLA-A*02:05P (HLA-A typed A*02:06, A*24:02)"],
        ["MAGE-A4 IHC: 60% of tumour cells at 2+ or stronger"]]


@pytest.mark.parametrize("clinical", [
    "hla: [A*02:01, A*02:05]\nmage_a4_ihc_2plus: 60\n",  # HLA-A*02:05P: excluded by the label's trial
    "hla: [A*03:01, A*24:02]\nmage_a4_ihc_2plus: 60\n",  # no HLA-A*02
    "hla: [A*02:01, A*24:02]\nmage_a4_ihc_2plus: 20\n",  # MAGE-A4 below 30% at 2+ or stronger
])
def test_afami_cel_needs_hla_a02_without_a0205_and_mage_a4(tmp_path: Path, clinical: str) -> None:
    assert option(interpret(tmp_path, *SYNOVIAL, clinical), "afamitresgene autoleucel") is None


def test_afami_cel_is_conditional_on_what_was_not_given(tmp_path: Path) -> None:
    no_mage = option(interpret(tmp_path / "mage", *SYNOVIAL, "hla: [A*02:01, A*24:02]\n"), "afamitresgene autoleucel")
    assert no_mage is not None and [(u.requirement, u.missing) for u in no_mage.unknown_requirements] == [
        ("MAGE-A4 IHC 2+ >= 30%", "MAGE-A4 IHC not given (mage_a4_ihc_2plus)")]
    # A*02:09 may or may not be in one of the label's P groups (and in A*02:05P): the typing cannot tell.
    other = option(interpret(tmp_path / "p", *SYNOVIAL, "hla: [A*02:09, A*24:02]\nmage_a4_ihc_2plus: 60\n"),
                   "afamitresgene autoleucel")
    assert other is not None and [u.requirement for u in other.unknown_requirements] == [
        "HLA-A*02:01P | HLA-A*02:02P | HLA-A*02:03P | HLA-A*02:06P", "not HLA-A*02:05P"]
    assert all("cannot tell" in u.missing for u in other.unknown_requirements)


@pytest.mark.parametrize(("typing", "message"), [
    ("[A*0201, A*24:02]", "hla: malformed HLA allele 'A*0201'"),
    ("[A*02:01, HLA-Z*01:01]", "hla: malformed HLA allele 'HLA-Z*01:01': unknown locus 'Z'"),
    ("'A*02:XX'", "hla: malformed HLA allele 'A*02:XX'"),
    ("[A*02:01, A*03:01, A*24:02]", "two HLA-A alleles, 3 given"),
    ("{A: '02:01'}", "a list of HLA alleles"),
])
def test_malformed_hla_typing_is_refused_naming_the_allele(tmp_path: Path, typing: str, message: str) -> None:
    code, output = run(tmp_path, *UVEAL, f"hla: {typing}\n")
    assert code == 2 and message in output and "clinical.yaml" in output
    assert not (tmp_path / "out").exists()


# CLDN18.2: zolbetuximab; c-Met: telisotuzumab vedotin ----------------------------------------------------------------

def test_cldn18_positive_her2_negative_gastric_cancer_gets_zolbetuximab(tmp_path: Path) -> None:
    result = interpret(tmp_path, *GASTRIC, "cldn18_2_ihc_2plus: 85\nher2_ihc: '0'\n")
    zolbetuximab = option(result, "zolbetuximab")
    assert zolbetuximab is not None and zolbetuximab.tier == "I-A" and zolbetuximab.line_of_therapy == "first"
    # HER2 not given: conditional on it, CLDN18.2 shown as met.
    conditional = option(interpret(tmp_path / "her2", *GASTRIC, "cldn18_2_ihc_2plus: 85\n"), "zolbetuximab")
    assert conditional is not None and [u.requirement for u in conditional.unknown_requirements] == ["HER2-negative"]
    for clinical in ("cldn18_2_ihc_2plus: 50\nher2_ihc: '0'\n", "cldn18_2_ihc_2plus: 85\nher2_ihc: 3+\n"):
        assert option(interpret(tmp_path / str(len(clinical)), *GASTRIC, clinical), "zolbetuximab") is None


def test_cmet_overexpressing_nonsquamous_nsclc_gets_telisotuzumab_vedotin(tmp_path: Path) -> None:
    result = interpret(tmp_path, *LUNG, "cmet_ihc_3plus: 60\ncmet_ihc_2plus: 90\n")
    teliso = option(result, "telisotuzumab vedotin")
    assert teliso is not None and teliso.tier == "I-A" and teliso.line_of_therapy == "later"
    assert option(interpret(tmp_path / "low", *LUNG, "cmet_ihc_3plus: 40\n"), "telisotuzumab vedotin") is None
    # 2+ or stronger in 45% bounds 3+ below 50%: known not met.
    assert option(interpret(tmp_path / "2plus", *LUNG, "cmet_ihc_2plus: 45\n"), "telisotuzumab vedotin") is None
    squamous = interpret(tmp_path / "lusc", "LUSC", LUNG[1], "cmet_ihc_3plus: 60\n")
    assert option(squamous, "telisotuzumab vedotin") is None


@pytest.mark.parametrize(("clinical", "message"), [
    ("folr1_ihc_2plus: 101\n", "folr1_ihc_2plus: must be a number 0-100"),
    ("cldn18_2_ihc_2plus: .nan\n", "cldn18_2_ihc_2plus: must be a number 0-100"),
    ("cmet_ihc_3plus: 60\ncmet_ihc_2plus: 40\n", "cmet_ihc_3plus (60%) exceeds cmet_ihc_2plus (40%)"),
    ("mage_a4_ihc_4plus: 60\n", "unknown clinical biomarker(s) mage_a4_ihc_4plus"),
])
def test_ihc_percentages_are_range_checked_naming_the_key(tmp_path: Path, clinical: str, message: str) -> None:
    code, output = run(tmp_path, *OVARIAN, clinical)
    assert code == 2 and message in output and "clinical.yaml" in output


def test_her2_ihc_2plus_without_ish_is_equivocal_not_negative(tmp_path: Path) -> None:
    """ASCO/CAP: IHC 2+ is equivocal until ISH is known, so it neither meets nor rules out a HER2 requirement."""
    equivocal = option(interpret(tmp_path / "equivocal", *GASTRIC, "cldn18_2_ihc_2plus: 85\nher2_ihc: 2+\n"),
                       "zolbetuximab")
    assert equivocal is not None
    reasons = [u.missing for u in equivocal.unknown_requirements]
    assert reasons == ["HER2 IHC 2+ is equivocal: the ISH result is not given"]
    negative = option(interpret(tmp_path / "negative", *GASTRIC,
                                "cldn18_2_ihc_2plus: 85\nher2_ihc: 2+\nher2_ish: not amplified\n"), "zolbetuximab")
    assert negative is not None and not negative.unknown_requirements
    assert option(interpret(tmp_path / "positive", *GASTRIC,
                            "cldn18_2_ihc_2plus: 85\nher2_ihc: 2+\nher2_ish: amplified\n"), "zolbetuximab") is None
