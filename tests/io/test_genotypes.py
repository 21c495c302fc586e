"""Target genotype readers: hand-written .bed/.bim/.fam, pgenlib-written .pgen, VCF; their errors; prefix rules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pgenlib
import pytest
from conftest import shared_path

from tailormed.errors import InputError
from tailormed.io import genotypes
from tailormed.io.genotypes import header_genome_build, open_target

# ALT dosages (variants x samples), -9 missing; four samples
GENOTYPES = np.array([[0, 1, 2, -9],
                      [2, 2, 0, 1],
                      [1, 0, -9, 2]], dtype=np.int8)
VARIANTS = [("22", 100, "rs1", "A", "G"), ("22", 200, "rs2", "C", "T"), ("23", 300, "rs3", "G", "GA")]
FAM = "F1 s0 0 0 1 -9\nF1 s1 0 0 2 -9\nF2 s2 s0 s1 0 -9\nF3 s3 0 0 2 -9\n"


def bed_bytes(genotypes: np.ndarray) -> bytes:
    """PLINK 1 variant-major .bed: 2 bits per sample, low bits first; 00 hom A1, 01 missing, 10 het, 11 hom A2."""
    code = {2: 0b00, -9: 0b01, 1: 0b10, 0: 0b11}
    out = bytearray(b"\x6c\x1b\x01")
    for row in genotypes:
        for start in range(0, len(row), 4):
            byte = 0
            for k, g in enumerate(row[start:start + 4]):
                byte |= code[int(g)] << (2 * k)
            out.append(byte)
    return bytes(out)


def write_bed(tmp_path: Path, genotypes: np.ndarray = GENOTYPES, fam: str = FAM, name: str = "t") -> Path:
    prefix = tmp_path / name
    prefix.with_suffix(".bed").write_bytes(bed_bytes(genotypes))
    # .bim: chrom id cM pos A1(ALT) A2(REF)
    bim = "".join(f"{c}\t{i}\t0\t{p}\t{alt}\t{ref}\n" for c, p, i, ref, alt in VARIANTS)
    prefix.with_suffix(".bim").write_text(bim)
    prefix.with_suffix(".fam").write_text(fam)
    return prefix


def write_pgen(tmp_path: Path, genotypes: np.ndarray = GENOTYPES, name: str = "p",
               psam: str = "#FID\tIID\tPAT\tMAT\tSEX\nF1\ts0\t0\t0\t1\nF1\ts1\t0\t0\t2\nF2\ts2\ts0\ts1\tNA\n"
                           "F3\ts3\t0\t0\t2\n",
               variants: list[tuple[str, int, str, str, str]] = VARIANTS) -> Path:
    prefix = tmp_path / name
    with pgenlib.PgenWriter(bytes(str(prefix) + ".pgen", "utf-8"), genotypes.shape[1], variant_ct=len(genotypes),
                            nonref_flags=False) as writer:
        for row in genotypes:
            writer.append_biallelic(np.ascontiguousarray(row, dtype=np.int8))
    Path(str(prefix) + ".pvar").write_text(
        "##contig=<ID=22,length=51304566>\n#CHROM\tPOS\tID\tREF\tALT\n"
        + "".join(f"{c}\t{p}\t{i}\t{ref}\t{alt}\n" for c, p, i, ref, alt in variants))
    Path(str(prefix) + ".psam").write_text(psam)
    return prefix


VCF_TEXT = """##fileformat=VCFv4.2
##contig=<ID=chr22,length=50818468>
##reference=GRCh38
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc
chr22\t100\trs1\tA\tG\t.\t.\t.\tGT\t0/0\t0|1\t1/1
chr22\t200\trs2\tC\tT,G\t.\t.\t.\tGT\t1/2\t2/2\t./1
chrX\t300\trs3\tG\tA\t.\t.\t.\tGT\t1\t0\t0/1
"""


def test_bed_reader_maps_a1_to_alt_and_decodes_every_code(tmp_path):
    prefix = write_bed(tmp_path)
    with open_target(prefix) as target:
        tv = target.variants
        assert target.format == "bed" and tv.format == "bed"
        assert target.samples == ["s0", "s1", "s2", "s3"] and tv.samples == target.samples
        assert list(tv.chrom) == ["22", "22", "X"] and list(tv.pos) == [100, 200, 300]
        assert list(tv.ref) == ["A", "C", "G"] and list(tv.alt) == ["G", "T", "GA"]
        assert not tv.multiallelic.any() and tv.genome_build is None
        assert list(target.sex) == [1, 2, 0, 2] and list(target.founders) == [True, True, False, True]
        dosages = target.dosages(np.arange(3))
        expected = GENOTYPES.astype(float)
        expected[expected == -9] = np.nan
        np.testing.assert_array_equal(dosages, expected)
        # any order, repeats
        np.testing.assert_array_equal(target.dosages([2, 0, 2]), expected[[2, 0, 2]])
        np.testing.assert_array_equal(target.ref_dosages([1]), 2 - expected[[1]])


def test_bed_and_pgen_and_vcf_agree_and_pgen_reads_psam(tmp_path):
    bed = open_target(write_bed(tmp_path))
    pgen = open_target(str(write_pgen(tmp_path)) + ".pgen")
    assert pgen.format == "pgen" and pgen.samples == bed.samples
    assert list(pgen.sex) == [1, 2, 0, 2] and list(pgen.founders) == [True, True, False, True]
    assert pgen.variants.genome_build == "GRCh37"  # the .pvar ##contig line has the GRCh37 chr22 length
    np.testing.assert_array_equal(pgen.dosages(np.arange(3)), bed.dosages(np.arange(3)))
    values, rows, cols = pgen.dosages_filled(np.arange(3))
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 3), (2, 2)]
    assert values[0, 3] == 0 and values[2, 3] == 2


def test_vcf_reader_splits_multiallelic_and_doubles_haploid_calls(tmp_path):
    path = tmp_path / "t.vcf"
    path.write_text(VCF_TEXT)
    with open_target(path) as target:
        tv = target.variants
        assert target.format == "vcf" and target.samples == ["a", "b", "c"] and not target.has_sex
        assert list(tv.chrom) == ["22", "22", "22", "X"]
        assert list(tv.alt) == ["G", "T", "G", "A"] and list(tv.multiallelic) == [False, True, True, False]
        assert tv.genome_build == "GRCh38"
        d = target.dosages(np.arange(4))
        np.testing.assert_array_equal(d[0], [0, 1, 2])
        np.testing.assert_array_equal(d[1], [1, 0, np.nan])  # T copies; './1' is missing
        np.testing.assert_array_equal(d[2], [1, 2, np.nan])  # G copies
        np.testing.assert_array_equal(d[3], [2, 0, 1])  # haploid '1' stored as homozygous, like plink2
        np.testing.assert_array_equal(target.ref_dosages([1, 2]), [[0, 0, np.nan], [0, 0, np.nan]])
        # backwards after forwards reopens the file
        np.testing.assert_array_equal(target.dosages([3, 0]), d[[3, 0]])


def test_vcf_build_from_grch37_contig_length(tmp_path):
    path = tmp_path / "t37.vcf"
    path.write_text(VCF_TEXT.replace("chr22,length=50818468", "22,length=51304566").replace("##reference=GRCh38\n", ""))
    assert open_target(path).variants.genome_build == "GRCh37"
    assert header_genome_build(["##contig=<ID=1,length=1000>"], path) is None


def test_vcf_without_records_non_utf8_names_and_folders_are_input_errors(tmp_path):
    header_only = tmp_path / "header.vcf"
    header_only.write_text("".join(line + "\n" for line in VCF_TEXT.splitlines() if line.startswith("#")))
    with pytest.raises(InputError, match="header.vcf: the VCF has a header but no variant records"):
        open_target(header_only)
    latin1 = tmp_path / "latin1.vcf"
    latin1.write_bytes(VCF_TEXT.encode().replace(b"\ta\t", b"\t\xe9\t"))
    with pytest.raises(InputError, match="latin1.vcf: not UTF-8 text"):
        open_target(latin1)
    (tmp_path / "folder.vcf").mkdir()
    with pytest.raises(InputError, match="folder.vcf: is a folder, not a VCF"):
        open_target(tmp_path / "folder.vcf")
    with pytest.raises(InputError, match="is a folder, not genotypes"):
        open_target(tmp_path)


def test_prefix_prefers_pgen_then_bed_then_vcf(tmp_path):
    write_bed(tmp_path, name="x")
    assert open_target(tmp_path / "x").format == "bed"
    write_pgen(tmp_path, name="x")
    assert open_target(tmp_path / "x").format == "pgen"
    assert open_target(tmp_path / "x.bim").format == "bed"
    (tmp_path / "v.vcf").write_text(VCF_TEXT)
    assert open_target(tmp_path / "v").format == "vcf"
    with pytest.raises(InputError, match="no target genotype file"):
        open_target(tmp_path / "nothing")


@pytest.mark.parametrize(("remove", "message"), [(".bim", "missing PLINK 1 file t.bim"),
                                                 (".fam", "missing PLINK 1 file t.fam")])
def test_bed_missing_companions(tmp_path, remove, message):
    prefix = write_bed(tmp_path)
    prefix.with_suffix(remove).unlink()
    with pytest.raises(InputError, match=message):
        open_target(prefix.with_suffix(".bed"))


@pytest.mark.parametrize(("remove", "message"), [(".pvar", "missing PLINK 2 file p.pvar"),
                                                 (".psam", "missing PLINK 2 file p.psam")])
def test_pgen_missing_companions(tmp_path, remove, message):
    prefix = write_pgen(tmp_path)
    Path(str(prefix) + remove).unlink()
    with pytest.raises(InputError, match=message):
        open_target(str(prefix) + ".pgen")


def test_truncated_bed_and_sample_count_mismatch(tmp_path):
    prefix = write_bed(tmp_path)
    bed = prefix.with_suffix(".bed")
    bed.write_bytes(bed.read_bytes()[:-1])
    with pytest.raises(InputError, match=r"truncated: 5 bytes, but 3 variants x 4 samples need 6") as caught:
        open_target(prefix)
    assert str(bed) in str(caught.value)
    write_bed(tmp_path, fam=FAM + "F4 s4 0 0 1 -9\nF5 s5 0 0 1 -9\n\n")  # 6 samples: 2 bytes per variant
    with pytest.raises(InputError, match="3 variants x 6 samples need 9"):
        open_target(prefix)
    bed.write_bytes(b"\x00\x00\x00" + bed_bytes(GENOTYPES)[3:])
    with pytest.raises(InputError, match="bad magic number"):
        open_target(prefix)


def test_pgen_sample_and_variant_count_mismatch(tmp_path):
    prefix = write_pgen(tmp_path, psam="#IID\tSEX\ns0\t1\ns1\t2\ns2\tNA\n")
    with pytest.raises(InputError, match="p.pgen holds 4 samples but p.psam lists 3"):
        open_target(prefix)
    prefix = write_pgen(tmp_path, name="q", variants=VARIANTS[:2])
    with pytest.raises(InputError, match="q.pgen holds 3 variants but q.pvar lists 2"):
        open_target(prefix)


def test_malformed_bim_pvar_fam_lines_name_the_line(tmp_path):
    prefix = write_bed(tmp_path)
    bim = prefix.with_suffix(".bim")
    lines = bim.read_text().splitlines()
    bim.write_text(lines[0] + "\n22\trs2\t0\t200\tT\n" + lines[2] + "\n")
    with pytest.raises(InputError, match="expected 6 columns") as caught:
        open_target(prefix)
    assert caught.value.location == "line 2" and caught.value.source == str(bim)
    bim.write_text(lines[0] + "\n22\trs2\t0\tabc\tT\tC\n" + lines[2] + "\n")
    with pytest.raises(InputError, match="position 'abc' is not an integer"):
        open_target(prefix)
    prefix.with_suffix(".bim").write_text("\n".join(lines) + "\n")
    prefix.with_suffix(".fam").write_text("F1 s0 0 0\n")
    with pytest.raises(InputError, match="expected 6 columns") as caught:
        open_target(prefix)
    assert caught.value.location == "line 1"

    pgen = write_pgen(tmp_path)
    pvar = Path(str(pgen) + ".pvar")
    pvar.write_text("#CHROM\tPOS\tID\tREF\tALT\n22\t100\trs1\tA\tG\n22\t200\trs2\tC\n22\t300\trs3\tG\tA\n")
    with pytest.raises(InputError, match="expected 5 columns, found 4") as caught:
        open_target(pgen)
    assert caught.value.location == "line 3"
    pvar.write_text("#CHROM\tPOS\tREF\tALT\n22\t100\tA\tG\n")
    with pytest.raises(InputError, match="lacks column"):
        open_target(pgen)


def test_pvar_without_header_uses_bim_order_and_plink_chrom_codes(tmp_path):
    prefix = write_pgen(tmp_path)
    Path(str(prefix) + ".pvar").write_text("22\trs1\t0\t100\tG\tA\n22\trs2\t0\t200\tT\tC\n23\trs3\t0\t300\tGA\tG\n")
    tv = open_target(prefix).variants
    assert list(tv.chrom) == ["22", "22", "X"] and list(tv.ref) == ["A", "C", "G"] and list(tv.alt) == ["G", "T", "GA"]


def test_multiallelic_pgen_rows_per_alt(tmp_path):
    prefix = tmp_path / "m"
    alleles = np.array([0, 1, 1, 2, 2, 2, -9, -9], dtype=np.int32)  # samples: 0/1, 1/2, 2/2, missing
    with pgenlib.PgenWriter(bytes(str(prefix) + ".pgen", "utf-8"), 4, variant_ct=2, nonref_flags=False,
                            allele_ct_limit=3) as writer:
        writer.append_alleles(alleles, allele_ct=3)
        writer.append_alleles(np.array([0, 0, 0, 1, 1, 1, 0, 0], dtype=np.int32), allele_ct=2)
    Path(str(prefix) + ".pvar").write_text("#CHROM\tPOS\tID\tREF\tALT\n1\t10\tm1\tA\tC,G\n1\t20\tm2\tT\tA\n")
    Path(str(prefix) + ".psam").write_text("#IID\nq0\nq1\nq2\nq3\n")
    target = open_target(prefix)
    tv = target.variants
    assert list(tv.alt) == ["C", "G", "A"] and list(tv.multiallelic) == [True, True, False]
    np.testing.assert_array_equal(target.dosages([0, 1, 2]), [[1, 1, 0, np.nan], [0, 1, 2, np.nan], [0, 1, 2, 0]])
    np.testing.assert_array_equal(target.ref_dosages([1]), [[1, 0, 0, np.nan]])


@pytest.mark.skipif(shutil.which("zstd") is None, reason="the zstd command is needed to write a .pvar.zst")
def test_pvar_zst(tmp_path):
    prefix = write_pgen(tmp_path)
    pvar = Path(str(prefix) + ".pvar")
    subprocess.run(["zstd", "-q", "--rm", str(pvar)], check=True)
    target = open_target(prefix)
    assert list(target.variants.alt) == ["G", "T", "GA"] and list(target.variants.chrom) == ["22", "22", "X"]


def test_example_target_three_formats_agree():
    prefix = shared_path("risk", "pgsc-examples", "target_genomes") / "cineca_synthetic_subset"
    readers = [open_target(str(prefix) + ext) for ext in (".pgen", ".bed", ".vcf.gz")]
    rows = np.arange(readers[0].variants.n_variants)
    reference = readers[0].dosages(rows)
    assert reference.shape == (829, 2504) and int(np.isnan(reference).sum()) == 96
    for reader in readers[1:]:
        np.testing.assert_array_equal(reader.dosages(rows), reference)
        assert list(reader.variants.alt) == list(readers[0].variants.alt)


@pytest.mark.parametrize(("raw", "expected"), [
    ("chr1", "1"), ("Chr1", "1"), ("23", "X"), ("chrx", "X"), ("x", "X"), ("24", "Y"), ("25", "XY"), ("26", "MT"),
    ("chrM", "MT"), ("m", "MT"), ("MT", "MT"),
])
def test_target_chromosome_names_are_spelled_as_the_scoring_reader_spells_them(raw, expected):
    # 'chrx'/'x' used to stay lower-case here while the scoring reader upper-cased them: a lower-case X never matched
    # and was scored as an autosome.
    assert genotypes.chrom_name(raw) == expected


# five biallelic records as (chrom, pos, id, ref, alt); the .pvar text adds an INFO column with a space in it
BULK_VARIANTS = [("chr1", 5, "a", "A", "G"), ("1", 7, "b", "C", "T"), ("23", 9, "c", "G", "A"),
                 ("MT", 11, "d", "T", "C"), ("chr22", 13, "e", "A", "AT")]


@pytest.mark.parametrize("block_bytes", [1 << 20, 30])  # one bulk block, or one per line or two
@pytest.mark.parametrize("layout", ["tabs", "crlf", "blank line", "spaces"])
def test_variant_tables_read_in_bulk_or_line_by_line_agree(tmp_path, monkeypatch, block_bytes, layout):
    monkeypatch.setattr(genotypes, "_BULK_BLOCK_BYTES", block_bytes)  # bulk reading splits the text in blocks
    genotypes_5x4 = np.zeros((5, 4), dtype=np.int8)
    pgen = write_pgen(tmp_path, genotypes_5x4, variants=BULK_VARIANTS)
    rows = [f"{c}\t{p}\t{i}\t{r}\t{a}\tNOTE=x y" for c, p, i, r, a in BULK_VARIANTS]
    bim_rows = [f"{c}\t{i}\t0\t{p}\t{a}\t{r}" for c, p, i, r, a in BULK_VARIANTS]
    if layout == "crlf":  # the bulk split refuses carriage returns; the line reader strips them
        rows, bim_rows = [r + "\r" for r in rows], [r + "\r" for r in bim_rows]
    if layout == "blank line":
        rows.insert(2, "")
        bim_rows.insert(2, "")
    if layout == "spaces":  # a .bim may be space-separated (the line reader splits on any whitespace)
        bim_rows = [r.replace("\t", " ") for r in bim_rows]
    Path(str(pgen) + ".pvar").write_text("##source=test\n#CHROM\tPOS\tID\tREF\tALT\tINFO\n" + "\n".join(rows) + "\n")
    bed = write_bed(tmp_path, genotypes_5x4)
    bed.with_suffix(".bim").write_text("\n".join(bim_rows) + "\n")
    for target in (open_target(pgen), open_target(bed)):
        tv = target.variants
        assert list(tv.chrom) == ["1", "1", "X", "MT", "22"] and tv.chrom.dtype.kind == "U"
        assert tv.pos.tolist() == [5, 7, 9, 11, 13] and tv.pos.dtype == np.int64
        assert list(tv.variant_id) == ["a", "b", "c", "d", "e"] and tv.variant_id.dtype == object
        assert list(tv.ref) == ["A", "C", "G", "T", "A"] and list(tv.alt) == ["G", "T", "A", "C", "AT"]
        assert not tv.multiallelic.any()
        np.testing.assert_array_equal(target.dosages(np.arange(5)), np.zeros((5, 4)))


def test_raw_dosages_mark_missing_calls_and_thread_readers_decode_alike(tmp_path):
    pgen = open_target(write_pgen(tmp_path))
    bed = open_target(write_bed(tmp_path))
    vcf_path = tmp_path / "t.vcf"
    vcf_path.write_text(VCF_TEXT)
    vcf = open_target(vcf_path)
    expected = GENOTYPES.astype(np.float64)  # -9 where missing
    for target in (pgen, bed):
        np.testing.assert_array_equal(target.dosages_raw(np.arange(3)), expected)  # one range read
        np.testing.assert_array_equal(target.dosages_raw([2, 0]), expected[[2, 0]])  # a list read
        twin = target.reader_for_thread()
        assert twin is not None and twin is not target and twin.variants is target.variants
        np.testing.assert_array_equal(twin.dosages_raw([1, 2]), expected[[1, 2]])
        twin.close()
        np.testing.assert_array_equal(target.dosages([0]), [[0, 1, 2, np.nan]])  # the original still reads
    np.testing.assert_array_equal(vcf.dosages_raw([1, 3]), [[1, 0, -9], [2, 0, 1]])
    assert vcf.reader_for_thread() is None


UNDECLARED_CONTIG = """##fileformat=VCFv4.2
##contig=<ID=chr12,length=133275309>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1
"""


@pytest.mark.parametrize(("record", "message"), [
    ("12\t-5\t.\tC\tA\t.\tPASS\t.\tGT\t0/1", "Could not parse the position '-5'"),
    ("12\t5\t.\tC\tA\t.\tPASS\t.\tGT\tx", "Couldn't read GT data"),
])
def test_records_htslib_half_parses_are_refused_not_a_crash(tmp_path, record, message):
    """On a contig the header does not declare, htslib hands over a record it failed to parse; reading its REF or
    genotypes killed the process with a segmentation fault. Run in a child process so a regression cannot take
    the test session down with it."""
    path = tmp_path / "t.vcf"
    path.write_text(UNDECLARED_CONTIG + record + "\n")
    for reader in ("from tailormed.io.genotypes import open_target as read",
                   "from tailormed.io.somatic_vcf import read_somatic_vcf as read"):
        child = subprocess.run([sys.executable, "-c", f"{reader}\nfrom tailormed.errors import InputError\n"
                                "import sys\ntry:\n    read(sys.argv[1])\nexcept InputError as e:\n    print(e)",
                                str(path)], capture_output=True, text=True, timeout=60)
        assert child.returncode == 0, child.stderr[-500:]
        assert f"{path}:record 1: htslib could not parse this record" in child.stdout and message in child.stdout


def test_bim_position_beyond_plink_range_names_the_line(tmp_path):
    write_bed(tmp_path)
    bim = tmp_path / "t.bim"
    bim.write_text(bim.read_text().replace("\t100\t", "\t99999999999999999999\t", 1))
    with pytest.raises(InputError, match=r"t.bim:line 1: position 99999999999999999999 is beyond 2147483646"):
        open_target(tmp_path / "t.bed")
