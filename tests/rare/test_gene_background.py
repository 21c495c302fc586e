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


PRESET = (Path(__file__).resolve().parents[2] / "src/tailormed/kb/data/rare-presets/default.yaml").read_text()


@pytest.fixture(scope="module")
def context(hpo_knowledge, tmp_path_factory):  # type: ignore[no-untyped-def]
    preset = tmp_path_factory.mktemp("preset") / "length.yaml"
    preset.write_text(PRESET.replace("gene_background: constant", "gene_background: exonic_length"))
    return RareContext.load(preset)


def test_the_default_preset_keeps_the_constant_rate(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    default = RareContext.load()
    assert default.preset.genotype_settings().gene_background == "constant" and default.gene_table is None
    result = _rank(default)
    assert not [w for w in result.warnings if w.code == "constant_gene_background"]
    assert "chance rate" not in (result.diseases[0].inheritance_fit or "")


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
    bad = tmp_path / "preset.yaml"
    bad.write_text(PRESET.replace("gene_background: constant", "gene_background: gnomad"))
    with pytest.raises(InputError, match="must be one of exonic_length, constant"):
        load_preset(bad)
    bad.write_text(PRESET.replace("gene_background: constant", "gene_background: exonic_length"))
    assert load_preset(bad).genotype_settings().gene_background == "exonic_length"
