"""Reading a cohort table (one row per person) from CSV or Parquet for ``tailormed cohort effects``.

The table is returned as a pandas ``DataFrame`` (pandas and pyarrow are in the optional ``effects`` extra). A file
that cannot be read gives one :class:`~tailormed.errors.InputError` naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tailormed.documents import check_file
from tailormed.errors import InputError

EXTRA_HINT = "install the optional extra: pip install 'tailormed[effects]'"


def read_cohort_table(path: Path) -> Any:
    """The table at ``path``: Parquet (``.parquet``/``.pq``) or CSV (anything else; a ``.tsv`` is tab-separated)."""
    path = check_file(Path(path), "table")
    try:
        import pandas as pd
    except ImportError:
        raise InputError(f"reading a cohort table needs pandas: {EXTRA_HINT}", source=str(path)) from None
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise InputError(f"reading Parquet needs pyarrow: {EXTRA_HINT}", source=str(path)) from None
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8-sig")
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte offset {exc.start})", source=str(path)) from None
    except pd.errors.EmptyDataError:
        raise InputError("the table is empty", source=str(path)) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"not a readable CSV table ({str(exc).splitlines()[0]})", source=str(path)) from None
    except Exception as exc:  # pyarrow's errors for a damaged Parquet file have no common base we can name here
        detail = str(exc).splitlines()[0] if str(exc) else ""
        raise InputError(f"cannot read the table ({type(exc).__name__}: {detail})", source=str(path)) from None
    duplicated = [str(c) for c in frame.columns[frame.columns.duplicated()]]
    if duplicated:
        raise InputError(f"column {duplicated[0]!r} appears twice", source=str(path), location="header")
    return frame
