"""FHIR export of a man's tamoxifen advice: the therapeutic implication's conclusion and the medication-recommendation
Task carry the note that CPIC's (and DPWG's) alternatives are written for women, cite its source, and pass the IG
check; a woman's export has no such note."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"


def _documents(folder: Path, sex: str) -> dict[str, Any]:
    from tailormed.ehr.fhir_export import DOCUMENTS
    from tailormed.pipelines.analyze import run_analyze

    folder.mkdir(parents=True)
    (folder / "calls.tsv").write_text("gene\tdiplotype\tphenotype\tactivity_score\nCYP2D6\t*4/*4\t\t\n")
    (folder / "patient.yaml").write_text(f"id: P1\ndemographics:\n  sex: {sex}\noutside_calls: calls.tsv\n"
                                         "medications: [tamoxifen]\n")
    run_analyze(folder / "patient.yaml", folder / "out")
    return {name: json.loads((folder / "out" / name).read_text()) for name in DOCUMENTS
            if (folder / "out" / name).exists()}


def _tamoxifen(bundle: dict[str, Any], profile: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if IG + profile in e["resource"].get("meta", {}).get("profile", [])
            and "tamoxifen" in json.dumps(e["resource"])]


@pytest.mark.parametrize("sex", ["male", "female"])
def test_export_carries_the_written_for_note_for_a_man_only(tmp_path: Path, checker: Any, sex: str) -> None:
    from tailormed.ehr.fhir_export import analysis_bundle

    bundle = analysis_bundle(_documents(tmp_path / "in", sex))
    implications = _tamoxifen(bundle, "therapeutic-implication")
    tasks = _tamoxifen(bundle, "medication-recommendation")
    assert len(implications) == 2 and len(tasks) == 2  # CPIC's and DPWG's rows, for either sex
    conclusions = [c["valueString"] for i in implications for c in i["component"]
                   if any(x["code"] == "conclusion-string" for x in c["code"]["coding"])]
    texts = conclusions + [t["description"] for t in tasks]
    if sex == "male":
        assert all("Written for women: The patient is male." in t for t in texts)
        assert all("Hassett" in json.dumps(i) for i in implications)  # the note's source is cited
    else:
        assert not any("Written for women" in t for t in texts)
    report = checker.check(bundle)
    assert [str(i) for i in report.errors] == []
