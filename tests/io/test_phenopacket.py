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


@pytest.mark.parametrize("overrides, place, message", [
    ({"id": {"a": 1}}, "id", "must be a string, not an object"),
    ({"id": 12345}, "id", "must be a string, not a number"),
    ({"subject": "P1"}, "subject", "must be a JSON object, not a string"),
    ({"subject": {"id": "P1", "sex": ["MALE"]}}, "subject.sex", "must be a string, not an array"),
    ({"subject": {"id": "P1", "timeAtLastEncounter": "P3Y"}}, "subject.timeAtLastEncounter", "must be a JSON object"),
    ({"subject": {"id": "P1", "timeAtLastEncounter": {"age": {"iso8601duration": 5}}}},
     "subject.timeAtLastEncounter.age.iso8601duration", "must be a string, not a number"),
    ({"phenotypicFeatures": {"type": {"id": "HP:0001166"}}}, "phenotypicFeatures", "must be a JSON array"),
    ({"phenotypicFeatures": [{"type": {"id": "HP:0001166", "label": 5}}]}, r"phenotypicFeatures\[0\].type.label",
     "must be a string"),
    ({"phenotypicFeatures": [{"type": {"id": "HP:0001166"}, "excluded": "false"}]},
     r"phenotypicFeatures\[0\].excluded", "must be true or false, not a string"),
    ({"phenotypicFeatures": [{"type": {"id": "HP:0001166"}, "onset": [1]}]}, r"phenotypicFeatures\[0\].onset",
     "must be a JSON object, not an array"),
    ({"diseases": "OMIM:154700"}, "diseases", "must be a JSON array"),
    ({"diseases": [{"term": {"id": "OMIM:1"}, "excluded": 1}]}, r"diseases\[0\].excluded", "must be true or false"),
    ({"interpretations": [{"diagnosis": "Marfan"}]}, r"interpretations\[0\].diagnosis", "must be a JSON object"),
    ({"interpretations": [{"diagnosis": {"disease": {"id": 7}}}]}, r"interpretations\[0\].diagnosis.disease.id",
     "must be a string"),
    ({"metaData": {"phenopacketSchemaVersion": "2.0", "resources": "hp"}}, "metaData.resources",
     "must be a JSON array"),
    ({"metaData": {"phenopacketSchemaVersion": ["2.0"]}}, "metaData.phenopacketSchemaVersion", "must be a string"),
])
def test_a_value_of_the_wrong_json_type_names_its_place(tmp_path, overrides, place, message):
    with pytest.raises(InputError, match=rf"case.json:{place}: {message}"):
        read_phenotype(_write(tmp_path, _packet(**overrides)))


def test_a_string_false_is_not_read_as_excluded(tmp_path):
    """bool("false") is True: a feature must not flip to excluded because a tool wrote the flag as text."""
    with pytest.raises(InputError, match="excluded: must be true or false"):
        read_phenotype(_write(tmp_path, _packet(phenotypicFeatures=[{"type": {"id": "HP:0001166"},
                                                                     "excluded": "false"}])))


def test_folder_deep_nesting_non_utf8_and_bom(tmp_path):
    folder = tmp_path / "case.json"
    folder.mkdir()
    with pytest.raises(InputError, match="case.json: is a folder, not a phenotype file"):
        read_phenotype(folder)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(InputError, match="deep.json: nested too deeply"):
        read_phenotype(deep)
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps(_packet()).replace("Arachnodactyly", "Arachno\u00e9").encode("latin-1"))
    with pytest.raises(InputError, match="latin.json:line 1: not UTF-8 text"):
        read_phenotype(latin)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(_packet(), indent=1).replace("\n", "\r\n").encode())
    assert read_phenotype(bom).id == "case-1"


def test_markup_and_escapes_in_the_id_are_kept_as_written(tmp_path):
    for case_id in ("[bold]x[/bold]", "x[/]", "x\x1b[2Jy"):
        assert read_phenotype(_write(tmp_path, _packet(id=case_id))).id == case_id


def test_hpo_list_folder_bom_crlf_and_long_tokens(tmp_path):
    folder = tmp_path / "terms.txt"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_phenotype(folder)
    path = tmp_path / "list.txt"
    path.write_bytes(b"\xef\xbb\xbfHP:0001166\r\n!HP:0001083\r\n")
    assert [(t.id, t.excluded) for t in read_phenotype(path).terms] == [("HP:0001166", False), ("HP:0001083", True)]
    path.write_text("X" * 100_000 + "\n")
    with pytest.raises(InputError) as error:
        read_phenotype(path)
    assert len(str(error.value)) < 200


def test_family_pedigree_values_of_the_wrong_type_are_named(tmp_path):
    from tailormed.io.phenopacket import family_pedigree

    family = {"id": "fam", "proband": _packet(), "metaData": _packet()["metaData"],
              "pedigree": {"persons": [{"individualId": ["a"]}]}}
    with pytest.raises(InputError, match=r"pedigree.persons\[0\].individualId: must be a string"):
        family_pedigree(family, source="fam.json")
    with pytest.raises(InputError, match="pedigree.persons: must be a JSON array"):
        family_pedigree({**family, "pedigree": {"persons": "x"}}, source="fam.json")
