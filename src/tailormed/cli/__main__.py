"""``python -m tailormed.cli``: the same program as the ``tailormed`` command."""

from tailormed.cli.main import app

app(prog_name="tailormed")
