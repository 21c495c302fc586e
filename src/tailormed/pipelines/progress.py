"""How a pipeline reports progress: ``callback(stage, done, total)``; ``total`` None while it is not known.

The CLI turns the calls into one progress bar (stage, count, time left); a service may log them.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[str, int, "int | None"], None]
