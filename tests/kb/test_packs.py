"""Knowledge packs: the built-in pack validates; broken packs fail with file and place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.kb.pack import BUILTIN_PACKS_DIR, load_knowledge_base, load_pack, possible_phenotypes

CORE = BUILTIN_PACKS_DIR / "pgx-core"
ISSUE_GENES = {"CYP2B6", "CYP2C9", "CYP2C19", "CYP3A5", "CYP4F2", "VKORC1", "DPYD", "TPMT", "NUDT15", "SLCO1B1",
               "ABCG2", "UGT1A1", "IFNL3", "G6PD", "RYR1", "CACNA1S", "NAT2", "CFTR", "CYP2D6", "MT-RNR1",
               "HLA-A", "HLA-B"}


def test_core_pack_covers_the_issue_genes(kb):
    assert set(kb.genes) >= ISSUE_GENES


def test_every_drug_cites_a_declared_guideline(kb):
    for drug in kb.drugs.values():
        assert drug.guideline in kb.sources, drug.drug
        assert kb.sources[drug.guideline].citation


def test_every_drug_rule_can_fire(kb):
    """Each recommendation's phenotype values are ones its gene can produce (checked by the loader too)."""
    for drug in kb.drugs.values():
        for rec in drug.recommendations:
            for gene, condition in rec.when.items():
                if condition.phenotype:
                    assert set(condition.phenotype) <= possible_phenotypes(kb.genes[gene]), (drug.drug, gene)


def test_key_cpic_facts(kb):
    """Spot checks of facts a reviewer can verify in the guidelines."""
    cyp2c19 = kb.genes["CYP2C19"]
    variants = {v.id: v for v in cyp2c19.variants}
    assert (variants["rs4244285"].position, variants["rs4244285"].ref,
            variants["rs4244285"].alt) == (94781859, "G", ["A"])
    assert (variants["rs12248560"].position, variants["rs12248560"].alt) == (94761900, ["T"])
    functions = {a.name: a.function for a in cyp2c19.alleles}
    assert functions["*2"] == "No function" and functions["*17"] == "Increased function"
    cyp2c9 = {a.name: a.activity_value for a in kb.genes["CYP2C9"].alleles}
    assert (cyp2c9["*1"], cyp2c9["*2"], cyp2c9["*3"]) == (1.0, 0.5, 0.0)
    dpyd = {a.name: a.activity_value for a in kb.genes["DPYD"].alleles}
    assert dpyd[next(n for n in dpyd if n.startswith("c.1905+1G>A"))] == 0.0
    assert dpyd[next(n for n in dpyd if n.startswith("c.2846A>T"))] == 0.5


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(CORE, target)
    return target


def test_invalid_yaml_names_file_and_line(tmp_path):
    pack = _copy(tmp_path)
    (pack / "genes" / "CYP2C19.yaml").write_text("gene: CYP2C19\n  bad: [indent\n")
    with pytest.raises(KnowledgeError) as error:
        load_pack(pack)
    assert "CYP2C19.yaml" in str(error.value) and "not valid YAML" in str(error.value)


def test_unknown_source_id_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "clopidogrel.yaml"
    text = path.read_text()
    path.write_text(text.replace("guideline: ", "guideline: no-such-source-", 1))
    with pytest.raises(KnowledgeError, match="which no file of the pack declares"):
        load_pack(pack)


def test_drug_rule_with_impossible_phenotype_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "clopidogrel.yaml"
    path.write_text(path.read_text().replace("Poor Metabolizer", "Very Poor Metabolizer", 1))
    with pytest.raises(KnowledgeError, match="cannot be produced"):
        load_knowledge_base(str(pack))


def test_allele_with_unknown_variant_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "genes" / "CYP2C19.yaml"
    path.write_text(path.read_text().replace("rs4244285: A", "rs0000000: A", 1))
    with pytest.raises(KnowledgeError, match="unknown variant id"):
        load_pack(pack)


def test_not_a_pack(tmp_path):
    with pytest.raises(KnowledgeError, match="manifest.yaml"):
        load_pack(tmp_path)
