"""Where CYP2D6's full allele set lives, and how a knowledge base takes it in place of pgx-core's core alleles.

``tailormed kb import cyp2d6`` (``make cyp2d6-data``) builds ``CYP2D6.yaml`` (every SNV/indel-defined PharmVar
allele, from PyPGx's tables) into a folder found like the HPO knowledge: ``$TAILORMED_CYP2D6`` when set (``none``
turns the set off), else the first of the user data folder (``$XDG_DATA_HOME/tailormed/cyp2d6``) and the source
checkout's ``.data/cyp2d6`` that holds one. Without it CYP2D6 is called from pgx-core's 14 core alleles, and every
CYP2D6 result says so.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from tailormed.errors import KnowledgeError, first_validation_problem
from tailormed.model.pack import GeneDefinition, Source

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CYP2D6_ENV = "TAILORMED_CYP2D6"
CYP2D6_FILE = "CYP2D6.yaml"
CYP2D6_META = "meta.json"

CORE_ONLY_NOTE = (
    "Core alleles only: the full CYP2D6 allele set is not installed (run `make cyp2d6-data` or `tailormed kb import "
    "cyp2d6`), so this call used pgx-core's 14 core alleles; rarer alleles (e.g. *14, *15, *21, *40) are missed or "
    "called as a core allele."
)


def cyp2d6_install_dir() -> Path:
    """Where ``tailormed kb import cyp2d6`` writes by default: ``$TAILORMED_CYP2D6``, else
    ``$XDG_DATA_HOME/tailormed/cyp2d6`` (``~/.local/share/tailormed/cyp2d6``)."""
    configured = os.environ.get(CYP2D6_ENV)
    if configured and configured.lower() != "none":
        return Path(configured)
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "tailormed" / "cyp2d6"


def checkout_cyp2d6_dir() -> Path | None:
    """The ``.data/cyp2d6`` of the source checkout TailorMed runs from (what ``make cyp2d6-data`` builds), if any."""
    root = Path(__file__).resolve().parents[3]
    return root / ".data" / "cyp2d6" if (root / "pyproject.toml").is_file() else None


def find_cyp2d6_dir() -> Path | None:
    """The folder holding the built CYP2D6 allele set, or None (not built, or ``$TAILORMED_CYP2D6=none``)."""
    configured = os.environ.get(CYP2D6_ENV)
    if configured is not None and configured.lower() == "none":
        return None
    if configured:
        return Path(configured) if (Path(configured) / CYP2D6_FILE).is_file() else None
    candidates = [cyp2d6_install_dir(), checkout_cyp2d6_dir()]
    return next((c for c in candidates if c is not None and (c / CYP2D6_FILE).is_file()), None)


def load_cyp2d6_definition(folder: Path) -> tuple[GeneDefinition, dict[str, Source], str]:
    """The gene definition, the sources it declares, and a one-line description for provenance."""
    path = folder / CYP2D6_FILE
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"cannot read the CYP2D6 allele set ({exc})", source=str(path)) from exc
    try:
        gene = GeneDefinition.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(f"not a valid gene definition: {first_validation_problem(exc).msg} "
                             "(rebuild it with `tailormed kb import cyp2d6`)", source=str(path)) from exc
    if gene.gene != "CYP2D6":
        raise KnowledgeError(f"defines {gene.gene}, not CYP2D6", source=str(path))
    sources = {s.id: s for s in gene.sources if isinstance(s, Source)}
    meta: dict[str, object] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((folder / CYP2D6_META).read_text(encoding="utf-8"))
    structural = sum(1 for a in gene.alleles if a.structural)
    described = (f"CYP2D6 full allele set: {len(gene.alleles) - structural} SNV/indel-defined alleles + {structural} "
                 f"structural, from {meta.get('source', 'PyPGx tables')}")
    return gene, sources, described


def core_only(gene: GeneDefinition) -> GeneDefinition:
    """pgx-core's CYP2D6 with the note that the full allele set was not used, on every VCF call."""
    caveat = f"{gene.vcf_caveat} {CORE_ONLY_NOTE}" if gene.vcf_caveat else CORE_ONLY_NOTE
    return gene.model_copy(update={"vcf_caveat": caveat})
