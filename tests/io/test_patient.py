"""The patient manifest: every problem is one InputError naming the manifest and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.patient import load_patient

GOOD = "id: P1\ngermline:\n  vcf: demo.vcf\n  sample_id: S1\nmedications: [Clopidogrel]\n"


def _manifest(tmp_path: Path, text: str, name: str = "patient.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_manifest_resolves_paths_beside_it(tmp_path):
    patient = load_patient(_manifest(tmp_path, GOOD))
    assert patient.germline is not None and patient.germline.vcf == tmp_path / "demo.vcf"
    assert patient.medications == ["clopidogrel"]


@pytest.mark.parametrize("text, message", [
    (GOOD + "colour: blue\n", r"patient.yaml:colour: unknown key"),
    ("id: P1\ngermline:\n  vcff: demo.vcf\n", r"patient.yaml:germline.vcff: unknown key"),
    ("id: [P1]\n", r"patient.yaml:id: Input should be a valid string"),
    ("id: 5\n", r"patient.yaml:id: Input should be a valid string \(got 5\)"),
    ("id: '../x'\n", r"patient.yaml:id: String should match pattern"),
    (GOOD.replace("[Clopidogrel]", "clopidogrel"), r"medications: Input should be a valid list \(got 'clopidogrel'\)"),
    (GOOD + "missing_as_reference: perhaps\n", r"missing_as_reference: Input should be a valid boolean"),
    (GOOD + "demographics: {age_years: .nan}\n", r"demographics.age_years: .* \(got nan\)"),
    (GOOD + "demographics: {age_years: .inf}\n", r"demographics.age_years: .* \(got inf\)"),
    ("id: P1\ngermline:\n  vcf: ''\n", r"germline.vcf: an empty path; give a file name or leave the key out"),
    ("id: P1\nphenopacket: ' '\n", r"phenopacket: an empty path"),
    (GOOD + "tumour_files: {maf: x.maf, vcf: y.vcf}\ntumour_type: LUAD\n", r"patient.yaml: tumour_files needs exactly"),
    ("- id: P1\n", "patient.yaml: a patient manifest must be a mapping"),
    ("", "patient.yaml: a patient manifest must be a mapping"),
    (GOOD + "id: P2\n", r"patient.yaml:line 6 column 1: not valid YAML \(key 'id' is given twice"),
    (GOOD + "demographics: {birth_date: 2020-13-45}\n", r"patient.yaml: not valid YAML \(month must be in 1..12\)"),
    ("id: " + "[" * 5000 + "]" * 5000 + "\n", "patient.yaml: nested too deeply"),
])
def test_bad_manifests_name_the_file_and_key(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        load_patient(_manifest(tmp_path, text))


def test_folder_non_utf8_crlf_and_json(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a patient manifest"):
        load_patient(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(GOOD.encode() + b"# caf\xe9\n")
    with pytest.raises(InputError, match=r"latin.yaml:line 6: not UTF-8 text \(byte 0xe9\)"):
        load_patient(latin)
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(GOOD.replace("\n", "\r\n").encode())
    assert load_patient(crlf).id == "P1"
    as_json = _manifest(tmp_path, '{"id": "P1", "germline": {"vcf": "demo.vcf"}}', "patient.json")
    assert load_patient(as_json).germline is not None
