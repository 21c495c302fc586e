"""``python -m tailormed.cli``: the same command line as the ``tailormed`` script."""

from tailormed.cli.main import app

app(prog_name="tailormed")
