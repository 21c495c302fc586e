"""The per-gene background rate in a whole ranking: used when the gene table is installed, said when it is not."""

import math
from dataclasses import replace
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.phenopacket import read_phenotype_document
from tailormed.kb.genes import GeneRecord, GeneTable
from tailormed.kb.rare_preset import load_preset
from tailormed.pipelines.rare import RareContext, rank_one

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


@pytest.fixture(scope="module")
def context(hpo_knowledge):  # type: ignore[no-untyped-def]
    return RareContext.load()


def _rank(context: RareContext):  # type: ignore[no-untyped-def]
    profile, _ = read_phenotype_document(DEMO / "phenopacket.json")
    return rank_one(context, profile, source="demo", vcf=DEMO / "demo-exome.vep.vcf")


def test_without_a_gene_table_the_constant_rate_is_used_and_reported(context) -> None:  # type: ignore[no-untyped-def]
    result = _rank(replace(context, gene_table=None))
    notes = [w for w in result.warnings if w.code == "constant_gene_background"]
    assert len(notes) == 1 and "same chance rate" in notes[0].message
    step = next(s for s in result.analysis if s.name == "inheritance_prioritiser")
    assert step.parameters["gene_background"] == "exonic_length"


def test_a_longer_gene_gets_a_smaller_variant_score(context) -> None:  # type: ignore[no-untyped-def]
    plain = _rank(replace(context, gene_table=None))
    top = plain.genes[0].gene
    # the top gene 8 times as long as the others: its chance rate x 8 (within the bounds), its ratio / 8
    table = GeneTable({top: GeneRecord(top, "1", "+", 1, 90_000, 8_000),
                       **{f"G{i}": GeneRecord(f"G{i}", "1", "+", 1, 9_000, 1_000) for i in range(999)}})
    scaled = _rank(replace(context, gene_table=table))
    before = next(g for g in plain.genes if g.gene == top)
    after = next(g for g in scaled.genes if g.gene == top)
    factor = 8_000 / table.mean_exonic_length
    assert after.variant_score == pytest.approx(before.variant_score - math.log10(factor), abs=2e-3)
    assert not [w for w in scaled.warnings if w.code == "constant_gene_background"]


def test_preset_refuses_an_unknown_background(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "src/tailormed/kb/data/rare-presets/default.yaml").read_text()
    bad = tmp_path / "preset.yaml"
    bad.write_text(text.replace("gene_background: exonic_length", "gene_background: gnomad"))
    with pytest.raises(InputError, match="must be one of exonic_length, constant"):
        load_preset(bad)
    bad.write_text(text.replace("gene_background: exonic_length", "gene_background: constant"))
    assert load_preset(bad).genotype_settings().gene_background == "constant"
