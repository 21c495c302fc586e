"""Somatic VCF reading: VEP annotations, tumour/normal columns, VAF from AD, hotspots found by coordinate."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.somatic_vcf import KnownHotspot, read_somatic_vcf
from tailormed.model.genome import variant_key
from tailormed.pipelines.onco import OncoContext

CSQ = "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|HGVSc|HGVSp|EXON|INTRON|CANONICAL"
HEADER = f"""##fileformat=VCFv4.2
##contig=<ID=chr7,length=159345973>
##contig=<ID=chr12,length=133275309>
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: {CSQ}">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOUR
"""
KRAS_CSQ = ("A|missense_variant|MODERATE|KRAS|ENSG00000133703|ENST00000311936|c.34G>T|ENSP00000308495.3:p.Gly12Cys|"
            "2/5||YES")


def write_vcf(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tumour.vcf"
    path.write_text(HEADER + body)
    return path


def test_annotated_and_unannotated_records(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path,
                    f"chr12\t25245351\t.\tC\tA\t.\tPASS\tCSQ={KRAS_CSQ}\tGT:AD:DP\t0/0:60,0:60\t0/1:70,30:100\n"
                    "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tGT:AD:DP\t0/0:50,0:50\t0/1:90,60:150\n"
                    "chr7\t140753400\t.\tG\tC\t.\tPASS\t.\tGT:AD:DP\t0/0:50,0:50\t0/1:80,20:100\n"
                    "chr7\t140753500\t.\tG\tC\t.\tLowQual\t.\tGT:AD:DP\t0/0:50,0:50\t0/1:80,20:100\n")
    hotspots = OncoContext.load().hotspots
    content = read_somatic_vcf(vcf, tumour_sample="TUMOUR", hotspots=hotspots)
    kras, braf = content.variants
    assert (kras.gene, kras.protein_change, kras.consequence, kras.exon) == ("KRAS", "G12C", "missense", 2)
    assert kras.vaf == pytest.approx(0.3) and kras.depth == 100
    assert (braf.gene, braf.protein_change) == ("BRAF", "V600E") and "known hotspot" in braf.source
    assert braf.vaf == pytest.approx(0.4)
    codes = {w.code: w.message for w in content.warnings}
    assert "1 record(s) without VEP/snpEff annotation" in codes["unannotated_records"]
    assert "1 record(s) failing FILTER" in codes["filtered_records"]


def test_tumour_column_must_be_named_when_there_are_two(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path, f"chr12\t25245351\t.\tC\tA\t.\tPASS\tCSQ={KRAS_CSQ}\tGT:AD:DP\t0/0:60,0:60\t"
                              "0/1:70,30:100\n")
    with pytest.raises(InputError, match="name the tumour"):
        read_somatic_vcf(vcf)
    with pytest.raises(InputError, match="'T2' is not in the VCF"):
        read_somatic_vcf(vcf, tumour_sample="T2")


def test_a_mitochondrial_hotspot_is_found_whatever_the_vcf_calls_the_mitochondrion(tmp_path: Path) -> None:
    # The knowledge spells the mitochondrion 'MT' (kb/onco.py HotspotSite); the reader used to strip 'chr' only, so
    # a 'chrM' record was looked up as 'M-…' and never found, and was reported on chromosome 'M'.
    hotspots = {variant_key("MT", 12850, "C", "T"): KnownHotspot("MT-ND5", "A171V", "missense")}
    for name in ("chrM", "MT", "chrMT", "M"):
        path = tmp_path / f"{name}.vcf"
        path.write_text(HEADER.replace("##contig=<ID=chr7,length=159345973>", f"##contig=<ID={name},length=16569>")
                        + f"{name}\t12850\t.\tC\tT\t.\tPASS\t.\tGT:AD:DP\t0/0:50,0:50\t0/1:60,40:100\n")
        (variant,) = read_somatic_vcf(path, tumour_sample="TUMOUR", hotspots=hotspots).variants
        assert (variant.gene, variant.protein_change, variant.chrom, variant.pos) == ("MT-ND5", "A171V", "MT", 12850)
        assert variant.vaf == pytest.approx(0.4) and variant.depth == 100


@pytest.mark.parametrize(("fmt", "values", "message"), [
    ("GT:AD:DP", "0/1:70,-30:100", "FORMAT/AD of TUMOUR is -30: read counts must be whole numbers, 0 or more"),
    ("GT:AD:DP", "0/1:70,30:-100", "FORMAT/DP of TUMOUR is -100"),
    ("GT:AF:DP", "0/1:2.5:100", "FORMAT/AF of TUMOUR is 2.5: an allele fraction must be 0-1"),
    ("GT:AF:DP", "0/1:-0.5:100", "FORMAT/AF of TUMOUR is -0.5"),
    ("GT:AF:DP", "0/1:inf:100", "FORMAT/AF of TUMOUR is inf"),
])
def test_impossible_read_counts_and_fractions_name_the_record(tmp_path: Path, fmt: str, values: str,
                                                              message: str) -> None:
    header = HEADER.replace("\tNORMAL\tTUMOUR", "\tTUMOUR").replace(
        "##FORMAT=<ID=DP", '##FORMAT=<ID=AF,Number=A,Type=Float,Description="AF">\n##FORMAT=<ID=DP')
    vcf = tmp_path / "tumour.vcf"
    vcf.write_text(header + f"chr12\t25245351\t.\tC\tA\t.\tPASS\tCSQ={KRAS_CSQ}\t{fmt}\t{values}\n")
    with pytest.raises(InputError, match=message) as error:
        read_somatic_vcf(vcf)
    assert str(error.value).startswith(f"{vcf}:record chr12:25245351: ")


def test_missing_alt_depth_gives_no_vaf_and_a_folder_is_refused(tmp_path: Path) -> None:
    header = HEADER.replace("\tNORMAL\tTUMOUR", "\tTUMOUR")
    vcf = tmp_path / "tumour.vcf"
    vcf.write_text(header + f"chr12\t25245351\t.\tC\tA\t.\tPASS\tCSQ={KRAS_CSQ}\tGT:AD:DP\t0/1:70,.:100\n")
    (kras,) = read_somatic_vcf(vcf).variants
    assert (kras.vaf, kras.depth) == (None, 100)
    with pytest.raises(InputError, match="is a folder, not a VCF"):
        read_somatic_vcf(tmp_path)


def test_non_utf8_sample_or_chromosome_is_an_input_error(tmp_path: Path) -> None:
    header = HEADER.replace("\tNORMAL\tTUMOUR", "\tTUMOUR")
    vcf = tmp_path / "latin1.vcf"
    vcf.write_bytes((header + f"chr12\t25245351\t.\tC\tA\t.\tPASS\tCSQ={KRAS_CSQ}\tGT\t0/1\n").encode()
                    .replace(b"\tTUMOUR", b"\tTUM\xe9UR"))
    with pytest.raises(InputError, match="latin1.vcf:line 8: the sample name in column 10 is not UTF-8 text"):
        read_somatic_vcf(vcf)
