"""Annotated VCF reader: VEP CSQ and snpEff ANN become per-ALT variants with genotypes; bad input fails clearly."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import GRCH38_CONTIGS
from cyvcf2 import VCF, Writer
from hypothesis import given, settings
from hypothesis import strategies as st

from tailormed.errors import GenomeBuildError, InputError
from tailormed.io.annotated_vcf import (
    AnnotationFieldError,
    parse_ann_entry,
    parse_csq,
    read_annotated_vcf,
    transcript_consequence,
    vep_allele_labels,
)
from tailormed.model.rare import Variant

CSQ_FIELDS = ["Allele", "Consequence", "IMPACT", "SYMBOL", "Gene", "Feature", "HGVSc", "HGVSp", "EXON", "INTRON",
              "Protein_position", "Amino_acids", "CANONICAL", "gnomADe_AF", "gnomADg_AF", "MAX_AF", "CLIN_SIG",
              "REVEL", "CADD_PHRED", "SpliceAI_pred_DS_AG", "SpliceAI_pred_DS_AL", "SpliceAI_pred_DS_DG",
              "SpliceAI_pred_DS_DL", "ALLELE_NUM"]
CSQ_HEADER = ('##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
              f'Format: {"|".join(CSQ_FIELDS)}">')
ANN_HEADER = ('##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: \'Allele | Annotation | '
              'Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | '
              'HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | '
              'ERRORS / WARNINGS / INFO\' ">')
FORMAT_HEADER = ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                 '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
                 '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
                 '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">']


def csq(**values: str) -> str:
    """One CSQ entry with the named fields set (others empty)."""
    unknown = set(values) - set(CSQ_FIELDS)
    assert not unknown, unknown
    return "|".join(values.get(name, "") for name in CSQ_FIELDS)


def ann(allele: str, effect: str, impact: str, gene: str, transcript: str, rank: str = "", hgvsc: str = "",
        hgvsp: str = "", aa: str = "") -> str:
    return "|".join([allele, effect, impact, gene, "ENSG1", "transcript", transcript, "protein_coding", rank,
                     hgvsc, hgvsp, "", "", aa, "", ""])


def row(chrom: str, pos: int, ref: str, alt: str, info: str = ".", gts: tuple[str, ...] = ("0/1",),
        fmt: str = "GT", filt: str = "PASS", qual: str = "50") -> str:
    return "\t".join([chrom, str(pos), ".", ref, alt, qual, filt, info, fmt, *gts])


def write(tmp_path: Path, rows: list[str], *, samples: tuple[str, ...] = ("P",), info_headers: tuple[str, ...] = (
        CSQ_HEADER,), contigs: dict[str, int] | None = None, name: str = "case.vcf") -> Path:
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in (contigs or GRCH38_CONTIGS).items()]
    lines.append('##FILTER=<ID=LowQual,Description="Low quality">')
    lines += list(info_headers) + FORMAT_HEADER
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    path = tmp_path / name
    path.write_text("\n".join(lines + rows) + "\n")
    return path


def line_of(path: Path, pos: int) -> int:
    """1-based line number of the record at ``pos`` in a plain-text VCF."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.startswith("#") and line.count("\t") and line.split("\t")[1] == str(pos):
            return number
    raise AssertionError(pos)


def by_key(result) -> dict[str, Variant]:
    return {v.key: v for v in result.variants}


# -- VEP CSQ -------------------------------------------------------------------------------------------------
def test_csq_fields_become_transcript_consequences(tmp_path):
    entry = csq(Allele="T", Consequence="missense_variant&splice_region_variant", IMPACT="MODERATE", SYMBOL="FBN1",
                Feature="ENST00000316623", HGVSc="ENST00000316623.10:c.3509G>A", HGVSp="ENSP00000325527.5:p.Leu12%3D",
                EXON="28/66", Protein_position="1170-1171", Amino_acids="C/Y", CANONICAL="YES", gnomADe_AF="0.0002",
                gnomADg_AF="0.0005", MAX_AF="0.01", CLIN_SIG="pathogenic&Likely_pathogenic/uncertain_significance",
                REVEL="0.2&0.93", CADD_PHRED="28.1", SpliceAI_pred_DS_AG="0.01", SpliceAI_pred_DS_AL="0.00",
                SpliceAI_pred_DS_DG="0.35", SpliceAI_pred_DS_DL="0.02")
    other = csq(Allele="T", Consequence="upstream_gene_variant", IMPACT="MODIFIER", SYMBOL="FBN1",
                Feature="ENST00000559133", gnomADe_AF="0.0002", gnomADg_AF="0.0005")
    path = write(tmp_path, [row("chr15", 48420000, "C", "T", f"CSQ={entry},{other}", ("0/1",), qual=".")])
    result = read_annotated_vcf(path)
    assert result.annotation_source == "vep" and result.records_read == 1 and result.unannotated == []
    (variant,) = result.variants
    assert (variant.chrom, variant.pos, variant.ref, variant.alt, variant.qual) == ("chr15", 48420000, "C", "T", None)
    assert variant.annotated and variant.filter_pass
    assert variant.source == f"{path}:{line_of(path, 48420000)}"
    main, upstream = variant.annotations
    assert main.gene == "FBN1" and main.transcript == "ENST00000316623"
    assert main.consequences == ["missense_variant", "splice_region_variant"]
    assert main.impact == "MODERATE" and main.canonical and not upstream.canonical
    assert main.hgvsc == "ENST00000316623.10:c.3509G>A" and main.hgvsp == "ENSP00000325527.5:p.Leu12="
    assert main.exon == "28/66" and main.intron is None
    assert main.protein_position == 1170 and main.amino_acids == "C/Y"
    assert main.gnomad_af == pytest.approx(0.0005)  # the larger gnomAD value, not MAX_AF
    assert main.clinvar == ["pathogenic", "likely_pathogenic", "uncertain_significance"]
    assert main.revel == pytest.approx(0.93) and main.cadd_phred == pytest.approx(28.1)
    assert main.spliceai_max == pytest.approx(0.35)
    assert upstream.consequences == ["upstream_gene_variant"] and upstream.protein_position is None


def test_frequency_falls_back_to_max_af_when_no_gnomad_value(tmp_path):
    entry = csq(Allele="T", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="G1", MAX_AF="0.03",
                Protein_position="?-5")
    (variant,) = read_annotated_vcf(write(tmp_path, [row("chr1", 1000, "C", "T", f"CSQ={entry}")])).variants
    assert variant.annotations[0].gnomad_af == pytest.approx(0.03)
    assert variant.annotations[0].protein_position == 5


def test_multiallelic_record_splits_with_per_allele_annotations_and_doses(tmp_path):
    entries = ",".join([csq(Allele="G", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="GENE_G"),
                        csq(Allele="T", Consequence="stop_gained", IMPACT="HIGH", SYMBOL="GENE_T")])
    path = write(tmp_path, [row("chr2", 5000, "A", "G,T", f"CSQ={entries}", ("1/2", "0/2", "0/0"))],
                 samples=("P", "F", "M"))
    variants = by_key(read_annotated_vcf(path))
    g, t = variants["chr2-5000-A-G"], variants["chr2-5000-A-T"]
    assert [a.gene for a in g.annotations] == ["GENE_G"] and [a.gene for a in t.annotations] == ["GENE_T"]
    assert {s: c.alt_count for s, c in g.genotypes.items()} == {"P": 1, "F": 0, "M": 0}
    assert {s: c.alt_count for s, c in t.genotypes.items()} == {"P": 1, "F": 1, "M": 0}
    assert g.source == t.source


@pytest.mark.parametrize(("ref", "alts", "labels"), [
    ("AT", ["A"], ["-"]),            # deletion: shared first base dropped
    ("A", ["AT"], ["T"]),            # insertion
    ("ATT", ["A", "AT"], ["-", "T"]),  # multi-allelic, every allele starts with A
    ("A", ["AT", "G"], ["AT", "G"]),   # multi-allelic, first bases differ: nothing dropped
    ("A", ["G"], ["G"]),             # SNV untouched
    ("AC", ["GT"], ["GT"]),          # MNV untouched
])
def test_vep_allele_labels(ref, alts, labels):
    assert vep_allele_labels(ref, alts) == labels


def test_indel_alleles_are_matched_to_their_vep_labels(tmp_path):
    entries = ",".join([csq(Allele="-", Consequence="frameshift_variant", IMPACT="HIGH", SYMBOL="DEL2"),
                        csq(Allele="T", Consequence="frameshift_variant", IMPACT="HIGH", SYMBOL="DEL1")])
    rows = [row("chr3", 100, "ATT", "A,AT", f"CSQ={entries}", ("1/2",)),
            row("chr3", 200, "AT", "A", "CSQ=" + csq(Allele="-", Consequence="frameshift_variant", IMPACT="HIGH",
                                                       SYMBOL="SOLO_DEL")),
            row("chr3", 300, "A", "AT", "CSQ=" + csq(Allele="T", Consequence="frameshift_variant", IMPACT="HIGH",
                                                       SYMBOL="SOLO_INS"))]
    variants = by_key(read_annotated_vcf(write(tmp_path, rows)))
    # ATT>AT is written in its parsimonious form AT>A; ATT>A keeps both deleted bases.
    assert [a.gene for a in variants["chr3-100-ATT-A"].annotations] == ["DEL2"]
    assert [a.gene for a in variants["chr3-100-AT-A"].annotations] == ["DEL1"]
    assert [a.gene for a in variants["chr3-200-AT-A"].annotations] == ["SOLO_DEL"]
    assert [a.gene for a in variants["chr3-300-A-AT"].annotations] == ["SOLO_INS"]


def test_allele_num_separates_alleles_that_minimal_labels_confuse(tmp_path):
    # VEP --minimal labels both TAA>TA and TAA>T as '-'; ALLELE_NUM says which ALT each entry is for.
    entries = ",".join([csq(Allele="-", Consequence="inframe_deletion", IMPACT="MODERATE", SYMBOL="ONE",
                            ALLELE_NUM="1"),
                        csq(Allele="-", Consequence="frameshift_variant", IMPACT="HIGH", SYMBOL="TWO",
                            ALLELE_NUM="2")])
    variants = by_key(read_annotated_vcf(write(tmp_path, [row("chr4", 10, "TAA", "TA,T", f"CSQ={entries}")])))
    assert [a.gene for a in variants["chr4-10-TA-T"].annotations] == ["ONE"]
    assert [a.gene for a in variants["chr4-10-TAA-T"].annotations] == ["TWO"]


def test_entries_for_another_allele_are_not_used_and_reported(tmp_path):
    # A multi-allelic record split after annotation keeps the other allele's CSQ entries.
    entries = ",".join([csq(Allele="G", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="MINE"),
                        csq(Allele="T", Consequence="stop_gained", IMPACT="HIGH", SYMBOL="OTHER")])
    result = read_annotated_vcf(write(tmp_path, [row("chr5", 10, "A", "G", f"CSQ={entries}")]))
    assert [a.gene for a in result.variants[0].annotations] == ["MINE"]
    assert [w.code for w in result.warnings] == ["unmatched_annotations"]


def test_genotypes_phasing_phase_set_depth_and_quality(tmp_path):
    entry = csq(Allele="G", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="G1")
    path = write(tmp_path, [row("chr6", 700, "A", "G", f"CSQ={entry}",
                                ("0|1:31:99:650", "1|0:20:45:650", "0/1:18:.:.", "./.:.:.:.", "1|1:12:30:."),
                                fmt="GT:DP:GQ:PS")], samples=("P", "F", "M", "S", "B"))
    calls = read_annotated_vcf(path).variants[0].genotypes
    assert list(calls) == ["P", "F", "M", "S", "B"]
    p, f, m, s, b = (calls[k] for k in "PFMSB")
    assert (p.alt_count, p.phased, p.phase_set, p.haplotype_with_alt, p.depth, p.genotype_quality) == (
        1, True, 650, [1], 31, 99)
    assert (f.phased, f.haplotype_with_alt) == (True, [0])
    assert (m.alt_count, m.phased, m.phase_set, m.haplotype_with_alt, m.genotype_quality) == (1, False, None, [], None)
    assert (s.alt_count, s.ploidy, s.depth) == (None, 2, None)
    assert (b.alt_count, b.phase_set, b.haplotype_with_alt) == (2, None, [0, 1])


def test_haploid_male_chrx_call_has_ploidy_one(tmp_path):
    entry = csq(Allele="A", Consequence="stop_gained", IMPACT="HIGH", SYMBOL="DMD")
    path = write(tmp_path, [row("chrX", 31500000, "G", "A", f"CSQ={entry}", ("1", "0/1", "0"))],
                 samples=("son", "mother", "father"))
    calls = read_annotated_vcf(path).variants[0].genotypes
    assert (calls["son"].alt_count, calls["son"].ploidy, calls["son"].phased) == (1, 1, False)
    assert (calls["mother"].alt_count, calls["mother"].ploidy) == (1, 2)
    assert (calls["father"].alt_count, calls["father"].ploidy) == (0, 1)


def test_sample_selection_orders_columns_and_refuses_unknown_samples(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G"), ("0/1", "1/1", "0/0"))],
                 samples=("P", "F", "M"))
    result = read_annotated_vcf(path, ["M", "P"])
    assert result.samples == ["M", "P"] and list(result.variants[0].genotypes) == ["M", "P"]
    assert result.variants[0].genotypes["P"].alt_count == 1
    with pytest.raises(InputError, match="NOPE"):
        read_annotated_vcf(path, ["NOPE"])


def test_filter_and_half_missing_calls(tmp_path):
    entry = "CSQ=" + csq(Allele="G", SYMBOL="G1")
    rows = [row("chr1", 10, "A", "G", entry, ("./1",), filt="LowQual"), row("chr1", 20, "A", "G", entry, filt=".")]
    result = read_annotated_vcf(write(tmp_path, rows))
    low, dot = result.variants
    assert not low.filter_pass and dot.filter_pass
    assert low.genotypes["P"].alt_count == 1  # the called allele is counted
    assert "partial_genotypes" in [w.code for w in result.warnings]


def test_unannotated_records_are_kept_and_listed(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="G1")),
                            row("chr1", 20, "A", "G", "."),
                            row("chr1", 30, "A", "G", "CSQ=")])
    result = read_annotated_vcf(path)
    assert [v.annotated for v in result.variants] == [True, False, False]
    assert result.unannotated == [f"{path}:{line_of(path, 20)}", f"{path}:{line_of(path, 30)}"]
    warning = next(w for w in result.warnings if w.code == "unannotated_records")
    assert "2 record(s)" in warning.message


def test_vcf_without_annotation_is_read_with_a_warning(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G"), row("chr1", 20, "C", "T")], info_headers=())
    result = read_annotated_vcf(path)
    assert result.annotation_source == "none"
    assert [v.annotated for v in result.variants] == [False, False] and len(result.unannotated) == 2
    assert [w.code for w in result.warnings] == ["unannotated_vcf"]


def test_star_and_reference_only_alleles_are_skipped_and_counted(tmp_path):
    rows = [row("chr1", 10, "A", "G,*", "CSQ=" + csq(Allele="G", SYMBOL="G1"), ("1/2",)),
            row("chr1", 20, "A", ".", ".", ("0/0",))]
    result = read_annotated_vcf(write(tmp_path, rows))
    assert [v.key for v in result.variants] == ["chr1-10-A-G"] and result.records_read == 2
    assert {"spanning_deletion_alleles", "reference_only_records"} <= {w.code for w in result.warnings}


def test_spliceai_prediction_string_and_info_level_scores(tmp_path):
    fields = ["Allele", "Consequence", "IMPACT", "SYMBOL", "SpliceAI_pred"]
    header = ('##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: '
              + "|".join(fields) + '">')
    info_headers = (header, '##INFO=<ID=SpliceAI,Number=.,Type=String,Description="SpliceAI">',
                    '##INFO=<ID=dbNSFP_REVEL_score,Number=A,Type=Float,Description="REVEL">',
                    '##INFO=<ID=gnomADe_AF,Number=A,Type=Float,Description="gnomAD exomes AF">')
    entry = "T|splice_region_variant|LOW|GENE1|GENE1&0.01&0.00&0.62&0.10&-3&12&2&-1"
    info = f"CSQ={entry};SpliceAI=T|GENE1|0.05|0.00|0.80|0.00|1|2|3|4;dbNSFP_REVEL_score=0.4;gnomADe_AF=0.001"
    (variant,) = read_annotated_vcf(write(tmp_path, [row("chr1", 10, "C", "T", info)],
                                          info_headers=info_headers)).variants
    (annotation,) = variant.annotations
    assert annotation.spliceai_max == pytest.approx(0.62)  # the transcript's own value wins over INFO
    assert annotation.revel == pytest.approx(0.4) and annotation.gnomad_af == pytest.approx(0.001)


# -- snpEff ANN ----------------------------------------------------------------------------------------------
def test_snpeff_ann_and_dbnsfp_keys(tmp_path):
    info_headers = (ANN_HEADER, '##INFO=<ID=dbNSFP_REVEL_score,Number=A,Type=Float,Description="REVEL">',
                    '##INFO=<ID=dbNSFP_CADD_phred,Number=A,Type=Float,Description="CADD">')
    entries = ",".join([
        ann("G", "missense_variant&splice_region_variant", "MODERATE", "COL1A1", "NM_000088.4", "3/51",
            "c.104A>G", "p.Lys35Arg", "35/1464"),
        ann("G", "intron_variant", "MODIFIER", "COL1A1", "NM_X.1", "2/50", "c.80+12A>G"),
        ann("T", "stop_gained", "HIGH", "COL1A1", "NM_000088.4", "3/51", "c.104A>T", "p.Lys35*", "35/1464"),
    ])
    info = f"ANN={entries};dbNSFP_REVEL_score=0.81,.;dbNSFP_CADD_phred=24.5,38"
    result = read_annotated_vcf(write(tmp_path, [row("chr17", 50200000, "A", "G,T", info, ("1/2",))],
                                      info_headers=info_headers))
    assert result.annotation_source == "snpeff"
    variants = by_key(result)
    missense, intronic = variants["chr17-50200000-A-G"].annotations
    assert missense.consequences == ["missense_variant", "splice_region_variant"] and missense.impact == "MODERATE"
    assert (missense.gene, missense.transcript, missense.hgvsc, missense.hgvsp) == (
        "COL1A1", "NM_000088.4", "c.104A>G", "p.Lys35Arg")
    assert (missense.exon, missense.intron, missense.protein_position) == ("3/51", None, 35)
    assert (intronic.exon, intronic.intron) == (None, "2/50")
    assert missense.revel == pytest.approx(0.81) and missense.cadd_phred == pytest.approx(24.5)
    (stop,) = variants["chr17-50200000-A-T"].annotations
    assert stop.impact == "HIGH" and stop.revel is None and stop.cadd_phred == pytest.approx(38)


# -- prefilter -----------------------------------------------------------------------------------------------
def test_af_prefilter_drops_common_variants_and_counts_them(tmp_path):
    rows = [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="COMMON", gnomADe_AF="0.2")),
            row("chr1", 20, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="RARE", gnomADe_AF="0.0001")),
            row("chr1", 30, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="NOVEL")),
            row("chr1", 40, "A", "G,T", "CSQ=" + ",".join([csq(Allele="G", SYMBOL="M_COMMON", gnomADg_AF="0.3"),
                                                            csq(Allele="T", SYMBOL="M_RARE", gnomADg_AF="0.001")]),
                ("1/2",))]
    path = write(tmp_path, rows)
    result = read_annotated_vcf(path, max_af_prefilter=0.01)
    assert [v.annotations[0].gene for v in result.variants] == ["RARE", "NOVEL", "M_RARE"]
    assert result.prefiltered == 2 and result.records_read == 4
    warning = next(w for w in result.warnings if w.code == "prefiltered_common")
    assert "2 variant(s)" in warning.message and "0.01" in warning.message
    assert len(read_annotated_vcf(path).variants) == 5
    with pytest.raises(InputError, match="max_af_prefilter"):
        read_annotated_vcf(path, max_af_prefilter=2)


# -- refusals ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fields", "named"), [
    ({"REVEL": "abc"}, "REVEL"),
    ({"CADD_PHRED": "1.2.3"}, "CADD_PHRED"),
    ({"gnomADe_AF": "1.5"}, "gnomADe_AF"),
    ({"IMPACT": "SEVERE"}, "IMPACT"),
    ({"Protein_position": "12x"}, "Protein_position"),
    ({"SpliceAI_pred_DS_DG": "high"}, "SpliceAI_pred_DS_DG"),
])
def test_unreadable_numbers_name_the_record_and_field(tmp_path, fields, named):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="G1")),
                            row("chr1", 777, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="G1", **fields))])
    with pytest.raises(InputError) as error:
        read_annotated_vcf(path)
    message = str(error.value)
    assert str(path) in message and f"line {line_of(path, 777)}" in message and "chr1:777" in message
    assert named in message


def test_missing_file_and_not_a_vcf(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_annotated_vcf(tmp_path / "absent.vcf")
    notes = tmp_path / "notes.vcf"
    notes.write_text("hello\n")
    with pytest.raises(InputError, match="not a VCF"):
        read_annotated_vcf(notes)
    headless = tmp_path / "headless.vcf"
    headless.write_text("##fileformat=VCFv4.2\nchr1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(InputError, match="#CHROM"):
        read_annotated_vcf(headless)


def test_grch37_contigs_are_refused(tmp_path):
    path = write(tmp_path, [row("1", 10, "A", "G", "CSQ=" + csq(Allele="G"))], contigs={"1": 249250621})
    with pytest.raises(GenomeBuildError, match="GRCh37"):
        read_annotated_vcf(path)


def test_malformed_record_names_its_line(tmp_path):
    good = row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G"))
    path = write(tmp_path, [good, "chr1\t20\t.\tA\tG\t50\tPASS\t.\tGT"])  # no sample column
    with pytest.raises(InputError, match="columns") as error:
        read_annotated_vcf(path)
    assert f"{path}:line {line_of(path, 10) + 1}" in str(error.value)


def test_blank_lines_are_skipped_without_shifting_line_numbers(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G")), "",
                            row("chr1", 20, "A", "G", "CSQ=" + csq(Allele="G"))])
    result = read_annotated_vcf(path)
    assert [v.source for v in result.variants] == [f"{path}:{line_of(path, 10)}", f"{path}:{line_of(path, 20)}"]
    assert "blank_lines" in [w.code for w in result.warnings]
    doubled = write(tmp_path, [row("chr1", 10, "A", "G"), "", "", row("chr1", 20, "A", "G")], name="doubled.vcf")
    with pytest.raises(InputError, match="empty"):
        read_annotated_vcf(doubled)


def _rewrite(plain: Path, out: Path, mode: str) -> Path:
    """Re-encode a VCF with htslib (cyvcf2.Writer): 'wz' BGZF-compressed VCF, 'wb' BCF."""
    reader = VCF(str(plain))
    writer = Writer(str(out), reader, mode=mode)
    for record in reader:
        writer.write_record(record)
    writer.close()
    reader.close()
    return out


def test_bgzipped_vcf_and_bcf_read_like_the_plain_file(tmp_path):
    entry = csq(Allele="G", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="G1", REVEL="0.5")
    plain = write(tmp_path, [row("chr1", 10, "A", "G", f"CSQ={entry}", ("0|1:9:50:10",), fmt="GT:DP:GQ:PS"),
                             row("chr1", 20, "A", "C,T", f"CSQ={csq(Allele='T', SYMBOL='G2')}", ("1/2:7:40:.",),
                                 fmt="GT:DP:GQ:PS")])
    gz = _rewrite(plain, tmp_path / "case.vcf.gz", "wz")
    bcf = _rewrite(plain, tmp_path / "case.bcf", "wb")
    expected = [v.model_dump(exclude={"source"}) for v in read_annotated_vcf(plain).variants]
    for path in (gz, bcf):
        result = read_annotated_vcf(path)
        assert [v.model_dump(exclude={"source"}) for v in result.variants] == expected
    # Line numbers of a compressed VCF count the decompressed text (htslib wrote its own header here).
    text_lines = gzip.decompress(gz.read_bytes()).decode().splitlines()
    first = read_annotated_vcf(gz).variants[0].source
    assert text_lines[int(first.rsplit(":", 1)[1]) - 1].startswith("chr1\t10\t")
    assert [v.source for v in read_annotated_vcf(bcf).variants] == [f"{bcf}:record 1", f"{bcf}:record 2",
                                                                     f"{bcf}:record 2"]


def test_truncated_bgzip_is_refused(tmp_path):
    rows = [row("chr1", 10 + i, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL=f"G{i}")) for i in range(400)]
    gz = _rewrite(write(tmp_path, rows), tmp_path / "case.vcf.gz", "wz")
    data = gz.read_bytes()
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as error:
        read_annotated_vcf(cut)
    assert "cut.vcf.gz" in str(error.value)


def test_grch37_bcf_is_refused(tmp_path):
    plain = write(tmp_path, [row("1", 10, "A", "G", "CSQ=" + csq(Allele="G"))], contigs={"1": 249250621},
                  name="b37.vcf")
    bcf = _rewrite(plain, tmp_path / "b37.bcf", "wb")
    with pytest.raises(GenomeBuildError, match="GRCh37"):
        read_annotated_vcf(bcf)


def test_fast_built_models_equal_validated_ones(tmp_path):
    # The reader builds models without pydantic validation (its own parsers check the values): this holds
    # only while a validated copy of every variant is identical.
    entries = ",".join([csq(Allele="G", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="G1",
                            gnomADe_AF="0.001", CLIN_SIG="benign", REVEL="0.3", Protein_position="7"),
                        csq(Allele="T", Consequence="stop_gained", IMPACT="HIGH", SYMBOL="G2", EXON="2/9")])
    path = write(tmp_path, [row("chr1", 10, "A", "G,T", f"CSQ={entries}", ("0|2:30:99:10", "./1:.:.:."),
                                fmt="GT:DP:GQ:PS"), row("chrX", 20, "C", "A", ".", ("1", "0/1"))],
                 samples=("P", "M"))
    for variant in read_annotated_vcf(path).variants:
        copy = Variant.model_validate(variant.model_dump())
        assert copy == variant and copy.model_dump_json() == variant.model_dump_json()
        assert copy.model_fields_set == variant.model_fields_set


# -- the field parsers never fail with anything but InputError -------------------------------------------------
_junk = st.text(alphabet=st.sampled_from(list("|&,/.-?%3D0123456789eE+naNAYESHIGHMODERATE xX\t²١")), max_size=120)


@settings(max_examples=300, deadline=None)
@given(value=_junk)
def test_csq_parser_accepts_or_raises_input_error(value):
    try:
        pairs = parse_csq(value, CSQ_FIELDS, source="fuzz.vcf", location="line 1")
    except InputError as exc:
        assert "fuzz.vcf" in str(exc) and "CSQ field" in str(exc)
        return
    for _, consequence in pairs:
        assert consequence.gnomad_af is None or 0 <= consequence.gnomad_af <= 1


@settings(max_examples=150, deadline=None)
@given(value=_junk)
def test_ann_parser_raises_only_its_field_error(value):
    try:
        consequence = transcript_consequence(parse_ann_entry(value))
    except AnnotationFieldError as exc:
        assert exc.field_name in ("Annotation_Impact", "AA.pos / AA.length")
        return
    assert consequence.impact in (None, "HIGH", "MODERATE", "LOW", "MODIFIER")


def test_genotype_allele_beyond_the_alts_is_refused(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="G1"), ("0/999",))])
    with pytest.raises(InputError, match=rf"case.vcf:line {line_of(path, 10)} \(chr1:10\): sample 'P' has genotype "
                                         r"allele 999 but the record has 1 ALT"):
        read_annotated_vcf(path)


def test_annotation_that_is_not_utf8_is_refused_not_read_as_another_gene(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="ABCA4"))])
    latin = tmp_path / "latin.vcf"
    latin.write_bytes(path.read_bytes().replace(b"ABCA4", b"AB\xe9CA4"))
    with pytest.raises(InputError, match=r"latin.vcf:line \d+ \(chr1:10\): the CSQ annotation is not UTF-8 text"):
        read_annotated_vcf(latin)


def test_crlf_reads_like_lf(tmp_path):
    entry = csq(Allele="G", Consequence="missense_variant", IMPACT="MODERATE", SYMBOL="G1", REVEL="0.5")
    plain = write(tmp_path, [row("chr1", 10, "A", "G", f"CSQ={entry}", ("0/1:9:50",), fmt="GT:DP:GQ")])
    crlf = tmp_path / "crlf.vcf"
    crlf.write_bytes(plain.read_bytes().replace(b"\n", b"\r\n"))
    expected = [v.model_dump(exclude={"source"}) for v in read_annotated_vcf(plain).variants]
    assert [v.model_dump(exclude={"source"}) for v in read_annotated_vcf(crlf).variants] == expected


def test_bcf_with_a_non_utf8_sample_name_is_an_input_error(tmp_path):
    plain = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G"))], samples=("S",))
    latin = tmp_path / "latin.vcf"
    latin.write_bytes(plain.read_bytes().replace(b"FORMAT\tS\n", b"FORMAT\tS\xe9\n"))
    bcf = _rewrite(latin, tmp_path / "latin.bcf", "wb")
    with pytest.raises(InputError, match="latin.bcf: a sample name in the header is not UTF-8 text"):
        read_annotated_vcf(bcf)


def test_folder_given_for_the_vcf(tmp_path):
    with pytest.raises(InputError, match="exome.vcf: is a folder, not a file"):
        read_annotated_vcf((tmp_path / "exome.vcf").mkdir() or tmp_path / "exome.vcf")


def test_a_chrom_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G"))])
    path.write_bytes(path.read_bytes() + b"\x80\n")
    with pytest.raises(InputError, match=r"case.vcf:line \d+: the CHROM field is not UTF-8 text"):
        read_annotated_vcf(path)


def test_a_malformed_record_on_a_contig_the_header_does_not_declare_is_refused(tmp_path):
    """htslib adds an undeclared contig on the fly and cyvcf2 then returned the half-parsed record (reading it
    crashed the process); every contig of the file is declared before reading."""
    path = write(tmp_path, [row("chrUn_KI270302v1", 10, "A", "G", "CSQ=" + csq(Allele="G"), ("0/",))],
                 contigs={"chr1": 248956422})
    with pytest.raises(InputError, match="cannot parse VCF record"):
        read_annotated_vcf(path)


def test_a_file_without_contig_lines_reads_normally(tmp_path):
    path = write(tmp_path, [row("chr1", 10, "A", "G", "CSQ=" + csq(Allele="G", SYMBOL="G1")),
                            row("chrUn_KI270302v1", 20, "A", "C", "CSQ=" + csq(Allele="C", SYMBOL="G2"))],
                 contigs={})
    assert [(v.chrom, v.annotations[0].gene) for v in read_annotated_vcf(path).variants] == [
        ("chr1", "G1"), ("chrUn_KI270302v1", "G2")]


def test_a_chrom_that_is_no_contig_name_is_refused(tmp_path):
    path = write(tmp_path, [row("chr1,2", 10, "A", "G", "CSQ=" + csq(Allele="G"))], contigs={})
    with pytest.raises(InputError, match=r"case.vcf:line \d+: CHROM 'chr1,2' is not a contig name"):
        read_annotated_vcf(path)


SV_HEADERS = (CSQ_HEADER, '##INFO=<ID=END,Number=1,Type=Integer,Description="End position">',
              '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
              '##INFO=<ID=CN,Number=1,Type=Integer,Description="Copy number">',
              '##ALT=<ID=DEL,Description="Deletion">', '##ALT=<ID=DUP,Description="Duplication">')


def test_a_copy_number_record_consistent_with_its_info_is_read(tmp_path):
    entry = csq(Allele="duplication", Consequence="transcript_amplification", IMPACT="HIGH", SYMBOL="LMNB1",
                CANONICAL="YES")
    path = write(tmp_path, [row("chr5", 126700000, "N", "<DUP>", f"END=126900000;SVTYPE=DUP;CN=3;CSQ={entry}")],
                 info_headers=SV_HEADERS)
    (variant,) = read_annotated_vcf(path).variants
    assert (variant.alt, variant.annotations[0].gene, variant.annotations[0].consequences) == (
        "<DUP>", "LMNB1", ["transcript_amplification"])


@pytest.mark.parametrize(("alt", "info", "message"), [
    ("<DUP>", "END=126000000;SVTYPE=DUP", "INFO END 126000000 is before POS 126700000"),
    ("<DUP>", "END=126900000;SVTYPE=DEL", "INFO SVTYPE=DEL but the ALT <DUP> is a copy-number gain"),
    ("<DEL>", "END=126900000;SVTYPE=DUP", "INFO SVTYPE=DUP but the ALT <DEL> is a copy-number loss"),
    ("<DUP>", "END=126900000;SVTYPE=DUP;CN=1", "INFO CN=1 contradicts the ALT <DUP> \\(a copy-number gain\\)"),
    ("<DEL>", "END=126900000;CN=4", "INFO CN=4 contradicts the ALT <DEL> \\(a copy-number loss\\)"),
])
def test_a_copy_number_record_contradicting_its_info_names_file_and_line(tmp_path, alt, info, message):
    entry = csq(Allele="duplication", Consequence="transcript_amplification", SYMBOL="LMNB1")
    path = write(tmp_path, [row("chr5", 126700000, "N", alt, f"{info};CSQ={entry}")], info_headers=SV_HEADERS)
    with pytest.raises(InputError, match=rf"case.vcf:line {line_of(path, 126700000)} \(chr5:126700000\): {message}"):
        read_annotated_vcf(path)
