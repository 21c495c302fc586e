"""The CLI's console: user and file text is printed, never interpreted; errors are one line; progress has stages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.cli.console import plain, run_guarded
from tailormed.errors import InputError

runner = CliRunner()


@pytest.mark.parametrize("text", ["x[/].vcf", "[bold]y[/bold].vcf", "[link=https:x]z[/link]", ":smile:"])
def test_markup_in_a_file_name_is_printed_as_it_is(tmp_path: Path, text: str) -> None:
    result = runner.invoke(app, ["pgx", "call", str(tmp_path / text), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert text in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert not (tmp_path / "out").exists()


def test_control_characters_are_shown_not_obeyed() -> None:
    assert plain("id\x1b[2J\x07\r") == "id\\x1b[2J\\x07\\x0d"
    assert plain("tab\tkept") == "tab\tkept"
    assert plain("two\nlines") == "two\\nlines"  # an error stays one line


def test_an_error_is_one_line_with_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    def job() -> None:
        raise InputError("bad value\x1b[31m", source="in[put].yaml", location="line 3")

    with pytest.raises(typer.Exit) as caught:
        run_guarded(job)
    assert caught.value.exit_code == 2
    assert capsys.readouterr().err == "error: in[put].yaml:line 3: bad value\\x1b[31m\n"


def test_help_fits_80_columns_and_flags_have_no_bool_metavar() -> None:
    for command in (["--help"], ["pgx", "call", "--help"], ["rare", "rank", "--help"], ["risk", "prs", "--help"],
                    ["risk", "--help"], ["onco", "interpret", "--help"], ["onco", "batch", "--help"],
                    ["kb", "import", "hpo", "--help"], ["analyze", "--help"]):
        result = runner.invoke(app, command, terminal_width=80, env={"COLUMNS": "80"})
        assert result.exit_code == 0, command
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, command
        assert "<bool>" not in result.stdout
    risk_help = runner.invoke(app, ["risk", "--help"], env={"COLUMNS": "80"}).stdout
    assert "assess" in risk_help and "clinical risk equations" in risk_help.replace("\n  ", " ")
    pgx_help = runner.invoke(app, ["pgx", "call", "--help"], env={"COLUMNS": "80"}).stdout
    assert "--missing-as-ref / --no-missing-as-ref" in pgx_help


def test_the_module_runs_as_a_program(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "tailormed.cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("tailormed ")
