"""Fixtures of the FHIR tests: the IG packages (skip when `make fhir-data` has not fetched them), one checker,
and the demo patient's analysis documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tailormed.kb.fhir_packages import REQUIRED_PACKAGES, default_fhir_dir, fhir_packages_available

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient" / "patient.yaml"


def _require_packages() -> None:
    pytest.importorskip("fhirpathpy", reason="the fhir extra (fhirpathpy) is not installed")
    pytest.importorskip("fhir.resources", reason="the fhir extra (fhir.resources) is not installed")
    if not fhir_packages_available():
        pytest.skip(f"FHIR packages {', '.join(REQUIRED_PACKAGES)} not in {default_fhir_dir()}: run `make fhir-data`")


@pytest.fixture(scope="session")
def checker() -> Any:
    _require_packages()
    from tailormed.ehr.fhir_check import FhirChecker

    return FhirChecker()


@pytest.fixture(scope="session")
def ig_examples(checker: Any) -> Path:
    folder: Path = checker.definitions.ig_examples
    return folder


@pytest.fixture(scope="session")
def demo_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The documents `tailormed analyze` writes for the demo patient (every section; rare disease needs the
    compiled HPO knowledge of `make hpo-data`)."""
    from tailormed.ehr.fhir_export import DOCUMENTS
    from tailormed.errors import KnowledgeError
    from tailormed.pipelines.analyze import run_analyze

    out = tmp_path_factory.mktemp("demo") / "out"
    try:
        run_analyze(DEMO, out)
    except KnowledgeError as exc:
        pytest.skip(f"the demo analysis needs knowledge not installed here: {exc}")
    return {name: json.loads((out / name).read_text()) for name in DOCUMENTS if (out / name).exists()}
