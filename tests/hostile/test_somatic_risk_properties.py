"""Hostile documents and property tests for the oncology and risk readers: whatever the bytes, a reader returns a
parsed result or raises InputError, never another exception."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tailormed.documents import MAX_DEPTH, load_json, load_yaml
from tailormed.errors import InputError

# ----------------------------------------------------------------------------------------------- documents.py


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    with pytest.raises(InputError, match=r"bomb\.yaml: too large: more than .* values once its YAML aliases"):
        load_yaml(bomb)
    assert time.monotonic() - started < 10


def test_yaml_that_contains_itself_is_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &a [1, *a]\n")
    with pytest.raises(InputError, match=r"loop\.yaml: refers to itself"):
        load_yaml(loop)


def test_shared_aliases_within_limits_are_read(tmp_path: Path) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_text("base: &base {tmb: 5}\nfirst: *base\nsecond: *base\n")
    assert load_yaml(shared) == {"base": {"tmb": 5}, "first": {"tmb": 5}, "second": {"tmb": 5}}


def test_depth_limit_is_exact(tmp_path: Path) -> None:
    ok, deep = tmp_path / "ok.json", tmp_path / "deep.json"
    ok.write_text("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    deep.write_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    load_json(ok)
    with pytest.raises(InputError, match="nested too deeply"):
        load_json(deep)
    aliased = tmp_path / "aliased.yaml"  # depth reached through an alias counts too
    aliased.write_text("deep: &d " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\ntop: [[*d]]\n")
    with pytest.raises(InputError, match="nested too deeply"):
        load_yaml(aliased)
