"""Clinical ASCVD from FHIR Procedures: a completed coronary or carotid revascularisation (CMS347 value sets, kept to
Grundy et al. 2019, section 4.1) makes the advice secondary prevention; a Procedure not done, entered in error or not
in the curated list does not (one whose status is not completed, or whose text names a revascularisation, is listed
for the clinician to confirm), and a person file saying false against a completed one is refused."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.io.fhir_observations import (
    CLINICAL_ASCVD_CODES,
    ICD10PCS_SYSTEM,
    REVASCULARISATION_CODES,
    SNOMED_SYSTEM,
    read_fhir_observations,
    revascularisation,
)
from tailormed.io.risk_profile import read_person

CABG = "232717009"  # Coronary artery bypass grafting (procedure), CABG Surgeries 2.16.840.1.113883.3.666.5.694
CABG_ANGIOGRAPHY = "252427007"  # Angiography of coronary artery bypass graft: in that set, not a revascularisation
# A 55-year-old man whose PCE 10-year estimate exists (primary prevention) when no clinical ASCVD is recorded.
PERSON = ("age: 55\nsex: male\ntotal_cholesterol_mg_dl: 213\nhdl_mg_dl: 50\nldl_mg_dl: 130\nsystolic_bp_mmhg: 128\n"
          "egfr: 90\nfhir_bundle: record.json\n")


def _procedure(code: str, status: str | None = "completed", system: str = SNOMED_SYSTEM, display: str | None = None,
               code_text: str | None = None, **extra: object) -> dict:
    coding = {"system": system, "code": code} | ({"display": display} if display else {})
    concept: dict = {"coding": [coding]} | ({"text": code_text} if code_text else {})
    resource: dict = {"resourceType": "Procedure", "code": concept, **extra}
    if status is not None:
        resource["status"] = status
    return resource


def _record(tmp_path: Path, *resources: dict, person: str = PERSON) -> Path:
    (tmp_path / "record.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                                      "entry": [{"resource": r} for r in resources]}))
    (tmp_path / "person.yaml").write_text(person)
    return tmp_path / "person.yaml"


def _assess(tmp_path: Path, person_file: Path) -> dict:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(person_file), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    document: dict = json.loads((out / "risk.json").read_text())
    return document


def _pce(document: dict) -> list[dict]:
    return [e for e in document["estimates"] if e["name"].startswith("Pooled")]


def test_a_completed_cabg_gives_secondary_prevention_and_no_pce(tmp_path: Path) -> None:
    person_file = _record(tmp_path, {"resourceType": "Observation", "status": "final"},
                          _procedure(CABG, performedDateTime="2019-03-04"))
    document = _assess(tmp_path, person_file)
    assert document["person"]["clinical_ascvd"] is True
    assert _pce(document) == [] and "PCE 10-year ASCVD" in document["not_computed"]
    setting = document["prevention_setting"]
    assert setting["setting"] == "secondary prevention (clinical ASCVD)"
    evidence = document["inputs_from"]["clinical_ascvd"]
    assert evidence.startswith("coronary artery bypass graft (Procedure, SNOMED CT 232717009, performed 2019-03-04")
    assert "record.json:entry[1]" in evidence
    topics = {a["topic"] for a in document["advice"]}
    assert "secondary prevention" in topics and "10-year ASCVD risk" not in topics
    page = (tmp_path / "out" / "report.html").read_text()
    assert "No first-event risk estimate is shown" in page and "assumed absent" not in page


@pytest.mark.parametrize("procedure", [
    _procedure(CABG, status="not-done"),
    _procedure(CABG, status="entered-in-error"),
    _procedure(CABG_ANGIOGRAPHY),  # code only: nothing to say it is a revascularisation
    _procedure("175373000"),  # Ligation of carotid artery: in Carotid Intervention, not a revascularisation
    _procedure(CABG, system="http://www.ama-assn.org/go/cpt"),  # right code, wrong system, no text
    _procedure("02700DZ", system=ICD10PCS_SYSTEM),  # open coronary dilation: not in the PCI value set
    {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED_SYSTEM, "code": "1234567"}]}},
    _procedure("999998", code_text="Appendectomy"),  # an unrelated procedure named in text
], ids=["not-done", "entered-in-error", "angiography", "ligation", "cpt-system", "open-dilation", "condition",
        "unrelated"])
def test_procedures_that_do_not_record_a_revascularisation_leave_primary_prevention(tmp_path: Path,
                                                                                      procedure: dict) -> None:
    document = _assess(tmp_path, _record(tmp_path, procedure))
    assert document["person"]["clinical_ascvd"] is None and "clinical_ascvd" not in document["inputs_from"]
    assert len(_pce(document)) == 1 and "PCE 10-year ASCVD" not in document["not_computed"]
    setting = document["prevention_setting"]
    assert setting["clinical_ascvd"] is None and setting["setting"].endswith("assumed absent)")
    assert any(a["topic"] == "prevention setting" and "assumes" in a["statement"] for a in document["advice"])


@pytest.mark.parametrize(("procedure", "listed_as"), [
    (_procedure(CABG, status="in-progress"), "coronary artery bypass graft, status in-progress (Procedure"),
    (_procedure(CABG, status=None), "coronary artery bypass graft, status no status (Procedure"),
    (_procedure("33533", system="http://www.ama-assn.org/go/cpt",
                display="Coronary artery bypass, using arterial graft(s); single arterial graft"),
     "Coronary artery bypass, using arterial graft(s)"),
    (_procedure(CABG_ANGIOGRAPHY, display="Angiography of coronary artery bypass graft (procedure)"),
     "Angiography of coronary artery bypass graft"),
    (_procedure("999999", code_text="Femoral-popliteal bypass for claudication", status="unknown"),
     "Femoral-popliteal bypass for claudication (Procedure, status unknown"),
], ids=["in-progress", "no-status", "cpt-with-display", "graft-angiography", "peripheral-bypass-text"])
def test_procedures_that_may_record_a_revascularisation_are_for_the_clinician_to_confirm(
        tmp_path: Path, procedure: dict, listed_as: str) -> None:
    document = _assess(tmp_path, _record(tmp_path, procedure))
    assert document["person"]["clinical_ascvd"] is None and "clinical_ascvd" not in document["inputs_from"]
    setting = document["prevention_setting"]
    assert setting["setting"] == "clinical ASCVD to confirm: the record lists possible clinical ASCVD"
    assert listed_as in setting["to_confirm"] and "record.json:entry[0]" in setting["to_confirm"]
    assert document["advice"][0]["topic"] == "confirm clinical ASCVD first"


def test_icd10pcs_and_snomed_codes_of_each_group(tmp_path: Path) -> None:
    path = _record(tmp_path,
                   _procedure("0210093", system=ICD10PCS_SYSTEM),  # CABG one artery, autologous vein, from aorta
                   _procedure("02703dz", system=ICD10PCS_SYSTEM),  # PCI one artery with stent, percutaneous
                   _procedure("415070008", performedPeriod={"start": "2021-05-01", "end": "2021-05-01"}),  # PCI
                   _procedure("66951008"),  # carotid endarterectomy
                   _procedure("0210", system=ICD10PCS_SYSTEM),  # a prefix is not a code
                   _procedure("00000000"))
    found = read_fhir_observations(path.parent / "record.json").clinical_ascvd
    assert [f.split(" (")[0] for f in found] == ["coronary artery bypass graft", "percutaneous coronary intervention",
                                                 "percutaneous coronary intervention", "carotid revascularisation"]
    assert "ICD-10-PCS 0210093" in found[0] and "ICD-10-PCS 02703DZ" in found[1] and "entry[1]" in found[1]
    assert "performed 2021-05-01" in found[2] and "SNOMED CT 66951008" in found[3]


def test_conditions_and_procedures_are_both_evidence(tmp_path: Path) -> None:
    path = _record(tmp_path, {"resourceType": "Condition", "code": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I25.2"}]}}, _procedure("36969009"))
    person, origin = read_person(path)
    assert person.clinical_ascvd is True
    assert "old myocardial infarction" in origin["clinical_ascvd"]
    assert "percutaneous coronary intervention (Procedure, SNOMED CT 36969009" in origin["clinical_ascvd"]


def test_person_file_saying_no_ascvd_against_a_completed_pci_is_refused(tmp_path: Path) -> None:
    path = _record(tmp_path, _procedure("36969009"), person=PERSON + "clinical_ascvd: false\n")
    with pytest.raises(InputError, match=r"clinical_ascvd is false .* percutaneous coronary intervention \(Procedure"):
        read_person(path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(path), "--out", str(out)])
    assert result.exit_code == 2 and "person.yaml" in result.output and "record.json:entry[0]" in result.output
    assert not out.exists()
    # the same file with a not-done procedure is accepted: a Procedure can only say "has clinical ASCVD"
    _record(tmp_path, _procedure("36969009", status="not-done"), person=PERSON + "clinical_ascvd: false\n")
    assert read_person(path)[0].clinical_ascvd is False


def test_the_curated_lists_keep_to_revascularisation() -> None:
    snomed = {code for system, code in REVASCULARISATION_CODES if system == SNOMED_SYSTEM}
    assert all(code.isdigit() for code in snomed)
    assert not snomed & {code for system, code in CLINICAL_ASCVD_CODES if system == SNOMED_SYSTEM}
    # imaging of a graft or artery, ligation and stent grafts from the measure's sets are left out
    for left_out in (CABG_ANGIOGRAPHY, "438530000", "440332008", "450506009", "241219006", "175373000",
                     "433591001", "427486009"):
        assert revascularisation(SNOMED_SYSTEM, left_out) is None
    pcs = sorted(code for system, code in REVASCULARISATION_CODES if system == ICD10PCS_SYSTEM)
    assert pcs == ["0210", "0211", "0212", "0213", "02703", "02704", "02713", "02714", "02723", "02724", "02733",
                   "02734"]
