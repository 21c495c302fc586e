"""Trials are matched with the patient's age and sex: from `--clinical` (`age`, `sex`) in `onco interpret` and
`onco batch`, and from the patient manifest's demographics in `analyze` (the clinical file's when the manifest
gives none; both given and different is an error naming both)."""

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.model.onco import ClinicalBiomarkers, OncoResult
from tailormed.model.patient import Demographics
from tailormed.pipelines.analyze import trial_demographics

runner = CliRunner()
TRIALS = """trials:
  - id: NCT90000001
    title: KRAS G12C inhibitor, adults up to 65 (test trial)
    phase: '2'
    status: recruiting
    conditions: [NSCLC]
    inclusion: [KRAS G12C]
    min_age: 18
    max_age: 65
    source: test
  - id: NCT90000002
    title: KRAS G12C inhibitor in women (test trial)
    phase: '2'
    status: recruiting
    conditions: [NSCLC]
    inclusion: [KRAS G12C]
    sex: female
    source: test
"""


def tumour_files(folder: Path, clinical: str | None) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"maf": folder / "tumour.maf", "trials": folder / "trials.yaml"}
    files["maf"].write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n"
                            "KRAS\tMissense_Mutation\tT1\tp.G12C\n")
    files["trials"].write_text(TRIALS)
    if clinical is not None:
        files["clinical"] = folder / "clinical.yaml"
        files["clinical"].write_text(clinical)
    return files


def criteria(result: OncoResult) -> dict[tuple[str, str], tuple[bool | None, str]]:
    """(trial, kind) -> (met, detail) for the age and sex criteria; plus each trial's eligibility."""
    found: dict[tuple[str, str], tuple[bool | None, str]] = {}
    for trial in result.trials:
        found[(trial.trial_id, "eligible")] = (trial.eligible, "")
        for criterion in trial.criteria:
            if criterion.kind in ("age", "sex"):
                found[(trial.trial_id, criterion.kind)] = (criterion.met, criterion.detail)
    return found


def interpret(folder: Path, clinical: str | None) -> OncoResult:
    files = tumour_files(folder, clinical)
    args = ["onco", "interpret", "--maf", str(files["maf"]), "--tumor-type", "LUAD", "--trials", str(files["trials"]),
            "--out", str(folder / "out"), "-q"]
    if "clinical" in files:
        args += ["--clinical", str(files["clinical"])]
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    return OncoResult.model_validate_json((folder / "out" / "actionability.json").read_text())


def analyze(folder: Path, demographics: str, clinical: str | None) -> tuple[int, str, Path]:
    files = tumour_files(folder, clinical)
    listed = ", ".join(f"{role}: {path}" for role, path in files.items())
    manifest = folder / "patient.yaml"
    manifest.write_text(f"id: P1\n{demographics}tumour_type: LUAD\ntumour_files: {{{listed}}}\n")
    outcome = runner.invoke(app, ["analyze", str(manifest), "--out", str(folder / "out"), "-q"])
    return outcome.exit_code, outcome.output, folder / "out" / "onco" / "actionability.json"


def test_interpret_reads_age_and_sex_from_the_clinical_file(tmp_path: Path) -> None:
    old_man = criteria(interpret(tmp_path / "m70", "age: 70\nsex: male\n"))
    assert old_man[("NCT90000001", "age")] == (False, "patient is 70 years: outside the range")
    assert old_man[("NCT90000002", "sex")] == (False, "patient is male")
    assert old_man[("NCT90000001", "eligible")][0] is False and old_man[("NCT90000002", "eligible")][0] is False
    woman = criteria(interpret(tmp_path / "f50", "age: 50\nsex: Female\n"))
    assert woman[("NCT90000001", "age")] == (True, "patient is 50 years")
    assert woman[("NCT90000002", "sex")] == (True, "patient is female")
    assert woman[("NCT90000001", "eligible")][0] is True and woman[("NCT90000002", "eligible")][0] is True
    untold = criteria(interpret(tmp_path / "none", None))
    assert untold[("NCT90000001", "age")] == (None, "patient age not given")
    assert untold[("NCT90000002", "sex")] == (None, "patient sex not given")


@pytest.mark.parametrize(("clinical", "message"), [
    ("age: 131\n", "age: must be a number 0-130 years"),
    ("age: -1\n", "age: must be a number 0-130 years"),
    ("age: .nan\n", "age: must be a number 0-130 years"),
    ("age: 1e308\n", "age: must be a number 0-130 years"),
    ("sex: unknown\n", "sex: Input should be 'female' or 'male'"),
])
def test_clinical_age_and_sex_are_range_checked(tmp_path: Path, clinical: str, message: str) -> None:
    files = tumour_files(tmp_path, clinical)
    outcome = runner.invoke(app, ["onco", "interpret", "--maf", str(files["maf"]), "--tumor-type", "LUAD",
                                  "--clinical", str(files["clinical"]), "--out", str(tmp_path / "out"), "-q"])
    assert outcome.exit_code == 2 and message in outcome.output and "clinical.yaml" in outcome.output
    assert not (tmp_path / "out").exists()


def test_analyze_matches_trials_with_the_manifest_demographics(tmp_path: Path) -> None:
    code, output, result_file = analyze(tmp_path / "a", "demographics: {age_years: 58, sex: male}\n", None)
    assert code == 0, output
    found = criteria(OncoResult.model_validate_json(result_file.read_text()))
    assert found[("NCT90000001", "age")] == (True, "patient is 58 years")
    assert found[("NCT90000002", "sex")] == (False, "patient is male")
    # The manifest says nothing: the clinical file's values are used; agreeing values are fine.
    code, output, result_file = analyze(tmp_path / "b", "", "age: 70\nsex: female\n")
    assert code == 0, output
    found = criteria(OncoResult.model_validate_json(result_file.read_text()))
    assert found[("NCT90000001", "age")][0] is False and found[("NCT90000002", "sex")][0] is True
    code, output, _ = analyze(tmp_path / "c", "demographics: {age_years: 58, sex: female}\n", "age: 58\nsex: female\n")
    assert code == 0, output


@pytest.mark.parametrize(("demographics", "clinical", "message"), [
    ("demographics: {age_years: 58}\n", "age: 61\n", "age disagrees: demographics.age_years 58 in the manifest, "
                                                      "age 61 in the clinical file"),
    ("demographics: {sex: female}\n", "sex: male\n", "sex disagrees: demographics.sex female in the manifest, "
                                                     "sex male in the clinical file"),
])
def test_analyze_refuses_demographics_that_disagree_naming_both(tmp_path: Path, demographics: str, clinical: str,
                                                                message: str) -> None:
    code, output, _ = analyze(tmp_path, demographics, clinical)
    assert code == 2 and message in output and "clinical.yaml" in output
    assert not (tmp_path / "out").exists()


def test_age_from_birth_date_and_whole_years() -> None:
    born = Demographics(birth_date=date(1968, 6, 30))
    assert trial_demographics(born, ClinicalBiomarkers(), None, today=date(2026, 6, 29)) == (57.0, None)
    assert trial_demographics(born, ClinicalBiomarkers(age=58), None, today=date(2026, 6, 30)) == (58.0, None)
    with pytest.raises(InputError, match=r"birth_date 1968-06-30 \(age 57\)"):
        trial_demographics(born, ClinicalBiomarkers(age=58), None, today=date(2026, 6, 29))
    # Ages are compared in whole years; the manifest's wins. 'unknown' sex is no sex; 'other' is passed on.
    assert trial_demographics(Demographics(age_years=58, sex="unknown"), ClinicalBiomarkers(age=58.5, sex="male"),
                              None) == (58.0, "male")
    assert trial_demographics(Demographics(sex="other"), ClinicalBiomarkers(), None) == (None, "other")


def test_batch_reads_each_patients_age_and_sex_from_the_tumour_type_table(tmp_path: Path) -> None:
    files = tumour_files(tmp_path, None)
    files["maf"].write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n"
                            "KRAS\tMissense_Mutation\tT1\tp.G12C\nKRAS\tMissense_Mutation\tT2\tp.G12C\n"
                            "KRAS\tMissense_Mutation\tT3\tp.G12C\n")
    table = tmp_path / "samples.tsv"
    table.write_text("SAMPLE_ID\tONCOTREE_CODE\tAGE\tSEX\nT1\tLUAD\t70\tMale\nT2\tLUAD\t50\tFemale\nT3\tLUAD\tNA\t\n")
    outcome = runner.invoke(app, ["onco", "batch", "--maf", str(files["maf"]), "--tumor-types", str(table),
                                  "--trials", str(files["trials"]), "--out", str(tmp_path / "out"), "-q"])
    assert outcome.exit_code == 0, outcome.output
    found = {sample: criteria(OncoResult.model_validate_json((tmp_path / "out" / sample / "actionability.json")
                                                            .read_text())) for sample in ("T1", "T2", "T3")}
    assert found["T1"][("NCT90000001", "age")][0] is False and found["T1"][("NCT90000002", "sex")][0] is False
    assert found["T2"][("NCT90000001", "age")][0] is True and found["T2"][("NCT90000002", "sex")][0] is True
    assert found["T3"][("NCT90000001", "age")] == (None, "patient age not given")
    table.write_text("SAMPLE_ID\tONCOTREE_CODE\tAGE\tSEX\nT1\tLUAD\t170\tMale\n")
    outcome = runner.invoke(app, ["onco", "batch", "--maf", str(files["maf"]), "--tumor-types", str(table),
                                  "--out", str(tmp_path / "never"), "-q"])
    assert outcome.exit_code == 2 and "samples.tsv:line 2: AGE must be 0-130 years" in outcome.output
    assert not (tmp_path / "never").exists()
