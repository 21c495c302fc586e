"""Phenopacket v2 and HPO-list reading, including the inputs that must be refused."""

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.phenopacket import hpo_ids_to_profile, read_phenotype


def _packet(**overrides: object) -> dict:
    document = {
        "id": "case-1",
        "subject": {"id": "P1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P4Y"}}},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0001166", "label": "Arachnodactyly"}},
            {"type": {"id": "HP:0001083", "label": "Ectopia lentis"}, "excluded": True},
        ],
        "interpretations": [{"id": "i1", "progressStatus": "SOLVED",
                             "diagnosis": {"disease": {"id": "OMIM:154700", "label": "Marfan syndrome"}}}],
        "metaData": {"phenopacketSchemaVersion": "2.0.2", "created": "2026-01-01T00:00:00Z", "resources": []},
    }
    document.update(overrides)
    return document


def _write(tmp_path: Path, document: object, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_reads_terms_sex_age_and_diagnosis(tmp_path: Path) -> None:
    profile = read_phenotype(_write(tmp_path, _packet()))
    assert profile.id == "case-1" and profile.sex == "female" and profile.age == "P4Y"
    assert [(t.id, t.excluded) for t in profile.terms] == [("HP:0001166", False), ("HP:0001083", True)]
    assert profile.known_diagnoses == ["OMIM:154700"]
    assert profile.proband_sample == "P1"


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"id": "x",\n "subject": }')
    with pytest.raises(InputError, match=r"not valid JSON") as info:
        read_phenotype(path)
    assert "bad.json:line 2" in str(info.value)


def test_v1_phenopacket_is_refused(tmp_path: Path) -> None:
    v1 = _packet(metaData={"phenopacketSchemaVersion": "1.0.0"})
    with pytest.raises(InputError, match="Phenopacket v1"):
        read_phenotype(_write(tmp_path, v1))
    legacy = _packet(genes=[{"id": "HGNC:3603"}])
    del legacy["metaData"]["phenopacketSchemaVersion"]
    with pytest.raises(InputError, match="v1"):
        read_phenotype(_write(tmp_path, legacy))


def test_v1_negated_field_and_bad_ids_are_refused(tmp_path: Path) -> None:
    negated = _packet(phenotypicFeatures=[{"type": {"id": "HP:0001166"}, "negated": True}])
    with pytest.raises(InputError, match="negated"):
        read_phenotype(_write(tmp_path, negated))
    bad_id = _packet(phenotypicFeatures=[{"type": {"id": "OMIM:154700"}}])
    with pytest.raises(InputError, match=r"phenotypicFeatures\[0\]"):
        read_phenotype(_write(tmp_path, bad_id))


def test_not_a_phenopacket(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="metaData"):
        read_phenotype(_write(tmp_path, {"hello": "world"}))
    with pytest.raises(InputError, match="JSON object"):
        read_phenotype(_write(tmp_path, ["HP:0001166"]))
    assert read_phenotype(_write(tmp_path, _packet(phenotypicFeatures=[]))).terms == []  # genotype-only case


def test_hpo_list_file_with_excluded_terms_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "terms.txt"
    path.write_text("# proband\nHP:0001166, !HP:0001083\n-HP:0000098  # tall stature absent\n")
    profile = read_phenotype(path)
    assert [(t.id, t.excluded) for t in profile.terms] == [
        ("HP:0001166", False), ("HP:0001083", True), ("HP:0000098", True)]
    path.write_text("HP:0001166\nHP:123\n")
    with pytest.raises(InputError, match="terms.txt:line 2"):
        read_phenotype(path)


def test_command_line_ids() -> None:
    profile = hpo_ids_to_profile(["HP:0001166", "!HP:0001083"])
    assert [t.excluded for t in profile.terms] == [False, True]
    with pytest.raises(InputError, match="--hpo"):
        hpo_ids_to_profile(["arachnodactyly"])
