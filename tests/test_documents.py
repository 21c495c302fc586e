"""Reading users' text, JSON and YAML files: every problem is one InputError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.documents import check_file, load_json, load_yaml, read_text
from tailormed.errors import InputError


def test_a_name_too_long_for_the_file_system_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot open the file"):
        check_file(tmp_path / ("x" * 5000 + ".vcf"))


def test_a_folder_missing_file_and_nul_in_the_name(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a VCF"):
        check_file(tmp_path, "VCF")
    with pytest.raises(InputError, match="phenopacket not found"):
        check_file(tmp_path / "nope.json", "phenopacket")
    with pytest.raises(InputError, match="NUL"):
        check_file(Path(f"{tmp_path}/a\x00b.json"))
    with pytest.raises(InputError, match="not found"):
        check_file(tmp_path / "file.txt" / "below-a-file.json")  # a parent that is not a folder
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="not found"):
        check_file(tmp_path / "file.txt" / "below-a-file.json")


def test_bom_and_crlf_are_read_as_plain_text(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\r\n")
    assert read_text(path) == "one\ntwo\n"


def test_a_key_given_twice_names_both_lines(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("id: P1\nsex: male\nid: P2\n")
    with pytest.raises(InputError, match=r"m.yaml:line 3 column 1: not valid YAML \(key 'id' is given twice "
                                         r"\(first on line 1\)\)"):
        load_yaml(path)


def test_merge_keys_and_repeated_keys_in_different_mappings_are_fine(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\ne: {x: 3}\n")
    assert load_yaml(path) == {"base": {"x": 1}, "d": {"x": 1, "y": 2}, "e": {"x": 3}}


def test_a_value_no_type_can_hold_is_an_input_error(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("birth_date: 2020-13-45\n")
    with pytest.raises(InputError, match="not valid YAML .month must be in 1..12"):
        load_yaml(path)


def test_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="once its YAML aliases are expanded"):
        load_yaml(path)


def test_a_few_aliases_are_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("common: &c [a, b, c]\none: *c\ntwo: *c\n")
    assert load_yaml(path)["two"] == ["a", "b", "c"]


def test_alias_loop_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &r [1, *r]\n")
    with pytest.raises(InputError, match="refers to itself"):
        load_yaml(path)


def test_aliases_chained_beyond_the_depth_limit_are_refused(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text("".join(f"x{i}: &x{i} " + "[" * 150 + (f"*x{i - 1}" if i else "1") + "]" * 150 + "\n"
                            for i in range(3)))
    with pytest.raises(InputError, match="nested too deeply"):
        load_yaml(path)


@pytest.mark.parametrize("depth, ok", [(199, True), (200, True), (201, False)])
def test_depth_limit_is_exact(tmp_path, depth, ok):
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth)
    if ok:
        load_json(path)
    else:
        with pytest.raises(InputError, match="nested too deeply"):
            load_json(path)
