"""The VCF reader refuses bad input with one clear error naming the file and place."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import reference_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.errors import GenomeBuildError, InputError
from tailormed.io.vcf import VcfFile, check_reference_agreement


def _bgzip(path: Path) -> Path:
    """bgzip via cyvcf2's htslib is not exposed; pysam is not a dependency: use plain gzip + BGZF check."""
    out = path.with_suffix(path.suffix + ".gz")
    with open(path, "rb") as src, gzip.open(out, "wb") as dst:
        dst.write(src.read())
    return out


def test_missing_file():
    with pytest.raises(InputError, match="file not found"):
        VcfFile("/nonexistent/x.vcf")


def test_truncated_gzip_is_refused(kb, write_vcf, tmp_path):
    plain = write_vcf(reference_records(kb, "CYP2C19") * 50)
    gz = _bgzip(plain)
    data = gz.read_bytes()
    truncated = tmp_path / "truncated.vcf.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as error:
        VcfFile(truncated)
    assert "truncated.vcf.gz" in str(error.value)


def test_header_only_vcf_is_refused(kb, write_vcf):
    path = write_vcf([])
    with VcfFile(path) as vcf, pytest.raises(InputError, match="no records") as error:
        vcf.read_genes([kb.genes["CYP2C19"]])
    assert str(path) in str(error.value)


def test_vcf_without_the_gene_region_reports_it_uncovered(kb, write_vcf):
    path = write_vcf(reference_records(kb, "CYP2C9"))
    with VcfFile(path) as vcf:
        arrays = vcf.read_genes([kb.genes["CYP2C19"], kb.genes["CYP2C9"]])
    assert arrays["CYP2C19"].records_in_window == 0 and set(arrays["CYP2C19"].position_status) == {"missing"}
    assert arrays["CYP2C9"].records_in_window > 0


def test_no_header_line(tmp_path):
    path = tmp_path / "bad.vcf"
    path.write_text("##fileformat=VCFv4.2\nchr10\t1\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(InputError, match="#CHROM"):
        VcfFile(path)


def test_not_a_vcf(tmp_path):
    path = tmp_path / "notes.vcf"
    path.write_text("hello\n")
    with pytest.raises(InputError, match="not a VCF") as error:
        VcfFile(path)
    assert "line 1" in str(error.value)


def test_missing_gt_field(tmp_path):
    path = tmp_path / "nogt.vcf"
    path.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr10>\n"
                    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
                    "chr10\t94781859\t.\tG\tA\t.\tPASS\t.\tDP\t10\n")
    with pytest.raises(InputError, match="GT"):
        VcfFile(path)


def test_sample_not_present(kb, write_vcf):
    path = write_vcf(reference_records(kb, "CYP2C19"))
    with pytest.raises(InputError, match="NOPE") as error:
        VcfFile(path, ["NOPE"])
    assert "S1" in str(error.value)


def test_grch37_contig_lengths_are_refused(kb, write_vcf):
    path = write_vcf(reference_records(kb, "CYP2C19"), contigs={"chr10": 135534747})
    with pytest.raises(GenomeBuildError, match="GRCh37"):
        VcfFile(path)


def test_grch37_detected_from_reference_bases(kb, write_vcf):
    # GRCh38 positions carrying the wrong reference bases, as a GRCh37 file read as GRCh38 would.
    swap = {"A": "C", "C": "G", "G": "T", "T": "A"}
    records = [(c, p, swap[r[0]] + r[1:], swap[swap[r[0]]], gt) for c, p, r, a, gt in reference_records(kb, "CYP2C19")]
    path = write_vcf(records, contigs={"chr10": 0})
    with VcfFile(path) as vcf:
        arrays = vcf.read_genes([kb.genes["CYP2C19"]])
        with pytest.raises(GenomeBuildError, match="REF disagrees"):
            check_reference_agreement(path, arrays.values())


def test_malformed_record_names_the_place(kb, write_vcf, tmp_path):
    path = write_vcf(reference_records(kb, "CYP2C19"))
    text = path.read_text().replace("\t0/0\n", "\tnot-a-genotype\n", 1)
    bad = tmp_path / "bad_gt.vcf"
    bad.write_text(text)
    with VcfFile(bad) as vcf, pytest.raises(InputError, match="cannot parse") as error:
        vcf.read_genes([kb.genes["CYP2C19"]])
    assert "bad_gt.vcf:record 1" in str(error.value)


def test_padded_multiallelic_and_split_records_are_understood(kb, write_vcf):
    ugt = kb.genes["UGT1A1"]
    ta = [v for v in ugt.variants if v.position == 233760233]
    assert ta, "UGT1A1 TA-repeat position expected in pgx-core"
    records = [r for r in reference_records(kb, "UGT1A1") if r[1] != 233760233]
    # one multi-allelic record with padded REF: TA6 (ref) / TA7 insertion, written as CAT -> C? no: C -> CAT
    records.append(("chr2", 233760233, "CAT", "CATAT,C", "0/1"))
    with VcfFile(write_vcf(sorted(records, key=lambda r: r[1]))) as vcf:
        arrays = vcf.read_genes([ugt])["UGT1A1"]
    index = [i for i, v in enumerate(ugt.variants) if v.position == 233760233]
    observed = {tuple(arrays.codes[0, i].tolist()) for i in index}
    assert any(code[1] > 0 for code in observed), "the TA7 allele must be recognised after suffix trimming"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(gts=st.lists(st.sampled_from(["0/0", "0/1", "1/1", "./.", "0|1", "1|0", ".", "1", "0/.", "1/2"]),
                    min_size=1, max_size=1))
def test_any_genotype_string_reads_or_fails_cleanly(kb, write_vcf, gts):
    records = [(c, p, r, a, gts[0]) for c, p, r, a, _ in reference_records(kb, "CYP2C19")]
    path = write_vcf(records)
    try:
        with VcfFile(path) as vcf:
            arrays = vcf.read_genes([kb.genes["CYP2C19"]])["CYP2C19"]
    except InputError:
        return
    assert arrays.codes.shape == (1, len(kb.genes["CYP2C19"].variants), 2)
    assert arrays.codes.min() >= -3


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_arbitrary_text_never_crashes_the_reader(tmp_path_factory, body):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.vcf"
    path.write_text("##fileformat=VCFv4.2\n" + body, encoding="utf-8")
    try:
        with VcfFile(path) as vcf:
            vcf.read_genes([])
    except InputError as exc:
        assert str(path) in str(exc)


def _chrom_line_replaced(path: Path, tmp_path: Path, old: bytes, new: bytes, name: str) -> Path:
    bad = tmp_path / name
    bad.write_bytes(path.read_bytes().replace(old, new, 1))
    return bad


def test_non_utf8_sample_name_names_the_column(kb, write_vcf, tmp_path):
    path = _chrom_line_replaced(write_vcf(reference_records(kb, "CYP2C19")), tmp_path, b"\tS1\n", b"\tS\xff1\n",
                                "latin.vcf")
    with pytest.raises(InputError, match=r"latin.vcf:line \d+: the sample name in column 10 is not UTF-8 text "
                                         r"\(byte 0xff\)"):
        VcfFile(path)


def test_sample_named_twice_is_named(kb, write_vcf):
    path = write_vcf(reference_records(kb, "CYP2C19", n_samples=3), samples=("A", "B", "A"))
    with pytest.raises(InputError, match=r"sample 'A' is named twice in the header \(columns 10 and 12\)"):
        VcfFile(path)


def test_trailing_tab_in_the_header_is_an_empty_sample_name(kb, write_vcf, tmp_path):
    path = _chrom_line_replaced(write_vcf(reference_records(kb, "CYP2C19")), tmp_path, b"\tS1\n", b"\tS1\t\n",
                                "tab.vcf")
    with pytest.raises(InputError, match="column 11 is empty"):
        VcfFile(path)


def test_a_folder_is_not_a_vcf(tmp_path):
    folder = tmp_path / "calls.vcf"
    folder.mkdir()
    with pytest.raises(InputError, match="calls.vcf: is a folder, not a file"):
        VcfFile(folder)


def test_an_unreadable_file_is_an_input_error(kb, write_vcf, monkeypatch):
    path = write_vcf(reference_records(kb, "CYP2C19"))
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError, match=r"test.vcf: cannot read the file \(Permission denied\)"):
        VcfFile(path)


def test_genotype_allele_beyond_the_alts_is_refused_not_read_as_the_last_alt(kb, write_vcf):
    records = reference_records(kb, "CYP2C19", n_samples=2)
    chrom, pos, ref, alt, _, _ = records[0]
    records[0] = (chrom, pos, ref, alt, "0/0", "0/2")
    with VcfFile(write_vcf(records, samples=("A", "B"))) as vcf, pytest.raises(
            InputError, match=rf"chr10:{pos}: sample 'B' has genotype allele 2 but the record has 1 ALT"):
        vcf.read_genes([kb.genes["CYP2C19"]])


def test_crlf_line_ends_read_like_lf(kb, write_vcf, tmp_path):
    records = reference_records(kb, "CYP2C19", {"rs4244285": ("A", "0/1")})
    lf = write_vcf(records)
    crlf = tmp_path / "crlf.vcf"
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))
    with VcfFile(lf) as a, VcfFile(crlf) as b:
        assert a.samples == b.samples == ["S1"]
        first = a.read_genes([kb.genes["CYP2C19"]])["CYP2C19"]
        second = b.read_genes([kb.genes["CYP2C19"]])["CYP2C19"]
    assert (first.codes == second.codes).all() and first.position_status == second.position_status


def test_lower_case_bases_read_like_upper_case(kb, write_vcf):
    records = reference_records(kb, "CYP2C19", {"rs4244285": ("A", "0/1")})
    upper = write_vcf(records, name="upper.vcf")
    lower = write_vcf([(c, p, r.lower(), a.lower(), *gts) for c, p, r, a, *gts in records], name="lower.vcf")
    with VcfFile(upper) as a, VcfFile(lower) as b:
        first = a.read_genes([kb.genes["CYP2C19"]])["CYP2C19"]
        second = b.read_genes([kb.genes["CYP2C19"]])["CYP2C19"]
        check_reference_agreement(lower, [second])
    assert (first.codes == second.codes).all() and not second.ref_mismatch


@pytest.mark.parametrize("declared, value", [("String", "abc"), ("Float", "1.5")])
def test_phase_set_not_declared_integer_is_refused_at_the_site(kb, write_vcf, declared, value):
    records = [(c, p, r, a, f"0|1:{value}") for c, p, r, a, _ in reference_records(kb, "CYP2C19")]
    path = write_vcf(records, fmt="GT:PS",
                     header_extra=f'##FORMAT=<ID=PS,Number=1,Type={declared},Description="Phase set">')
    text = path.read_text().replace('##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">\n', "")
    path.write_text(text)
    with VcfFile(path) as vcf, pytest.raises(InputError, match=r"test.vcf:chr10:\d+: FORMAT/PS .* Type=Integer"):
        vcf.read_genes([kb.genes["CYP2C19"]])


@pytest.mark.validation
@pytest.mark.parametrize("index", ["wrong", "garbage"])
def test_an_index_of_another_file_is_one_error_with_a_hint(kb, tmp_path, index):
    from conftest import shared_path

    source = shared_path("pgx", "1kgp-grch38", "CYP2C19.vcf.gz")
    data = tmp_path / "CYP2C19.vcf.gz"
    data.write_bytes(source.read_bytes())
    tbi = tmp_path / "CYP2C19.vcf.gz.tbi"
    tbi.write_bytes(shared_path("pgx", "1kgp-grch38", "CYP2C9.vcf.gz.tbi").read_bytes() if index == "wrong"
                    else bytes(range(256)) * 8)
    with VcfFile(data) as vcf, pytest.raises(InputError, match="index it again") as error:
        vcf.read_genes([kb.genes["CYP2C19"], kb.genes["CYP2C9"]])
    assert "CYP2C19.vcf.gz" in str(error.value)


def test_a_byte_order_mark_is_named(kb, write_vcf, tmp_path):
    bom = tmp_path / "bom.vcf"
    bom.write_bytes(b"\xef\xbb\xbf" + write_vcf(reference_records(kb, "CYP2C19")).read_bytes())
    with pytest.raises(InputError, match=r"bom.vcf:line 1: the file starts with a byte-order mark"):
        VcfFile(bom)


def test_a_record_that_is_not_utf8_is_one_error(kb, write_vcf):
    path = write_vcf(reference_records(kb, "CYP2C19"))
    path.write_bytes(path.read_bytes() + b"\x80\n")
    with VcfFile(path) as vcf, pytest.raises(InputError, match=r"cannot parse VCF record \(a field is not UTF-8"):
        vcf.read_genes([kb.genes["CYP2C19"]])


@pytest.mark.parametrize("columns", range(2, 10))
def test_a_last_record_cut_short_in_a_file_without_contig_lines(tmp_path, kb, columns):
    """htslib leaves a cut record's alleles unset when its contig is not declared: reading REF first crashed."""
    fields = ["chr10", "94761900", "rs12248560", "C", "T", ".", "PASS", ".", "GT", "0/1"]
    path = tmp_path / "cut.vcf"
    path.write_text('##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" + "\t".join(fields[:columns]))
    with VcfFile(path) as vcf, pytest.raises(InputError, match=r"cut.vcf:(chr10:94761900: record has no readable GT"
                                                             r"|record 1: cannot parse VCF record)"):
        vcf.read_genes([kb.genes["CYP2C19"]])
