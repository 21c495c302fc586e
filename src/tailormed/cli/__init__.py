"""The ``tailormed`` command line: one module per command group, each thin (parse, call a pipeline, print)."""

from tailormed.cli.main import app

__all__ = ["app"]
