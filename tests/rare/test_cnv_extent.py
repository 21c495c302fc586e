"""Partial deletions scored by which part of the gene they remove (Riggs et al. 2020 Table 1, rows 2C-1/2C-2,
2D-1..2D-4, 2E; the ClinGen SVI PVS1 deletion branch), on both strands, from VCF END and BED ends, with the
fallback to the annotation's terms when END or the exons are missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.io.annotated_vcf import read_annotated_vcf
from tailormed.io.cnv_bed import read_cnv_bed
from tailormed.kb.genes import GeneRecord, GeneTable, load_gene_table, read_gene_table
from tailormed.model.rare import AcmgClassification, SampleGenotype, TranscriptConsequence, Variant
from tailormed.rare.acmg import DEFAULT_SETTINGS, GeneContext
from tailormed.rare.cnv import classify_cnv, deletion_extent, with_gene_structures

runner = CliRunner()

# Made-up genes with five exons: PLUS on the + strand (exon 1 at the low end), MINUS its mirror on the - strand
# (exon 1, the 5' end, at the high end). Exonic length 1,000 bp: four 100-bp exons and a 600-bp last exon.
PLUS = GeneRecord("PLUS", "7", "+", 1001, 5600, 1000,
                  ((1001, 1100), (2001, 2100), (3001, 3100), (4001, 4100), (5001, 5600)))
MINUS = GeneRecord("MINUS", "7", "-", 1001, 5600, 1000,
                   ((1001, 1600), (2501, 2600), (3501, 3600), (4501, 4600), (5501, 5600)))
BED_TERMS = ["feature_truncation"]  # what the BED reader gives a partial gene: coding involvement not stated
CODING = ["feature_truncation", "coding_sequence_variant"]


def _hi(structure: GeneRecord | None, mechanism: str = "established") -> GeneContext:
    return GeneContext(symbol=structure.symbol if structure else "PLUS", modes=frozenset({"autosomal_dominant"}),
                       lof_mechanism=mechanism, lof_source="ClinGen", hi_source="ClinGen HI 3",  # type: ignore[arg-type]
                       structure=structure)


def _del(first: int, last: int | None, terms: list[str], gene: str = "PLUS") -> Variant:
    """A heterozygous deletion of bases first..last (pos is the padding base before it)."""
    return Variant(chrom="chr7", pos=first - 1, end=last, ref="N", alt="<DEL>", source="t", annotated=True,
                   annotations=[TranscriptConsequence(gene=gene, consequences=terms, canonical=True)],
                   genotypes={"P": SampleGenotype(alt_count=1)})


def _row(result: AcmgClassification) -> tuple[str, float | None]:
    (criterion,) = [c for c in result.criteria if c.code.startswith("CNV-2")]
    return criterion.code, criterion.cnv_points


def _pvs1(result: AcmgClassification) -> str | None:
    return next((c.strength for c in result.criteria if c.code == "PVS1"), None)


# (gene, deleted interval, terms) -> (row, points, PVS1 strength on the sequence side)
ROWS = [
    # 5' end, coding stated by the annotation: 2C-1; not stated: 0.45; only the 5' UTR: 2C-2.
    (PLUS, (500, 2050), CODING, ("CNV-2C-1", 0.90, "very_strong")),
    (MINUS, (5550, 9000), CODING, ("CNV-2C-1", 0.90, "very_strong")),
    (PLUS, (500, 2050), BED_TERMS, ("CNV-2C-1", 0.45, "strong")),
    (MINUS, (3550, 9000), BED_TERMS, ("CNV-2C-1", 0.45, "strong")),
    (PLUS, (500, 1020), ["feature_truncation", "5_prime_UTR_variant"], ("CNV-2C-2", 0.0, None)),
    (MINUS, (5590, 9000), ["feature_truncation", "5_prime_UTR_variant"], ("CNV-2C-2", 0.0, None)),
    # 3' end: only the 3' UTR (stated), or part of the last exon with coding not stated: 2D-1.
    (PLUS, (5500, 7000), ["feature_truncation", "3_prime_UTR_variant"], ("CNV-2D-1", 0.0, None)),
    (PLUS, (5500, 7000), BED_TERMS, ("CNV-2D-1", 0.0, None)),
    (MINUS, (500, 1200), BED_TERMS, ("CNV-2D-1", 0.0, None)),
    # only the last exon, wholly (or coding stated): 2D-3 (2D-2 needs knowledge of that exon's variants).
    (PLUS, (4500, 7000), BED_TERMS, ("CNV-2D-3", 0.30, "moderate")),
    (PLUS, (5500, 7000), CODING, ("CNV-2D-3", 0.30, "moderate")),
    (MINUS, (500, 2000), BED_TERMS, ("CNV-2D-3", 0.30, "moderate")),
    # the last exon and others: 2D-4.
    (PLUS, (3050, 7000), BED_TERMS, ("CNV-2D-4", 0.90, "very_strong")),
    (MINUS, (500, 3550), BED_TERMS, ("CNV-2D-4", 0.90, "very_strong")),
    # both breakpoints inside: an intron only (N/A); over 10% of the exonic sequence (Strong); less (Moderate).
    (PLUS, (1200, 1900), BED_TERMS, ("CNV-2E", 0.0, None)),
    (MINUS, (3700, 4400), BED_TERMS, ("CNV-2E", 0.0, None)),
    (PLUS, (1500, 3500), BED_TERMS, ("CNV-2E", 0.45, "strong")),
    (MINUS, (2000, 4000), BED_TERMS, ("CNV-2E", 0.45, "strong")),
    (PLUS, (1500, 2500), BED_TERMS, ("CNV-2E", 0.30, "moderate")),
    (MINUS, (3000, 4000), BED_TERMS, ("CNV-2E", 0.30, "moderate")),
    (PLUS, (1500, 2500), ["feature_truncation", "5_prime_UTR_variant"], ("CNV-2E", 0.0, None)),
    # inside the gene but only in the first or last exon (which may be UTR): N/A unless coding is stated; the
    # first/last exons' bases never count toward the 10% (a 300-bp cut of the 600-bp last exon is 30%).
    (PLUS, (5100, 5400), BED_TERMS, ("CNV-2E", 0.0, None)),
    (MINUS, (1100, 1400), BED_TERMS, ("CNV-2E", 0.0, None)),
    (PLUS, (5100, 5400), CODING, ("CNV-2E", 0.30, "moderate")),
    (PLUS, (3050, 5400), BED_TERMS, ("CNV-2E", 0.45, "strong")),  # 151 inner bases (exons 3-4): 15%
    (PLUS, (4050, 5400), BED_TERMS, ("CNV-2E", 0.30, "moderate")),  # 51 inner bases (exon 4), 400 in the last
]


@pytest.mark.parametrize(("gene", "interval", "terms", "expected"), ROWS)
def test_each_row_of_a_partial_deletion(gene: GeneRecord, interval: tuple[int, int], terms: list[str],
                                        expected: tuple[str, float, str | None]) -> None:
    result = classify_cnv(_del(*interval, terms, gene=gene.symbol), _hi(gene), gene.symbol, DEFAULT_SETTINGS)
    code, points, strength = expected
    assert _row(result) == (code, pytest.approx(points))
    assert _pvs1(result) == strength
    # The two classifications agree: the CNV points and the sequence-side PVS1 give the same class.
    assert result.cnv_class == result.classification


def test_strand_decides_which_end_is_five_prime() -> None:
    # The same interval, at the low end of the span: the 5' end of PLUS, the 3' end of MINUS.
    low = (500, 2050)
    plus, minus = deletion_extent(_del(*low, BED_TERMS), PLUS), deletion_extent(_del(*low, BED_TERMS), MINUS)
    assert not isinstance(plus, str) and not isinstance(minus, str)
    assert (plus.part, plus.exons) == ("five_prime", (1, 2))
    assert (minus.part, minus.exons) == ("three_prime", (5,))


def test_a_likely_mechanism_weakens_pvs1_one_step_but_not_the_cnv_points() -> None:
    result = classify_cnv(_del(3050, 7000, BED_TERMS), _hi(PLUS, "likely"), "PLUS", DEFAULT_SETTINGS)
    assert _row(result) == ("CNV-2D-4", pytest.approx(0.90)) and _pvs1(result) == "strong"


def test_a_gene_not_established_haploinsufficient_gets_pvs1_only() -> None:
    recessive = GeneContext(symbol="PLUS", modes=frozenset({"autosomal_recessive"}), lof_mechanism="established",
                            lof_source="ClinGen HI 30", structure=PLUS)
    result = classify_cnv(_del(4500, 7000, BED_TERMS), recessive, "PLUS", DEFAULT_SETTINGS)
    assert not [c for c in result.criteria if c.code.startswith("CNV-2")]
    assert _pvs1(result) == "moderate"  # the last exon only: not very strong on the sequence side either


def test_reasons_name_the_exons_and_what_review_could_add() -> None:
    result = classify_cnv(_del(4500, 7000, BED_TERMS), _hi(PLUS), "PLUS", DEFAULT_SETTINGS)
    reason = next(c.reason for c in result.criteria if c.code == "CNV-2D-3")
    assert "exon 5 of 5" in reason and "2D-2 (0.90)" in reason
    five = classify_cnv(_del(500, 2050, BED_TERMS), _hi(PLUS), "PLUS", DEFAULT_SETTINGS)
    assert "2C-1 at 0.90 applies on review" in next(c.reason for c in five.criteria if c.code == "CNV-2C-1")


@pytest.mark.parametrize(("variant", "structure", "why"), [
    (_del(4500, None, CODING), PLUS, "the record gives no END"),
    (_del(4500, 7000, CODING), None, "no gene table holds the gene"),
    (_del(4500, 7000, CODING), GeneRecord("PLUS", "7", "+", 1001, 5600, 1000), "an older format"),
    (_del(9000, 9500, CODING), PLUS, "does not overlap the gene table's transcript"),
])
def test_without_end_or_exons_today_s_reading_stands_and_says_why(variant: Variant, structure: GeneRecord | None,
                                                                   why: str) -> None:
    result = classify_cnv(variant, _hi(structure), "PLUS", DEFAULT_SETTINGS)
    assert _row(result) == ("CNV-2E", pytest.approx(0.45)) and _pvs1(result) == "strong"
    reason = next(c.reason for c in result.criteria if c.code == "CNV-2E")
    assert "scored as PVS1_Strong because the deleted exons are unknown" in reason and why in reason


def test_a_whole_gene_deletion_stays_2a_whatever_the_coordinates() -> None:
    whole = _del(100, 200, ["transcript_ablation"])  # the annotation's whole-gene call is kept
    result = classify_cnv(whole, _hi(PLUS), "PLUS", DEFAULT_SETTINGS)
    assert _row(result) == ("CNV-2A", pytest.approx(1.0)) and _pvs1(result) == "very_strong"


def test_with_gene_structures_attaches_the_table_s_transcripts() -> None:
    contexts = {"PLUS": _hi(None), "OTHER": GeneContext(symbol="OTHER", modes=frozenset())}
    attached = with_gene_structures(contexts, GeneTable({"PLUS": PLUS}))
    assert attached["PLUS"].structure is PLUS and attached["OTHER"].structure is None
    assert with_gene_structures(contexts, None) is contexts


def test_an_old_format_table_still_loads_without_exons(tmp_path: Path) -> None:
    folder = tmp_path / "genes"
    folder.mkdir()
    (folder / "genes.tsv").write_text("symbol\tchrom\tstrand\ttx_start\ttx_end\texonic_length\n"
                                      "PLUS\t7\t+\t1001\t5600\t1000\n")
    (folder / "meta.json").write_text(json.dumps({"format": 1, "source": "old", "genes": 1}))
    table = read_gene_table(folder)
    assert table.genes["PLUS"].exons == () and not table.has_exons and table.exonic_length("PLUS") == 1000
    GeneTable({"PLUS": PLUS}).save(tmp_path / "new")
    assert read_gene_table(tmp_path / "new").genes["PLUS"] == PLUS


def test_bed_rows_carry_their_end_and_score_by_exon(tmp_path: Path) -> None:
    bed = tmp_path / "calls.bed"
    bed.write_text("chr7\t4499\t7000\tDEL\tPLUS:partial\nchr7\t4499\t7000\tDUP\tPLUS:partial\n")
    deletion, duplication = read_cnv_bed(bed, "P")
    assert (deletion.pos, deletion.end) == (4499, 7000)  # bases 4500-7000, as _del(4500, 7000) above
    assert deletion.annotations[0].consequences == ["feature_truncation"]
    assert duplication.annotations[0].consequences == ["feature_elongation"]
    result = classify_cnv(deletion, _hi(PLUS), "PLUS", DEFAULT_SETTINGS)
    assert _row(result) == ("CNV-2D-3", pytest.approx(0.30))


def test_vcf_records_carry_info_end(tmp_path: Path) -> None:
    csq = "deletion|feature_truncation&coding_sequence_variant|HIGH|PLUS|||||YES"
    header = ["##fileformat=VCFv4.2", "##contig=<ID=chr7,length=159345973>",
              '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
              '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">',
              '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: '
              'Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|HGVSc|HGVSp|EXON|CANONICAL">',
              '##ALT=<ID=DEL,Description="Deletion">', '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP"]
    # END far past the gene (and every gene of the chromosome's start) is fine: the deletion covers PLUS's 3' end.
    rows = ["chr7\t3049\t.\tN\t<DEL>\t50\tPASS\tEND=150000000;SVTYPE=DEL;CSQ=" + csq + "\tGT\t0/1",
            "chr7\t4000\t.\tA\tG\t50\tPASS\tCSQ=G|missense_variant|MODERATE|PLUS|||||YES\tGT\t0/1"]
    vcf = tmp_path / "sv.vcf"
    vcf.write_text("\n".join([*header, *rows]) + "\n")
    deletion, snv = read_annotated_vcf(vcf).variants
    assert (deletion.pos, deletion.end) == (3049, 150_000_000) and snv.end is None
    result = classify_cnv(deletion, _hi(PLUS), "PLUS", DEFAULT_SETTINGS)
    assert _row(result) == ("CNV-2D-4", pytest.approx(0.90)) and result.classification == "Likely pathogenic"


# End to end with the installed gene table: FBN1 (minus strand; its last exon is at the low end, 48408306-48411379).
def _installed_exons() -> GeneTable:
    table = load_gene_table()
    if table is None or not table.has_exons:
        pytest.skip("no gene table with exons installed (`make gene-data` builds it)")
    return table


@pytest.mark.parametrize(("end", "row", "points"), [
    (48411000, "CNV-2D-1", 0.0),     # part of the last exon, coding not stated by a BED row
    (48412000, "CNV-2D-3", 0.30),    # the whole last exon
    (48415000, "CNV-2D-4", 0.90),    # the last two exons
])
def test_cli_bed_partial_fbn1_deletions(tmp_path: Path, hpo_knowledge, end: int, row: str,  # type: ignore[no-untyped-def]
                                        points: float) -> None:
    table = _installed_exons()
    assert table.genes["FBN1"].strand == "-" and table.genes["FBN1"].tx_start == 48408306
    bed = tmp_path / "calls.bed"
    bed.write_text(f"chr15\t48400000\t{end}\tDEL\tFBN1:partial\n")
    out = tmp_path / "out"
    marfan = "HP:0001166,HP:0001083,HP:0002616"  # arachnodactyly, ectopia lentis, aortic root dilatation
    result = runner.invoke(app, ["rare", "rank", "--hpo", marfan, "--sample", "P", "--cnv", str(bed), "--out",
                                 str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "result.json").read_text())
    fbn1 = next(c for c in document["diseases"] if c["gene"] == "FBN1" and c["variants"])
    criteria = {c["code"]: c for c in fbn1["variants"][0]["acmg"]["criteria"]}
    assert criteria[row]["cnv_points"] == pytest.approx(points)
    assert any("exons for partial deletions" in k for k in document["provenance"]["knowledge"])
    # the reader sees the deleted bases (BED start 48400000 is 0-based: the first deleted base is 48,400,001)
    region = f"deletion chr15:48,400,001-{end:,} ({(end - 48400000) / 1000:.1f} kb)"
    assert fbn1["variants"][0]["region"] == region
    assert region in (out / "report.html").read_text()


def test_the_pipeline_attaches_exons_or_says_the_table_is_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    from tailormed.pipelines.rare import RareContext

    old = tmp_path / "old"
    old.mkdir()
    (old / "genes.tsv").write_text("symbol\tchrom\tstrand\ttx_start\ttx_end\texonic_length\n"
                                   "FBN1\t15\t-\t48408306\t48645849\t11000\n")
    (old / "meta.json").write_text(json.dumps({"format": 1, "source": "old", "genes": 1}))
    monkeypatch.setenv("TAILORMED_GENES", str(old))
    load_gene_table.cache_clear()
    try:
        context = RareContext.load()
    finally:
        load_gene_table.cache_clear()
    assert any("predates exon coordinates" in source for source in context.sources)
    fbn1 = context.contexts["FBN1"]
    assert fbn1.structure is not None and fbn1.structure.exons == ()
    result = classify_cnv(_del(48400001, 48415000, BED_TERMS, gene="FBN1").model_copy(update={"chrom": "chr15"}),
                          fbn1, "FBN1", DEFAULT_SETTINGS)
    reason = next(c.reason for c in result.criteria if c.code == "CNV-2E")
    assert "older format" in reason and _row(result) == ("CNV-2E", pytest.approx(0.45))
