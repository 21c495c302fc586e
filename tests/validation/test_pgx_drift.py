"""pgx-core's gene knowledge against PharmCAT's current definitions and CPIC's functions (../shared; skipped when
absent).

Every difference must be documented in the pack's pharmcat-differences.yaml (deliberate, or a known gap); anything
else is drift and fails here (benchmarks/pgx_kb_drift.py prints the table).
"""

from __future__ import annotations

import pytest
from conftest import shared_path

from tailormed.kb.importers.pharmcat_drift import load_differences, pharmcat_drift, stale_entries
from tailormed.kb.pack import find_pack

pytestmark = pytest.mark.validation


@pytest.fixture(scope="module")
def drift(kb):
    documented = load_differences(find_pack("pgx-core"))
    assert documented is not None
    return documented, pharmcat_drift(kb.genes, shared_path("pgx", "pharmcat"), documented)


def test_every_gene_is_compared(kb, drift):
    _, results = drift
    assert {g.gene for g in results} == set(kb.genes)


def test_no_undocumented_drift(drift):
    _, results = drift
    undocumented = [d for g in results for d in g.drift]
    assert not undocumented, undocumented


def test_deliberate_differences_still_apply(kb, drift):
    documented, results = drift
    installed_cyp2d6 = any("CYP2D6" in line for line in kb.extra_knowledge)
    stale = [e for e in stale_entries(documented, results) if e.status == "deliberate"
             # entries about the installed CYP2D6 allele set apply only where it is installed
             and not (e.gene == "CYP2D6" and not installed_cyp2d6)]
    assert not stale, stale


def test_core_genes_agree_exactly(drift):
    """Genes pgx-core curates in full: same names, definitions, functions and activity values as PharmCAT/CPIC."""
    _, results = drift
    by_gene = {g.gene: g for g in results}
    for gene in ("NAT2", "UGT1A1", "CYP3A5", "ABCG2", "IFNL3", "CACNA1S"):
        assert not by_gene[gene].found, (gene, by_gene[gene].found)
