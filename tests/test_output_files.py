"""Single files written whole or not at all (tailormed.output.write_text_atomic / write_bytes_atomic)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tailormed.errors import OutputError
from tailormed.output import write_bytes_atomic, write_text_atomic


def test_a_file_is_written_replaced_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "new" / "table.json"
    write_text_atomic(target, "{\"a\": \"é\"}\n")
    assert target.read_bytes() == "{\"a\": \"é\"}\n".encode()
    write_bytes_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["table.json"]


def test_the_file_gets_the_permissions_of_a_plain_write(tmp_path: Path) -> None:
    # The first write_text_atomic (tempfile.NamedTemporaryFile) left files 0600, unlike the hand-rolled writers it
    # replaces (a knowledge table shared by several users must stay readable by them).
    previous = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_one_output_error_and_the_old_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "table.json"
    target.write_text("old")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="cannot write") as caught:
            write_text_atomic(target, "new")
    finally:
        tmp_path.chmod(0o755)
    assert caught.value.source == str(target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["table.json"]


def test_a_failed_write_removes_its_partial_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "table.json"
    target.write_text("old")
    target_dir = tmp_path / "folder"
    target_dir.mkdir()
    (target_dir / "inside").write_text("")
    with pytest.raises(OutputError, match="cannot write") as caught:
        write_text_atomic(target_dir, "new")  # a non-empty folder cannot be replaced by a file
    assert caught.value.source == str(target_dir)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "table.json"]
    assert target.read_text() == "old"
