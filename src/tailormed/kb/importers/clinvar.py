"""Import ClinVar's pathogenic missense changes so ACMG PS1 and PM5 can be applied.

Reads NCBI's ``variant_summary.txt(.gz)`` (tab-separated, header line starting ``#AlleleID``; columns are
found by name). Kept: GRCh38 rows of single-nucleotide variants classified Pathogenic, Likely pathogenic
or Pathogenic/Likely pathogenic with at least one review star (review status other than "no assertion
criteria provided" / "no classification provided"), whose ``Name`` carries a missense ``(p.…)`` change.
Written beside the compiled HPO knowledge as ``known_missense.json``: per gene, the protein change and
its significance, and the GRCh38 VCF keys of those very variants (so a variant is never its own PS1), as
:func:`tailormed.model.genome.variant_key` spells them (``15-48500000-G-A``, ``MT-3243-A-G``).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import IO

from tailormed.errors import InputError
from tailormed.kb.gene_evidence import KNOWN_MISSENSE_NAME
from tailormed.kb.hpo import default_hpo_dir
from tailormed.model.genome import variant_key
from tailormed.output import write_text_atomic

_PROTEIN = re.compile(r"\(p\.([A-Z][a-z]{2}\d+[A-Z][a-z]{2})\)")
_SIGNIFICANCE = {"pathogenic": "pathogenic", "likely pathogenic": "likely pathogenic",
                 "pathogenic/likely pathogenic": "likely pathogenic"}
_NO_STARS = {"no assertion criteria provided", "no classification provided", "no assertion provided",
             "no interpretation for the single variant"}
_NEEDED = ("Type", "Name", "GeneSymbol", "ClinicalSignificance", "Assembly", "ReviewStatus", "Chromosome",
           "PositionVCF", "ReferenceAlleleVCF", "AlternateAlleleVCF")


def _open(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8", errors="replace") if gzipped else path.open(encoding="utf-8")


def read_clinvar_missense(path: Path) -> tuple[dict[str, dict[str, str]], set[str]]:
    """Gene -> {p.change: significance}, and the VCF keys of the variants they came from."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    changes: dict[str, dict[str, str]] = defaultdict(dict)
    keys: set[str] = set()
    with _open(path) as handle:
        header = handle.readline().lstrip("#").rstrip("\n").split("\t")
        missing = [name for name in _NEEDED if name not in header]
        if missing:
            raise InputError(f"not a ClinVar variant_summary file (missing columns {missing})", source=str(path),
                             location="line 1")
        for row in csv.DictReader(handle, fieldnames=header, delimiter="\t"):
            if row["Assembly"] != "GRCh38" or row["Type"] != "single nucleotide variant":
                continue
            significance = _SIGNIFICANCE.get(row["ClinicalSignificance"].strip().lower())
            change = _PROTEIN.search(row["Name"] or "")
            if significance is None or change is None or row["ReviewStatus"].strip().lower() in _NO_STARS:
                continue
            if change.group(1).endswith("Ter"):
                continue  # nonsense, not missense
            gene, protein = row["GeneSymbol"], f"p.{change.group(1)}"
            if changes[gene].get(protein) != "pathogenic":  # keep the stronger assertion
                changes[gene][protein] = significance
            keys.add(variant_key(row["Chromosome"], row["PositionVCF"], row["ReferenceAlleleVCF"],
                                 row["AlternateAlleleVCF"]))
    if not changes:
        raise InputError("no GRCh38 pathogenic missense variant with review criteria found", source=str(path))
    return dict(changes), keys


def import_clinvar(path: Path, *, dest: Path | None = None) -> tuple[Path, int, int]:
    """Write the table beside the compiled HPO knowledge; returns (file, genes, changes)."""
    changes, keys = read_clinvar_missense(path)
    target = (dest or default_hpo_dir()) / KNOWN_MISSENSE_NAME
    write_text_atomic(target, json.dumps({"source": path.name, "genes": changes, "variants": sorted(keys)}))
    return target, len(changes), sum(len(v) for v in changes.values())


