"""Output folders that never mix runs or patients.

An output folder is one result. Everything is written into a staging folder beside it
(``.NAME.partial-XXXX``); only when the whole job succeeded is the staging folder swapped in for the old
folder in one step (``renameat2(RENAME_EXCHANGE)`` on Linux, two renames elsewhere), and the old one
removed afterwards. A failure, Ctrl-C or SIGTERM leaves the previous result as it was.

Two runs on one folder cannot interleave: the second is refused while the first holds the folder's lock
(``.NAME.lock`` beside it). Staging folders left by a killed process are removed by the next run. An
existing folder is replaced only if it is empty or was written by TailorMed (it holds the marker file
:data:`MARKER`): pointing ``--out`` at a folder of your own is refused rather than wiped.

Single files (a trial file, an imported knowledge table, compiled HPO arrays) are written with
:func:`write_text_atomic` or :func:`write_bytes_atomic`.

>>> safe_file_name("HG00096")
'HG00096'
>>> safe_file_name("tumour 1/a")
'tumour_1_a'
>>> len(safe_file_name("S" * 300)), safe_file_name("S" * 300)[-13:]
(120, '-de19e35a854e')
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from tailormed.errors import InputError, OutputError

MARKER = ".tailormed-output.json"
"""Written into every output folder; its presence allows a rerun to replace the folder."""

_STAGING = ".{name}.partial-"
_RETIRED = ".{name}.old-"
_RENAME_EXCHANGE = 2


MAX_NAME_BYTES = 120
"""Longest file or folder name made from a sample or case id, in UTF-8 bytes, before its suffix (file systems
allow 255; a longer id is shortened and given a digest of the whole id, so two long ids still differ)."""


def safe_file_name(name: str, fallback: str = "sample") -> str:
    """A sample or case id as a file or folder name: letters, digits, ``._-`` kept, the rest ``_``; an id longer
    than :data:`MAX_NAME_BYTES` keeps its start and ends with ``-`` and 12 hex digits of its SHA-256."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).lstrip(".") or fallback
    encoded = cleaned.encode("utf-8")
    if len(encoded) <= MAX_NAME_BYTES:
        return cleaned
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return encoded[:MAX_NAME_BYTES - 13].decode("utf-8", "ignore") + "-" + digest


def case_file_names(ids: Sequence[str], *, reserved: Iterable[str] = (), suffix: str = "",
                    fallback: str = "sample", source: str | None = None) -> list[str]:
    """File or folder names for many samples or cases; refuses, naming both ids (and ``source``, the file they
    come from), two that would share a name and an id that would take a reserved name (``summary.tsv``) or is
    not a name at all (``..``).

    >>> case_file_names(["A", "B"], suffix=".json")
    ['A.json', 'B.json']
    >>> case_file_names(["A/B", "A_B"])
    Traceback (most recent call last):
    ...
    tailormed.errors.InputError: samples 'A/B' and 'A_B' would both be written as 'A_B'; rename one
    """
    owners: dict[str, str | None] = {r.lower(): None for r in reserved}  # None: the run's own file
    names = []
    for sample in ids:
        if sample.strip(".") == "" or "\x00" in sample:
            raise InputError(f"sample {sample!r} cannot name an output file; rename it", source=source)
        name = safe_file_name(sample, fallback) + suffix
        key = name.lower()  # macOS and Windows file systems fold case
        if key in owners:
            owner = owners[key]
            if owner is None:
                raise InputError(f"sample {sample!r} would be written as {name!r}, a file the run writes itself; "
                                 "rename it", source=source)
            raise InputError(f"samples {owner!r} and {sample!r} would both be written as {name!r}; rename one",
                             source=source)
        owners[key] = sample
        names.append(name)
    return names


@contextmanager
def atomic_output_dir(final: Path, *, description: str = "") -> Iterator[Path]:
    """Yield an empty staging folder; on success it becomes ``final`` as a whole (see the module docstring)."""
    final = Path(final)
    parent = final.absolute().parent
    _check_replaceable(final)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder's parent ({exc.strerror})", source=str(final)) from exc
    with _folder_lock(final):
        _remove_leftovers(parent, final.name)
        try:
            staging = _unique_sibling(parent, _STAGING.format(name=final.name))
            staging.mkdir(mode=0o777)  # the umask applies, as to any folder: the result is an ordinary folder
        except OSError as exc:
            raise OutputError(f"cannot write beside the output folder ({exc.strerror})", source=str(final)) from exc
        try:
            yield staging
            _write_marker(staging, description)
            _swap_in(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write one UTF-8 text file whole or not at all (see :func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write one file whole or not at all: a temporary file beside it (``.NAME.XXXXXXXXXXXXXXXX.partial``), then
    renamed over ``path``. The file gets the permissions a plain write would give it (0666 less the umask).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_bytes_atomic(folder / "sub" / "a.bin", b"ok")
    >>> (folder / "sub" / "a.bin").read_bytes(), [p.name for p in (folder / "sub").iterdir()]
    (b'ok', ['a.bin'])
    >>> shutil.rmtree(folder)
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    created = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        created = True
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        partial.replace(path)
    except OSError as exc:
        if created:
            with suppress(OSError):
                partial.unlink()
        raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from exc


def _unique_sibling(parent: Path, prefix: str) -> Path:
    """A name beside the output folder that no run uses (the lock keeps other runs on this folder away)."""
    return parent / f"{prefix}{secrets.token_hex(8)}"


def _check_replaceable(final: Path) -> None:
    try:
        final.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:  # a name too long for the file system, a folder we may not enter
        raise OutputError(f"cannot use this output folder ({exc.strerror})", source=str(final)) from None
    except ValueError:
        raise OutputError("the output folder's name holds a NUL character", source=str(final)) from None
    if final.is_symlink():
        raise OutputError("the output folder is a symbolic link; give the real folder", source=str(final))
    if not final.is_dir():
        raise OutputError("output path exists and is not a folder", source=str(final))
    try:
        empty = not any(final.iterdir())
    except OSError as exc:
        raise OutputError(f"cannot read the output folder ({exc.strerror})", source=str(final)) from exc
    if not empty and not (final / MARKER).is_file():
        raise OutputError("the output folder holds files TailorMed did not write; a run replaces its output folder "
                          "whole, so give a new or empty folder (or one a previous run wrote)", source=str(final))


@contextmanager
def _folder_lock(final: Path) -> Iterator[None]:
    """An exclusive lock for one output folder, refused at once when another run holds it."""
    lock_path = final.absolute().parent / f".{final.name}.lock"
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write beside the output folder ({exc.strerror})", source=str(final)) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError("another TailorMed run is writing this output folder; wait for it to finish or "
                              "choose another folder", source=str(final)) from None
        # The previous holder may have removed the lock file between our open and our lock: start again.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with suppress(OSError):
            lock_path.unlink()
        os.close(fd)


def _remove_leftovers(parent: Path, name: str) -> None:
    """Staging and retired folders of earlier runs on this folder: the lock says none of them is in use."""
    for prefix in (_STAGING.format(name=name), _RETIRED.format(name=name)):
        for left in parent.glob(f"{_glob_escape(prefix)}*"):
            if left.is_dir() and not left.is_symlink():
                shutil.rmtree(left, ignore_errors=True)


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _write_marker(staging: Path, description: str) -> None:
    record = {"written_by": "TailorMed", "what": description,
              "finished": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    (staging / MARKER).write_text(json.dumps(record) + "\n", encoding="utf-8")


def _swap_in(staging: Path, final: Path) -> None:
    try:
        if not final.exists():
            staging.rename(final)
            return
        if _exchange(staging, final):
            shutil.rmtree(staging, ignore_errors=True)  # now holds the previous result
            return
        retired = _unique_sibling(final.absolute().parent, _RETIRED.format(name=final.name))
        final.rename(retired)
        staging.rename(final)
        shutil.rmtree(retired, ignore_errors=True)
    except OSError as exc:
        raise OutputError(f"cannot move the finished result into place ({exc.strerror})", source=str(final)) from exc


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _renameat2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function
