"""tailormed analyze: sections written, and inputs this version does not analyse are said so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tailormed.pipelines.analyze import run_analyze

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


def test_a_fhir_bundle_is_reported_as_not_analysed(tmp_path: Path) -> None:
    for name in ("demo.vcf", "outside-calls.tsv", "observations.json"):
        shutil.copy(DEMO / name, tmp_path / name)
    manifest = {"id": "P1", "demographics": {"sex": "female", "age_years": 50},
                "germline": {"vcf": "demo.vcf", "sample_id": "DEMO001"}, "fhir_bundle": "observations.json"}
    (tmp_path / "patient.yaml").write_text(yaml.safe_dump(manifest))
    run_analyze(tmp_path / "patient.yaml", tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert summary["not_analysed"] == ["FHIR bundle"]
    warnings = json.loads((tmp_path / "out" / "pgx.json").read_text())["warnings"]
    assert any(w["code"] == "not_analysed" and "FHIR bundle" in w["message"] for w in warnings)
