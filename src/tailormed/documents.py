"""Reading a user's text, JSON and YAML files with one set of clear errors.

Every reader and every loader of a user-supplied file opens it through these functions, so a folder
given where a file is expected, a missing or unreadable file, bytes that are not UTF-8, malformed JSON or
YAML, and a document nested too deeply each give one :class:`~tailormed.errors.InputError` naming the
file and the place, never a traceback.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> read_text(folder)
Traceback (most recent call last):
...
tailormed.errors.InputError: ...: is a folder, not a file
>>> _ = (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
>>> load_json(folder / "deep.json")
Traceback (most recent call last):
...
tailormed.errors.InputError: ...deep.json: nested too deeply (more than 200 levels)
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from tailormed.errors import InputError

MAX_DEPTH = 200
"""Deepest nesting accepted in a JSON or YAML document (real phenopackets, FHIR bundles and packs use < 20)."""
MAX_VALUES = 20_000_000
"""Most values (list items and mapping entries, counted as often as YAML aliases repeat them) in one document."""


def check_file(path: Path, what: str = "file") -> Path:
    """``path`` as an existing, readable regular file, or an :class:`InputError` saying what is wrong."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{what} not found", source=str(path)) from None
    except OSError as exc:  # a name too long for the file system, a loop of links, a folder we may not enter
        raise InputError(f"cannot open the {what} ({exc.strerror})", source=str(path)) from None
    except ValueError:  # a NUL character in the name
        raise InputError(f"{what} not found (the name holds a NUL character)", source=str(path)) from None
    if stat.S_ISDIR(mode):
        raise InputError(f"is a folder, not a {what}", source=str(path))
    if not stat.S_ISREG(mode):
        raise InputError(f"is not a regular {what}", source=str(path))
    return path


def read_text(path: Path, what: str = "file") -> str:
    """The whole file as UTF-8 text (a BOM is dropped; CRLF line ends are read as LF)."""
    path = check_file(path, what)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", source=str(path)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", source=str(path),
                         location=f"line {line}") from None
    return text.replace("\r\n", "\n")


def load_json(path: Path, what: str = "JSON file") -> Any:
    """A JSON document; malformed or too deeply nested JSON names the place."""
    text = read_text(path, what)
    try:
        document = _without_recursion_error(lambda: json.loads(text), path)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path),
                         location=f"line {exc.lineno} column {exc.colno}") from None
    _check_depth(document, path)
    return document


def load_yaml(path: Path, what: str = "YAML file") -> Any:
    """A YAML document (safe loader); malformed or too deeply nested YAML, a key given twice in one mapping
    and a value no Python type can hold (``2020-13-45``) name the place."""
    text = read_text(path, what)
    try:
        document = _without_recursion_error(lambda: yaml.load(text, Loader=_UniqueKeyLoader), path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"not valid YAML ({problem})", source=str(path),
                         location=f"line {mark.line + 1} column {mark.column + 1}" if mark else None) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor refused a value (a date such as 2020-13-45)
        raise InputError(f"not valid YAML ({exc})", source=str(path)) from None
    _check_depth(document, path)
    return document


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a mapping that gives one key twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"key {key_node.value!r} is given twice (first on line {seen[key].start_mark.line + 1})",
                        key_node.start_mark)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _without_recursion_error(parse: Any, path: Path) -> Any:
    try:
        return parse()
    except RecursionError:
        raise InputError(f"nested too deeply (more than {MAX_DEPTH} levels)", source=str(path)) from None


def _check_depth(document: Any, path: Path) -> None:
    """Refuse documents deeper than :data:`MAX_DEPTH`, larger than :data:`MAX_VALUES` once YAML aliases are
    expanded (a "billion laughs" document) or containing themselves (``a: &a [*a]``), before any recursive code
    walks them. Each distinct list or mapping is visited once, so shared (aliased) parts cost nothing extra."""
    measured: dict[int, tuple[int, int]] = {}  # id -> (depth, values once expanded)
    open_ids: set[int] = set()
    stack: list[tuple[Any, bool]] = [(document, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (dict, list)) or (id(node) in measured and not children_done):
            continue
        children = [c for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, (dict, list))]
        if not children_done:
            if id(node) in open_ids:
                raise InputError("refers to itself (a YAML alias inside its own anchor)", source=str(path))
            open_ids.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        depth = 1 + max((measured[id(c)][0] for c in children), default=0)
        size = len(node) + sum(measured[id(c)][1] for c in children)
        if depth > MAX_DEPTH:
            raise InputError(f"nested too deeply (more than {MAX_DEPTH} levels)", source=str(path))
        if size > MAX_VALUES:
            raise InputError(f"too large: more than {MAX_VALUES:,} values once its YAML aliases are expanded",
                             source=str(path))
        open_ids.discard(id(node))
        measured[id(node)] = (depth, size)


assert sys.getrecursionlimit() > MAX_DEPTH  # the parsers recurse once per level
