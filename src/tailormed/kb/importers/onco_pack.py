"""What the oncology importers (MOAlmanac, CIViC) share: the import summary and the atomic pack writer.

An importer turns a community knowledge base into one ``kind: onco`` pack (``manifest.yaml`` and
``evidence/<name>.yaml``, the format of :mod:`tailormed.kb.onco`). Nothing is dropped silently: every source
entry that does not become a record is counted under the reason it was skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from tailormed.errors import InputError, KnowledgeError
from tailormed.kb.onco import load_onco_knowledge
from tailormed.model.alterations import parse_alteration
from tailormed.output import atomic_output_dir


@dataclass
class ImportSummary:
    """What an import wrote and what it skipped, by reason."""

    path: Path
    name: str
    version: str
    records: int = 0
    sources: int = 0
    read: int = 0
    """Entries (statements, evidence rows) read from the input."""
    merged: int = 0
    """Entries that mapped to a record already written (same alterations, tumours, regimen and sources)."""
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    """Things the user should know that did not stop a record (e.g. a field corrected from another field)."""

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        """Human-readable summary, most frequent skip reasons first."""
        out = [f"wrote {self.path}: {self.name} {self.version}: {self.records} evidence records from {self.read} "
               f"entries ({self.merged} merged as duplicates, {self.skipped_total} skipped), {self.sources} sources"]
        for reason, count in sorted(self.skipped.items(), key=lambda item: (-item[1], item[0])):
            out.append(f"  skipped {count:>5}  {reason}")
        out += [f"  note: {note}" for note in self.notes]
        return out


def check_alteration(text: str) -> str | None:
    """``None`` if ``text`` parses in the alteration language, else the parser's message."""
    try:
        parse_alteration(text)
    except InputError as exc:
        return exc.message
    return None


def load_json(path: Path) -> Any:
    """Read one JSON input file; a missing or malformed file is an :class:`InputError` naming it."""
    if not path.is_file():
        raise InputError("missing file", source=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path),
                         location=f"line {exc.lineno} column {exc.colno}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read ({exc})", source=str(path)) from exc


class _Dumper(yaml.SafeDumper):
    """Safe dumper that never writes YAML anchors/aliases (packs are read by people)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_onco_pack(dest: Path, manifest: dict[str, Any], evidence_name: str, sources: list[dict[str, Any]],
                    records: list[dict[str, Any]]) -> None:
    """Write ``manifest.yaml`` and ``evidence/<evidence_name>.yaml`` atomically, validating the pack first.

    The files are written into a staging folder beside ``dest`` and loaded with
    :func:`~tailormed.kb.onco.load_onco_knowledge` (with the base pack, if any); only a pack that loads replaces
    the contents of ``dest``. On any error ``dest`` is left as it was.
    """
    manifest = {"date": date.today().isoformat(), "kind": "onco", **manifest}
    with atomic_output_dir(dest) as staging:
        (staging / "manifest.yaml").write_text(
            yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
        (staging / "evidence").mkdir()
        (staging / "evidence" / f"{evidence_name}.yaml").write_text(
            yaml.dump({"sources": sources, "records": records}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                      width=120), encoding="utf-8")
        try:
            load_onco_knowledge(str(staging))
        except KnowledgeError as exc:
            raise KnowledgeError(f"the imported pack does not validate: {exc}", source=str(dest)) from exc
