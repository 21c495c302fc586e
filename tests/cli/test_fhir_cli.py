"""`tailormed fhir export|check|import` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.kb.fhir_packages import GENOMICS_IG, default_fhir_dir, fhir_packages_available

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("fhirpathpy", reason="the fhir extra is not installed")
    if not fhir_packages_available():
        pytest.skip("FHIR packages not fetched: run `make fhir-data`")
    folder = tmp_path_factory.mktemp("pgx")
    for name in ("demo.vcf", "outside-calls.tsv"):
        shutil.copy(DEMO / name, folder / name)
    manifest = {"id": "P1", "demographics": {"sex": "female"}, "germline": {"vcf": "demo.vcf", "sample_id": "DEMO001"},
                "outside_calls": "outside-calls.tsv", "medications": ["clopidogrel"]}
    (folder / "patient.yaml").write_text(yaml.safe_dump(manifest))
    result = runner.invoke(app, ["analyze", str(folder / "patient.yaml"), "--out", str(folder / "out"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "out"


def test_export_prints_a_bundle_that_the_check_passes(analysis: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["fhir", "export", str(analysis)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout)
    assert bundle["resourceType"] == "Bundle" and bundle["entry"][0]["resource"]["resourceType"] == "DiagnosticReport"
    (tmp_path / "bundle.json").write_text(result.stdout)
    checked = runner.invoke(app, ["fhir", "check", str(tmp_path / "bundle.json")])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip().endswith("0 error(s), 0 warning(s)")


def test_check_exits_1_and_names_the_problem(analysis: Path, tmp_path: Path) -> None:
    bundle = json.loads(runner.invoke(app, ["fhir", "export", str(analysis)]).stdout)
    bundle["entry"][0]["resource"]["status"] = "done"
    (tmp_path / "bad.json").write_text(json.dumps(bundle))
    result = runner.invoke(app, ["fhir", "check", str(tmp_path / "bad.json"), "-q"])
    assert result.exit_code == 1
    assert "entry[0].resource(DiagnosticReport/" in result.stdout and ".status: 'done' is not in the required" in (
        result.stdout)


def test_export_of_a_folder_that_is_not_an_analysis_is_one_error_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fhir", "export", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: {tmp_path}: no analysis.json: not an output folder of "
                                                  "`tailormed analyze`"]


def test_check_of_a_missing_file_is_one_error_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fhir", "check", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "FHIR file not found" in result.output


def test_import_reads_the_igs_pgx_example_and_reanalyses_it(analysis: Path) -> None:
    folder = default_fhir_dir()
    assert folder is not None
    example = folder / GENOMICS_IG / "package" / "example" / "Bundle-bundle-pgxexample.json"
    result = runner.invoke(app, ["fhir", "import", str(example)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["genotypes"][0]["gene"] == "CYP2C9" and record["genotypes"][0]["diplotype"] == "*4/*35B"
    reanalysed = runner.invoke(app, ["fhir", "import", "--pgx", str(example)])
    assert reanalysed.exit_code == 0, reanalysed.output
    genotypes = [e["resource"] for e in json.loads(reanalysed.stdout)["entry"]
                 if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "84413-4"]
    assert [g["valueCodeableConcept"]["text"] for g in genotypes] == ["CYP2C9 *4/*35B"]


def test_every_fhir_command_has_help() -> None:
    for command in ("export", "check", "import"):
        result = runner.invoke(app, ["fhir", command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
