"""MAF, copy-number, fusion, SV and clinical-biomarker readers: content and bad input."""

from pathlib import Path

import pytest
from conftest import shared_path

from tailormed.errors import GenomeBuildError, InputError
from tailormed.io.maf import read_maf
from tailormed.io.tumour_inputs import (
    ALL_SAMPLES,
    read_clinical,
    read_copy_number,
    read_fusions,
    read_structural_variants,
    read_tumour_types,
)

MAF_HEADER = ("NCBI_Build\tHugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tChromosome\t"
              "Start_Position\tReference_Allele\tTumor_Seq_Allele2\tt_depth\tt_alt_count\tExon_Number\n")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_maf_rows_become_variants(tmp_path: Path) -> None:
    maf = write(tmp_path, "t.maf", MAF_HEADER +
                "GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\tchr7\t140753336\tA\tT\t200\t80\t15/18\n"
                "GRCh38\tEGFR\tIn_Frame_Del\tS1\tp.E746_A750del\t7\t55174772\tGGAATTAAGAGAAGCA\tG\t100\t30\t\n"
                "GRCh38\tTP53\tSilent\tS2\tp.P72=\t17\t7676154\tG\tC\t\t\t\n")
    content = read_maf(maf)
    assert set(content.by_sample) == {"S1", "S2"}
    braf, egfr = content.by_sample["S1"]
    assert (braf.gene, braf.protein_change, braf.consequence, braf.chrom, braf.exon) == ("BRAF", "V600E", "missense",
                                                                                         "7", 15)
    assert braf.vaf == pytest.approx(0.4) and braf.source == "t.maf:2"
    assert egfr.consequence == "inframe_deletion" and egfr.protein_change == "E746_A750del"
    assert read_maf(maf, sample="S2").by_sample["S2"][0].consequence == "synonymous"


def test_maf_chromosomes_are_spelled_as_the_vcf_reader_and_the_knowledge_spell_them(tmp_path: Path) -> None:
    # 'chrM' used to become 'M' here while the somatic VCF reader and the hotspot knowledge say 'MT'.
    maf = write(tmp_path, "t.maf", MAF_HEADER +
                "GRCh38\tMT-ND5\tMissense_Mutation\tS1\tp.A171V\tchrM\t12850\tC\tT\t100\t40\t\n"
                "GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\tCHR7\t140753336\tA\tT\t200\t80\t15/18\n"
                "GRCh38\tAR\tMissense_Mutation\tS1\tp.T878A\tchrx\t67711476\tA\tG\t100\t50\t\n")
    assert [v.chrom for v in read_maf(maf).by_sample["S1"]] == ["MT", "7", "X"]


@pytest.mark.parametrize(("body", "message"), [
    ("GRCh37\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t\t\t\n", "GRCh37"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tV600E!\t7\t1\tA\tT\t\t\t\n", "malformed protein change"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\t\t7\t1\tA\tT\t\t\t\n", "without a protein change"),
    ("GRCh38\tBRAF\tWeird_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t\t\t\n", "unknown Variant_Classification"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t10\t20\t\n", "exceeds depth"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\tone\tA\tT\t\t\t\n", "Start_Position must be a whole-number"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1.5\tA\tT\t\t\t\n", "1-248956422 .*got '1.5'"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t0\tA\tT\t\t\t\n", "1-248956422 .*got '0'"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\tinf\tA\tT\t\t\t\n", "Start_Position .*got 'inf'"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\tnan\t\t\n", "t_depth must be a whole number of reads"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t10.5\t\t\n", "t_depth .*got '10.5'"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t1e400\t\t\n", "t_depth .*got '1e400'"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t10\t-1\t\n", "t_alt_count .*got '-1'"),
    ("GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t0\t5\t\n", "t_alt_count 5 exceeds depth 0"),
])
def test_bad_maf_rows_name_the_line(tmp_path: Path, body: str, message: str) -> None:
    maf = write(tmp_path, "bad.maf", MAF_HEADER + body)
    with pytest.raises(InputError, match=message) as error:
        read_maf(maf)
    assert "bad.maf:line 2" in str(error.value)
    assert isinstance(error.value, GenomeBuildError) == (message == "GRCh37")


def test_maf_counts_written_as_whole_floats_or_missing_are_read(tmp_path: Path) -> None:
    maf = write(tmp_path, "ok.maf", MAF_HEADER + "GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t140753336.0\tA\tT"
                "\t100.0\t40.0\t\nGRCh38\tKRAS\tMissense_Mutation\tS1\tp.G12C\t12\tNA\tC\tA\tNA\t.\t\n")
    braf, kras = read_maf(maf).by_sample["S1"]
    assert (braf.pos, braf.depth, braf.vaf) == (140753336, 100, pytest.approx(0.4))
    assert (kras.pos, kras.depth, kras.vaf) == (None, None, None)


def test_maf_missing_columns_and_mixed_builds(tmp_path: Path) -> None:
    no_gene = write(tmp_path, "cols.maf", "Variant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n")
    with pytest.raises(InputError, match="missing required column.*Hugo_Symbol"):
        read_maf(no_gene)
    mixed = write(tmp_path, "mixed.maf", MAF_HEADER +
                  "GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT\t\t\t\n"
                  "hg19\tKRAS\tMissense_Mutation\tS1\tp.G12C\t12\t1\tC\tA\t\t\t\n")
    with pytest.raises(GenomeBuildError, match="mixed.maf:line 3"):
        read_maf(mixed)
    with pytest.raises(InputError, match="no rows for Tumor_Sample_Barcode 'S9'"):
        read_maf(write(tmp_path, "one.maf", MAF_HEADER + "GRCh38\tBRAF\tMissense_Mutation\tS1\tp.V600E\t7\t1\tA\tT"
                       "\t\t\t\n"), sample="S9")


def test_copy_number_layouts(tmp_path: Path) -> None:
    matrix = read_copy_number(write(tmp_path, "m.tsv", "Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nERBB2\t2064\t2\t0\n"
                                                       "CDKN2A\t1029\t-2\t-1\n"))
    assert [(c.gene, c.call) for c in matrix["S1"]] == [("ERBB2", "amplification"), ("CDKN2A", "deep_deletion")]
    assert [(c.gene, c.call) for c in matrix["S2"]] == [("CDKN2A", "loss")]
    gene_level = read_copy_number(write(tmp_path, "g.tsv", "gene\tcopy_number\tlog2\nMET\t9\t\nPTEN\t0\t\n"
                                                           "MYC\t\t1.9\nKRAS\t3\t\n"))
    assert [(c.gene, c.call) for c in gene_level[ALL_SAMPLES]] == [("MET", "amplification"),
                                                                   ("PTEN", "deep_deletion"), ("MYC", "amplification")]
    with pytest.raises(InputError, match="g2.tsv:line 2.*must be -2..2|g2.tsv:line 2"):
        read_copy_number(write(tmp_path, "g2.tsv", "Hugo_Symbol\tS1\nERBB2\t5\n"))
    with pytest.raises(InputError, match="unknown copy-number call"):
        read_copy_number(write(tmp_path, "g3.tsv", "gene\tcall\nERBB2\tlots\n"))


def test_fusions_and_structural_variants(tmp_path: Path) -> None:
    fusions = read_fusions(write(tmp_path, "f.tsv", "Tumor_Sample_Barcode\tFusion\nS1\tEML4::ALK\nS1\tALK-EML4\n"
                                                    "S2\tEGFR-intragenic\n"))
    assert [(f.gene_a, f.gene_b, f.kind) for f in fusions["S1"]] == [("EML4", "ALK", "fusion"),
                                                                     ("ALK", "EML4", "fusion")]
    assert fusions["S2"][0].kind == "intragenic"
    with pytest.raises(InputError, match="cannot read fusion"):
        read_fusions(write(tmp_path, "f2.tsv", "Fusion\nnot a fusion\n"))
    svs = read_structural_variants(write(tmp_path, "sv.tsv", "GeneA\tGeneB\tSv_Type\nALK\tEML4\tFUSION\n"
                                                             "EGFR\tEGFR\tDELETION\n"))
    assert [(f.kind, f.gene_b) for f in svs[ALL_SAMPLES]] == [("fusion", "EML4"), ("intragenic", None)]


def test_clinical_biomarkers(tmp_path: Path) -> None:
    values = read_clinical(write(tmp_path, "c.yaml", "msi_status: MSI-H\npdl1_tps: 55\nher2_ihc: '2+'\ner: positive\n"))
    assert values.msi_status == "MSI-H" and values.pdl1 == {"TPS": 55} and values.her2_ihc == "2+"
    with pytest.raises(InputError, match="unknown clinical biomarker"):
        read_clinical(write(tmp_path, "c2.yaml", "msi: high\n"))
    with pytest.raises(InputError, match="msi_status"):
        read_clinical(write(tmp_path, "c3.tsv", "key\tvalue\nmsi_status\tvery high\n"))


@pytest.mark.parametrize(("text", "message"), [
    ("pdl1_tps: .nan\n", r"pdl1_tps: must be a number 0-100 \(a percentage; CPS is capped at 100\), got nan"),
    ("pdl1_tps: 150\n", "pdl1_tps: must be a number 0-100 .*got 150"),
    ("pdl1_cps: 100.5\n", "pdl1_cps: must be a number 0-100"),
    ("pdl1_tc: -1\n", "pdl1_tc: must be a number 0-100"),
    ("pdl1_tps: true\n", "pdl1_tps: .*got True"),
    ("pdl1_tps: 1e308\n", "pdl1_tps: .*got '1e308'"),  # PyYAML reads 1e308 as a string: read as a number
    ("tmb: -3\n", r"tmb: must be a number 0-1000 mutations/Mb, got -3"),
    ("tmb: .nan\n", "tmb: must be a number 0-1000"),
    ("tmb: .inf\n", "tmb: must be a number 0-1000"),
    ("tmb: 1.0e+308\n", "tmb: must be a number 0-1000"),
    ("her2_ihc: 4+\n", r"her2_ihc: Input should be '0', '0-ultralow', '1\+', '2\+' or '3\+' \(got '4\+'\)"),
    ("{}\n", "no biomarker values"),
    ("5: 1\nfoo: 2\n", "unknown clinical biomarker\\(s\\) 5, foo"),
    ("a: &a [*a]\n", "refers to itself"),
    ("msi_status: [bold]MSI-H[/bold]\n", "line 1 column 19: not valid YAML"),
])
def test_clinical_values_outside_their_range_name_file_key_and_range(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "clinical.yaml", text)
    with pytest.raises(InputError, match=message) as error:
        read_clinical(path)
    assert str(error.value).startswith(str(path))


def test_clinical_edges_and_tsv(tmp_path: Path) -> None:
    edges = read_clinical(write(tmp_path, "c.yaml", "pdl1_tps: 0\npdl1_cps: 100\ntmb: 1000\n"))
    assert edges.pdl1 == {"TPS": 0, "CPS": 100} and edges.tmb == 1000
    assert read_clinical(write(tmp_path, "c.tsv", "key\tvalue\npdl1_tps\t50\ntmb\t12.5\n")).tmb == 12.5
    with pytest.raises(InputError, match=r"c2.tsv:line 3: biomarker 'tmb' is given twice \(first on line 2\)"):
        read_clinical(write(tmp_path, "c2.tsv", "key\tvalue\ntmb\t5\ntmb\t10\n"))
    with pytest.raises(InputError, match="c3.tsv: no biomarker values"):
        read_clinical(write(tmp_path, "c3.tsv", "key\tvalue\n"))
    with pytest.raises(InputError, match="c4.tsv: pdl1_tps: .*got 'nan'"):
        read_clinical(write(tmp_path, "c4.tsv", "key\tvalue\npdl1_tps\tnan\n"))
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(InputError, match="folder.yaml: is a folder"):
        read_clinical(tmp_path / "folder.yaml")


def test_oncokb_annotator_example_inputs_read() -> None:
    folder = shared_path("onco/example-inputs")
    maf = read_maf(folder / "example_maf_grch38.txt")
    assert sum(len(v) for v in maf.by_sample.values()) == maf.rows
    assert read_fusions(folder / "example_fusions.txt") and read_structural_variants(folder / "example_sv.txt")
    cna = read_copy_number(folder / "example_cna.txt")
    assert any(c.gene == "CDK4" and c.call == "deep_deletion" for c in cna["TCGA-05-4417-01"])
    with pytest.raises(GenomeBuildError):
        read_maf(folder / "example_maf.txt")


@pytest.mark.parametrize(("text", "message"), [
    ("gene\tcopy_number\nMET\tinf\n", "line 2: copy_number must be a finite number, got 'inf'"),
    ("gene\tcopy_number\nMET\t1e400\n", "copy_number must be a finite number, got '1e400'"),
    ("gene\tlog2\nMET\t-inf\n", "log2 must be a finite number"),
    ("gene\tcopy_number\nMET\tnan\n", "copy_number must be a finite number, got 'nan'"),
])
def test_copy_number_values_must_be_finite(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_copy_number(write(tmp_path, "cna.tsv", text))


def test_header_only_tables_are_read_as_none_found_with_a_warning(tmp_path: Path) -> None:
    warnings: list = []
    assert read_copy_number(write(tmp_path, "cna.tsv", "gene\tcopy_number\n"), warnings=warnings) == {}
    assert read_fusions(write(tmp_path, "fusions.tsv", "Fusion\n"), warnings=warnings) == {}
    assert read_structural_variants(write(tmp_path, "sv.tsv", "GeneA\tGeneB\tSv_Type\n"), warnings=warnings) == {}
    assert [w.message.split(":")[0] for w in warnings] == [
        "cna.tsv has a header but no rows", "fusions.tsv has a header but no rows", "sv.tsv has a header but no rows"]
    quiet: list = []
    read_copy_number(write(tmp_path, "zero.tsv", "Hugo_Symbol\tS1\nMET\t0\n"), warnings=quiet)
    assert quiet == []  # a matrix row of zeros is data, not an empty file


@pytest.mark.parametrize(("text", "message"), [
    ("SAMPLE_ID\tONCOTREE_CODE\n", "no samples: the table has a header but no rows"),
    ("SAMPLE_ID\tONCOTREE_CODE\nS1\tLUAD\nS1\tBRCA\n", r"line 3: sample 'S1' is listed twice \(first on line 2\)"),
    ("SAMPLE_ID\tONCOTREE_CODE\nS1\t\n", "line 2: empty SAMPLE_ID or ONCOTREE_CODE"),
])
def test_tumour_type_tables_list_each_sample_once_with_a_code(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_tumour_types(write(tmp_path, "types.tsv", text))
