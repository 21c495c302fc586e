"""What every command shares: the two consoles, error handling, signals and the progress display.

Text from users and files is never interpreted: the consoles have Rich markup, highlighting and emoji off,
and :func:`plain` shows control characters (ANSI escapes, a NUL, a carriage return) as ``\\x1b``-style
escapes, so a hostile sample or file name is printed, not obeyed.

>>> plain("tumour\\x1b[2J")
'tumour\\\\x1b[2J'
>>> plain("[bold]y[/bold].vcf")
'[bold]y[/bold].vcf'
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from tailormed.errors import TailorMedError
from tailormed.pipelines.progress import ProgressCallback

out = Console(markup=False, highlight=False, emoji=False, soft_wrap=True)
err = Console(stderr=True, markup=False, highlight=False, emoji=False, soft_wrap=True)
T = TypeVar("T")

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)]}
_CONTROL[0x0A] = "\\n"


def comma_separated(*values: str) -> list[str]:
    """The items of comma-separated option values, stripped, empty pieces dropped.

    >>> comma_separated("a, b,,c", "d")
    ['a', 'b', 'c', 'd']
    """
    return [piece.strip() for value in values for piece in value.split(",") if piece.strip()]


def plain(text: object) -> str:
    """``text`` with control characters made visible (tabs kept)."""
    return str(text).translate(_CONTROL)


def say(text: object) -> None:
    """One line on stdout, printed as it is."""
    out.print(plain(text))


def warn(text: object) -> None:
    """One warning line on stderr."""
    err.print(Text.assemble(("warning: ", "yellow"), plain(text)))


def fail(message: object, exit_code: int = 2) -> typer.Exit:
    """Print one error line; return the exit to raise (``raise fail(...)``)."""
    err.print(Text.assemble(("error: ", "bold red"), plain(message)))
    return typer.Exit(exit_code)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so staging folders are removed on the way out."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def run_guarded(action: Callable[[], T]) -> T:
    """Run ``action``; a TailorMed error becomes one stderr line and its exit code, Ctrl-C exits 130 and
    SIGTERM 143, both after the output staging has been removed. Anything else is a bug and keeps its
    traceback."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return action()
    except TailorMedError as exc:
        raise fail(exc, exc.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted; no output was written", 130) from None
    except Terminated:
        raise fail("terminated; no output was written", 143) from None
    except RecursionError:
        raise fail("an input is nested too deeply to read", 2) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def progress_display(quiet: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr (when it is a terminal and not ``quiet``) showing the stage, the count and the
    time left; yields the callback pipelines report to, or None."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("eta"), TimeRemainingColumn(), console=err, transient=True)
    task = bar.add_task("starting", total=None)

    def update(stage: str, done: int, total: int | None) -> None:
        bar.update(task, description=plain(stage), completed=done, total=total)

    with bar:
        yield update


def new_table(*columns: str, title: str | None = None) -> Table:
    """A Rich table for stdout whose cells are added with :func:`add_row` (never interpreted)."""
    return Table(*columns, title=plain(title) if title else None)


def add_row(to: Table, *cells: object) -> None:
    to.add_row(*(Text(plain(cell)) for cell in cells))
