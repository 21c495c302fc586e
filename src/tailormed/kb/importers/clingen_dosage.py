"""Import ClinGen dosage-sensitivity curations as the loss-of-function mechanism table for PVS1.

Reads ClinGen's gene curation list (``ClinGen_gene_curation_list_GRCh38.tsv``, tab-separated, ``#`` comment
lines, a header naming ``Gene Symbol`` and ``Haploinsufficiency Score``). Haploinsufficiency scores
(ClinGen Dosage Sensitivity curation): 3 sufficient evidence -> LoF mechanism *established*; 2 emerging
evidence -> *likely*; 30 (gene associated with an autosomal recessive phenotype) -> *established* for
biallelic loss; 40 (dosage sensitivity unlikely) -> *unknown* (PVS1 is then not applied); 0 and 1 (no or
little evidence) are not written, so the inheritance-based default stands.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tailormed.errors import InputError
from tailormed.kb.gene_evidence import LOF_TABLE_NAME
from tailormed.kb.hpo import default_hpo_dir
from tailormed.output import write_text_atomic

_SCORE_TO_MECHANISM = {"3": "established", "2": "likely", "30": "established", "40": "unknown"}


def read_clingen_dosage(path: Path) -> dict[str, str]:
    """Gene symbol -> LoF mechanism from a ClinGen gene curation TSV."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    header_at = next((i for i, line in enumerate(lines) if "Gene Symbol" in line and "Haploinsufficiency Score"
                      in line), None)
    if header_at is None:
        raise InputError("no header with 'Gene Symbol' and 'Haploinsufficiency Score': not a ClinGen gene "
                         "curation list", source=str(path))
    header = [name.lstrip("#").strip() for name in lines[header_at].split("\t")]
    table: dict[str, str] = {}
    rows = csv.reader((line for line in lines[header_at + 1:] if line and not line.startswith("#")), delimiter="\t")
    for offset, row in enumerate(rows, start=header_at + 2):
        if len(row) < len(header):
            raise InputError(f"expected {len(header)} columns, found {len(row)}", source=str(path),
                             location=f"line {offset}")
        record = dict(zip(header, row, strict=False))
        mechanism = _SCORE_TO_MECHANISM.get(record["Haploinsufficiency Score"].strip())
        if mechanism:
            table[record["Gene Symbol"].strip()] = mechanism
    if not table:
        raise InputError("no gene with a usable haploinsufficiency score", source=str(path))
    return table


def import_clingen_dosage(path: Path, *, dest: Path | None = None) -> tuple[Path, int]:
    """Write the table beside the compiled HPO knowledge (``dest`` or the default folder)."""
    table = read_clingen_dosage(path)
    target = (dest or default_hpo_dir()) / LOF_TABLE_NAME
    write_text_atomic(target, json.dumps({"source": path.name, "genes": table}, indent=1, sort_keys=True))
    return target, len(table)


