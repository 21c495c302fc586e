"""Per-gene phenotype/variant/combined scores, the built-in dosage curation and the PVS1 note (demo exome)."""

from pathlib import Path

import pytest

from tailormed.io.phenopacket import read_phenotype_document
from tailormed.kb.gene_evidence import builtin_lof_table
from tailormed.pipelines.rare import RareContext, rank_one
from tailormed.rare.engine import gene_contexts
from tailormed.report.rare import render_rare_html

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


@pytest.fixture(scope="module")
def context(hpo_knowledge):  # type: ignore[no-untyped-def]
    return RareContext.load()


def _rank(context: RareContext):  # type: ignore[no-untyped-def]
    profile, _ = read_phenotype_document(DEMO / "phenopacket.json")
    return rank_one(context, profile, source="demo", vcf=DEMO / "demo-exome.vep.vcf")


def _fbn1_frameshift(result):  # type: ignore[no-untyped-def]
    candidate = next(c for c in result.diseases if c.gene == "FBN1" and c.variants)
    return next(v for v in candidate.variants if "fs" in (v.hgvsp or ""))


def test_fbn1_haploinsufficiency_is_curated_so_its_frameshift_gets_full_pvs1(context) -> None:  # type: ignore[no-untyped-def]
    mechanism, source = builtin_lof_table()["FBN1"]
    assert mechanism == "established" and "ClinGen" in source
    result = _rank(context)
    variant = _fbn1_frameshift(result)
    pvs1 = next(k for k in variant.acmg.criteria if k.code == "PVS1")
    assert pvs1.strength == "very_strong"
    assert variant.acmg.classification in ("Likely pathogenic", "Pathogenic")
    assert not [w for w in result.warnings if w.code == "pvs1_weakened_no_dosage_data"]
    top = result.genes[0]
    assert top.gene == "FBN1"
    assert top.phenotype_score is not None and top.variant_score is not None
    assert top.score == pytest.approx(top.phenotype_score + top.variant_score, abs=1e-3)


def test_without_dosage_data_pvs1_is_weakened_and_the_report_says_so(context) -> None:  # type: ignore[no-untyped-def]
    bare = RareContext(hpo=context.hpo, preset=context.preset, contexts=gene_contexts(context.hpo), sources=[])
    result = _rank(bare)
    variant = _fbn1_frameshift(result)
    pvs1 = next(k for k in variant.acmg.criteria if k.code == "PVS1")
    assert pvs1.strength == "strong"
    assert variant.acmg.classification == "Uncertain significance"
    notes = [w for w in result.warnings if w.code == "pvs1_weakened_no_dosage_data"]
    assert len(notes) == 1 and notes[0].message.startswith("FBN1 (rank 1)")
    html = render_rare_html(result)
    assert "PVS1 weakened for lack of dosage data" in html
    assert html.index("rare-pvs1-note") < html.index("Top candidates")


def test_a_gain_of_function_gene_gets_no_pvs1_and_the_result_says_why(context) -> None:  # type: ignore[no-untyped-def]
    curated = {**builtin_lof_table(), "FBN1": ("not_lof", "a test curation")}  # as if FBN1 acted by gain of function
    gof = RareContext(hpo=context.hpo, preset=context.preset,
                      contexts=gene_contexts(context.hpo, builtin_lof=curated), sources=[])
    result = _rank(gof)
    variant = _fbn1_frameshift(result)
    assert not [k for k in variant.acmg.criteria if k.code == "PVS1"]
    notes = [w for w in result.warnings if w.code == "pvs1_not_applicable_gain_of_function"]
    assert len(notes) == 1
    assert notes[0].message.startswith("FBN1 (rank ") and "p.Glu1013LysfsTer18" in notes[0].message
    assert "a test curation" in notes[0].message
    assert not [w for w in _rank(context).warnings if w.code == "pvs1_not_applicable_gain_of_function"]
