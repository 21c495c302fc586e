"""Output folders (src/tailormed/output.py): one result per folder, swapped in whole, never mixed, locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tailormed.errors import InputError, OutputError
from tailormed.output import MARKER, atomic_output_dir, case_file_names, safe_file_name, write_text_atomic


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _write(out: Path, files: dict[str, str]) -> None:
    with atomic_output_dir(out) as staging:
        for name, text in files.items():
            (staging / name).write_text(text)


def test_a_rerun_replaces_the_folder_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, {"A.json": "a", "calls.tsv": "a"})
    _write(out, {"B.json": "b", "calls.tsv": "b"})
    assert _names(out) == [MARKER, "B.json", "calls.tsv"]
    assert (out / "calls.tsv").read_text() == "b"
    assert _names(tmp_path) == ["out"]  # nothing staged, retired or locked is left beside it


def test_a_failed_run_leaves_the_previous_result_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, {"calls.tsv": "first"})
    with pytest.raises(RuntimeError), atomic_output_dir(out) as staging:
        (staging / "calls.tsv").write_text("half")
        raise RuntimeError("engine failed")
    assert (out / "calls.tsv").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name or ".old-" in p.name] == []


def test_a_new_folder_is_not_created_when_the_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with pytest.raises(RuntimeError), atomic_output_dir(out):
        raise RuntimeError("boom")
    assert not out.exists()


def test_a_folder_of_the_users_own_is_refused_not_wiped(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    with pytest.raises(OutputError, match="did not write"), atomic_output_dir(mine):
        pytest.fail("must not get here")
    assert _names(mine) == ["thesis.docx"]


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _write(out, {"x.tsv": "x"})
    assert _names(out) == [MARKER, "x.tsv"]


def test_a_file_or_a_symlink_is_refused_as_output_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"), atomic_output_dir(tmp_path / "file"):
        pass
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputError, match="symbolic link"), atomic_output_dir(tmp_path / "link"):
        pass


def test_two_runs_on_one_folder_cannot_interleave(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_output_dir(out) as staging:
        (staging / "first.tsv").write_text("1")
        with pytest.raises(OutputError, match="another TailorMed run"), atomic_output_dir(out):
            pass
    assert _names(out) == [MARKER, "first.tsv"]
    _write(out, {"second.tsv": "2"})  # the lock is released afterwards
    assert _names(out) == [MARKER, "second.tsv"]


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for left in (".out.partial-x1y2", ".out.old-a9b8"):
        (tmp_path / left).mkdir()
        (tmp_path / left / "calls.tsv").write_text("stale")
    (tmp_path / ".other.partial-keep").mkdir()  # another folder's staging is not ours to remove
    _write(out, {"calls.tsv": "new"})
    assert _names(tmp_path) == [".other.partial-keep", "out"]


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_cleans_up_and_exits_with_its_code(tmp_path: Path, signum: int, code: int) -> None:
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import os, signal, time
        from pathlib import Path
        import typer
        from tailormed.cli.console import run_guarded
        from tailormed.output import atomic_output_dir

        def job():
            with atomic_output_dir(Path({str(out)!r})) as staging:
                (staging / "calls.tsv").write_text("half")
                os.kill(os.getpid(), {int(signum)})
                time.sleep(30)

        try:
            run_guarded(job)
        except typer.Exit as exc:
            raise SystemExit(exc.exit_code)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and "no output was written" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.partial")] == []


def test_an_unwritable_parent_is_an_output_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only folder is still writable")
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        with pytest.raises(OutputError) as caught, atomic_output_dir(parent / "out"):
            pass
        assert caught.value.exit_code == 4
    finally:
        parent.chmod(0o700)


def test_case_names_refuse_collisions_and_reserved_names() -> None:
    assert case_file_names(["HG00096", "NA12878"], suffix=".json") == ["HG00096.json", "NA12878.json"]
    for ids, message in ((["A/B", "A_B"], "'A/B' and 'A_B'"), (["x", "X"], "'x' and 'X'"),
                         ([".."], "cannot name"), (["."], "cannot name"), ([""], "cannot name"),
                         (["summary.tsv"], "the run writes itself")):
        with pytest.raises(InputError, match=message):
            case_file_names(ids, reserved=["summary.tsv"])


def test_safe_file_names_never_leave_the_folder() -> None:
    for hostile in ("../../etc/passwd", "/abs", "a\\b", "..", ".hidden", "x\x00y"):
        name = safe_file_name(hostile)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and "\x00" not in name


def test_single_files_are_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "trials.yaml"
    write_text_atomic(target, "trials: []\n")
    assert target.read_text() == "trials: []\n"
    assert _names(target.parent) == ["trials.yaml"]


def test_an_output_path_under_a_file_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("x")
    with pytest.raises(OutputError) as caught, atomic_output_dir(tmp_path / "plain-file" / "out"):
        pass
    assert caught.value.exit_code == 4


def test_the_folder_gets_the_permissions_of_a_plain_mkdir(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        _write(tmp_path / "out", {"a.tsv": "a"})
        (tmp_path / "plain").mkdir()
    finally:
        os.umask(previous)
    assert (tmp_path / "out").stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777 == 0o755
