"""Import ClinGen dosage-sensitivity curations: the loss-of-function mechanism table for PVS1, and the genes
established as haploinsufficient or triplosensitive for the ACMG/ClinGen CNV points.

Reads ClinGen's gene curation list (``ClinGen_gene_curation_list_GRCh38.tsv``, tab-separated, ``#`` comment
lines, a header naming ``Gene Symbol`` and ``Haploinsufficiency Score``, and in current releases also
``Triplosensitivity Score``). Haploinsufficiency scores (ClinGen Dosage Sensitivity curation): 3 sufficient
evidence -> LoF mechanism *established* and the gene is an established haploinsufficient gene (CNV section 2 of
the loss table); 2 emerging evidence -> *likely*; 30 (gene associated with an autosomal recessive phenotype) ->
*established* for biallelic loss, but not haploinsufficient; 40 (dosage sensitivity unlikely) -> *unknown* (PVS1
is then not applied); 0 and 1 (no or little evidence) are not written, so the inheritance-based default stands.
Triplosensitivity score 3 (sufficient evidence) makes the gene an established triplosensitive gene (CNV section 2
of the gain table, Riggs et al. 2020 Table 2 row 2A); other triplosensitivity scores are not used. A file without
the triplosensitivity column is read as before and says so (``triplosensitivity_read`` False).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from tailormed.errors import InputError
from tailormed.kb.gene_evidence import LOF_TABLE_NAME
from tailormed.kb.hpo import default_hpo_dir
from tailormed.output import write_text_atomic

_SCORE_TO_MECHANISM = {"3": "established", "2": "likely", "30": "established", "40": "unknown"}
_SUFFICIENT = "3"
_TS_COLUMN = "Triplosensitivity Score"


@dataclass
class ClinGenDosage:
    """What one ClinGen gene curation list says: LoF mechanism per gene, and the genes with sufficient evidence
    (score 3) for haploinsufficiency and for triplosensitivity."""

    mechanisms: dict[str, str] = field(default_factory=dict)
    haploinsufficient: set[str] = field(default_factory=set)
    triplosensitive: set[str] = field(default_factory=set)
    triplosensitivity_read: bool = False


def read_clingen_dosage_file(path: Path) -> ClinGenDosage:
    """Both dosage scores of every gene in a ClinGen gene curation TSV."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    header_at = next((i for i, line in enumerate(lines) if "Gene Symbol" in line and "Haploinsufficiency Score"
                      in line), None)
    if header_at is None:
        raise InputError("no header with 'Gene Symbol' and 'Haploinsufficiency Score': not a ClinGen gene "
                         "curation list", source=str(path))
    header = [name.lstrip("#").strip() for name in lines[header_at].split("\t")]
    found = ClinGenDosage(triplosensitivity_read=_TS_COLUMN in header)
    rows = csv.reader((line for line in lines[header_at + 1:] if line and not line.startswith("#")), delimiter="\t")
    for offset, row in enumerate(rows, start=header_at + 2):
        if len(row) < len(header):
            raise InputError(f"expected {len(header)} columns, found {len(row)}", source=str(path),
                             location=f"line {offset}")
        record = dict(zip(header, row, strict=False))
        gene = record["Gene Symbol"].strip()
        hi_score = record["Haploinsufficiency Score"].strip()
        mechanism = _SCORE_TO_MECHANISM.get(hi_score)
        if mechanism:
            found.mechanisms[gene] = mechanism
        if hi_score == _SUFFICIENT:
            found.haploinsufficient.add(gene)
        if record.get(_TS_COLUMN, "").strip() == _SUFFICIENT:
            found.triplosensitive.add(gene)
    if not found.mechanisms and not found.triplosensitive:
        raise InputError("no gene with a usable haploinsufficiency or triplosensitivity score", source=str(path))
    return found


def read_clingen_dosage(path: Path) -> dict[str, str]:
    """Gene symbol -> LoF mechanism from a ClinGen gene curation TSV."""
    return read_clingen_dosage_file(path).mechanisms


def import_clingen_dosage(path: Path, *, dest: Path | None = None) -> tuple[Path, int]:
    """Write the table beside the compiled HPO knowledge (``dest`` or the default folder); returns the file and the
    number of genes with a LoF mechanism."""
    found = read_clingen_dosage_file(path)
    target = (dest or default_hpo_dir()) / LOF_TABLE_NAME
    document: dict[str, object] = {"source": path.name, "genes": found.mechanisms,
                                   "haploinsufficient": sorted(found.haploinsufficient)}
    if found.triplosensitivity_read:
        document["triplosensitive"] = sorted(found.triplosensitive)
    write_text_atomic(target, json.dumps(document, indent=1, sort_keys=True))
    return target, len(found.mechanisms)
