"""Reading PGS Catalog, harmonized and plink2 multi-score scoring files."""

from __future__ import annotations

import gzip
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.errors import InputError
from tailormed.io.scoring_file import parse_genome_build, read_scoring_file

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "risk" / "pgsc-examples"
CATALOG_COLUMNS = ("rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\tis_haplotype\t"
                   "imputation_method\tlocus_name\tvariant_description")
HARMONIZED_COLUMNS = ("rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\thm_source\thm_rsID\t"
                      "hm_chr\thm_pos\thm_inferOtherAllele\thm_match_chr\thm_match_pos")


def example(name: str) -> Path:
    path = EXAMPLES / "scorefiles" / name
    if not path.exists():
        pytest.skip(f"pgsc_calc example data not present: {path}")
    return path


def write(tmp_path: Path, text: str, name: str = "score.txt", compress: bool = False) -> Path:
    path = tmp_path / name
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def refused(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_scoring_file(path)
    assert caught.value.source == str(path)
    return caught.value


# --- the pgsc_calc example files ----------------------------------------------------------------------------------

def test_pgs_catalog_file_with_header() -> None:
    score = read_scoring_file(example("PGS001229_22.txt"))
    assert score.score_ids == ["PGS001229"]
    assert score.genome_build == "GRCh37" and not score.harmonized
    assert score.metadata["pgs_name"] == "GBE_INI50"
    assert score.metadata["weight_type"] == "NR"
    assert score.metadata["variants_number"] == "51209"  # the full score; the example keeps chromosome 22
    assert score.n_variants == 835
    assert (score.chrom[0], score.pos[0], score.rsid[0]) == ("22", 17080378, "rs5746679")
    assert (score.effect_allele[0], score.other_allele[0]) == ("G", "A")
    assert score.weights[0, 0] == pytest.approx(1.045457e-02)
    assert score.weights[5, 0] == pytest.approx(-3.033983e-02)
    assert score.line[0] == 16 and score.line[-1] == 850
    assert not score.is_dominant.any() and not score.is_recessive.any()


def test_pgs_catalog_duplicate_example() -> None:
    score = read_scoring_file(example("PGS001229_22_duplicate.txt"))
    assert score.score_ids == ["duplicatetest"]
    assert score.n_variants == 8
    assert list(score.effect_allele[:2]) == ["A", "A"]  # the first row is the original's with alleles swapped


@pytest.mark.parametrize(("name", "build", "first_pos"), [("customgrch37.txt", "GRCh37", 4859488),
                                                          ("customgrch38.txt", "GRCh38", 4799428)])
def test_custom_scoring_files(name: str, build: str, first_pos: int) -> None:
    score = read_scoring_file(example(name))  # no rsID column, no newline after the last row
    assert score.score_ids == ["custom"]
    assert score.genome_build == build
    assert score.n_variants == 2
    assert list(score.pos) == [first_pos, first_pos + 438357]
    assert list(score.rsid) == ["", ""]
    assert score.weights[1, 0] == pytest.approx(0.040436175688854)


def test_plain_scorefile_named_by_pgs_name() -> None:
    score = read_scoring_file(example("scorefile.txt"))
    assert score.score_ids == ["PGS001229_22"]
    assert score.genome_build == "GRCh37"
    assert score.n_variants == 835
    assert score.line[0] == 4


def test_dominant_and_recessive_columns() -> None:
    score = read_scoring_file(example("scorefile_dominant_and_recessive.txt"))
    assert score.n_variants == 835
    assert bool(score.is_dominant[0]) and not score.is_recessive[0]
    assert bool(score.is_recessive[1]) and not score.is_dominant[1]
    assert int(score.is_dominant.sum()) == 1 and int(score.is_recessive.sum()) == 1


def test_plink_multi_score_file() -> None:
    score = read_scoring_file(example("multiscore.txt"))
    assert score.score_ids == ["PGS001229_22", "second_score"]
    assert score.weights.shape == (829, 2)
    np.testing.assert_array_equal(score.weights[:, 0], score.weights[:, 1])
    assert score.genome_build is None
    assert (score.chrom[0], score.pos[0], score.rsid[0]) == ("22", 17080378, "22:17080378:G:A")
    assert (score.effect_allele[0], score.other_allele[0]) == ("G", "A")  # the other allele is the ID's other one
    assert score.metadata["tailormed_format"] == "plink2-score"


def test_plink_single_score_file() -> None:
    score = read_scoring_file(example("test.scorefile"))
    assert score.score_ids == ["PGS001229_22"]
    assert score.n_variants == 829
    assert score.weights[8, 0] == pytest.approx(0.003361814)


@pytest.mark.parametrize("name", ["PGS001229_22.txt", "PGS001229_22_duplicate.txt", "customgrch37.txt",
                                  "customgrch38.txt", "multiscore.txt", "scorefile.txt",
                                  "scorefile_dominant_and_recessive.txt", "test.scorefile"])
def test_every_example_reads_with_positions_and_weights(name: str) -> None:
    score = read_scoring_file(example(name))
    assert score.n_variants > 0
    assert (score.pos > 0).all()
    assert np.isfinite(score.weights).all()
    assert all(a and not a.strip("ACGT") for a in score.effect_allele)  # SNVs and a few indels


# --- harmonized files -----------------------------------------------------------------------------------------------

HARMONIZED = (
    "###PGS CATALOG SCORING FILE - see https://www.pgscatalog.org/downloads/#dl_ftp_scoring\n"
    "#format_version=2.0\n##POLYGENIC SCORE (PGS) INFORMATION\n#pgs_id=PGS000999\n#pgs_name=TEST\n"
    "#genome_build=NCBI36\n#weight_type=beta\n#variants_number=4\n##HARMONIZATION DETAILS\n#HmPOS_build=GRCh38\n"
    "#HmPOS_date=2022-07-29\n"
    f"{HARMONIZED_COLUMNS}\n"
    "rs1\t1\t100\tA\tG\t0.5\tENSEMBL\trs1\t1\t1100\t\tTrue\tFalse\n"
    "rs2\t1\t200\tC\t\t-0.25\tENSEMBL\trs2\t1\t1200\tA/T\t\t\n"
    "rs3\t2\t300\tG\tT\t0.125\tliftover\trs33\tchrX\t3300\t\t\t\n"
    "rs4\t2\t400\tT\tC\t1.0\t\t\t\t\t\t\t\n"
)


def test_harmonized_file_uses_hm_columns(tmp_path: Path) -> None:
    score = read_scoring_file(write(tmp_path, HARMONIZED, "PGS000999_hmPOS_GRCh38.txt.gz", compress=True))
    assert score.harmonized
    assert score.genome_build == "GRCh38"  # from #HmPOS_build; the original NCBI36 build does not matter
    assert score.metadata["genome_build"] == "NCBI36"
    assert score.score_ids == ["PGS000999"]
    assert list(score.chrom) == ["1", "1", "X", ""]
    assert list(score.pos) == [1100, 1200, 3300, -1]  # the last row failed harmonization: no position
    assert list(score.rsid) == ["rs1", "rs2", "rs33", "rs4"]  # hm_rsID first
    assert list(score.other_allele) == ["G", "A/T", "T", "C"]  # hm_inferOtherAllele only where other_allele is empty
    assert score.weights[:, 0].tolist() == [0.5, -0.25, 0.125, 1.0]


def test_chromosome_names_in_any_spelling_are_one_chromosome(tmp_path: Path) -> None:
    # Before tailormed.model.genome the scoring reader kept 'Chr1' and 'chrm' as written ('Chr1', 'm'), so such rows
    # never met the target's '1' and 'MT'.
    names = ["Chr1", "chrm", "x", "CHRMT", "MT", "chrY", "M"]
    text = "chr_name\tchr_position\teffect_allele\teffect_weight\n" + "".join(
        f"{name}\t{100 + i}\tA\t0.1\n" for i, name in enumerate(names))
    assert list(read_scoring_file(write(tmp_path, text)).chrom) == ["1", "MT", "X", "MT", "MT", "Y", "MT"]


def test_harmonized_build_from_file_name_when_header_lacks_it(tmp_path: Path) -> None:
    text = HARMONIZED.replace("#HmPOS_build=GRCh38\n", "")
    score = read_scoring_file(write(tmp_path, text, "PGS000999_hmPOS_GRCh37.txt"))
    assert score.harmonized and score.genome_build == "GRCh37"


def test_harmonized_header_without_hm_columns_is_refused(tmp_path: Path) -> None:
    text = "#HmPOS_build=GRCh38\nchr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\n"
    error = refused(write(tmp_path, text))
    assert "hm_chr" in error.message and error.location == "line 1"


# --- layout details -------------------------------------------------------------------------------------------------

def test_repeated_column_line_is_skipped(tmp_path: Path) -> None:
    header = "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight"
    text = f"#genome_build=GRCh38\n{header}\n1\t100\tA\tG\t0.1\n{header}\n1\t200\tC\tT\t0.2\n"
    score = read_scoring_file(write(tmp_path, text))
    assert list(score.pos) == [100, 200]
    assert list(score.line) == [3, 5]


def test_blank_comment_and_empty_field_lines_among_rows_are_skipped(tmp_path: Path) -> None:
    text = "chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\n\t\t\t\n\n# note\n1\t200\tC\t0.2\n"
    score = read_scoring_file(write(tmp_path, text))
    assert list(score.pos) == [100, 200] and list(score.line) == [2, 6]


def test_gzip_detected_from_content(tmp_path: Path) -> None:
    text = "#genome_build=hg38\nchr_name\tchr_position\teffect_allele\teffect_weight\nchr1\t100\ta\t0.1\n"
    score = read_scoring_file(write(tmp_path, text, "plain_name.txt", compress=True))
    assert score.genome_build == "GRCh38"
    assert (score.chrom[0], score.effect_allele[0], score.other_allele[0]) == ("1", "A", "")


def test_wide_catalog_file_holds_one_score_per_weight_column(tmp_path: Path) -> None:
    text = ("chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight_A\teffect_weight_B\n"
            "1\t100\tA\tG\t0.1\t0\n1\t200\tC\tT\t0\t0.3\n")
    score = read_scoring_file(write(tmp_path, text))
    assert score.score_ids == ["A", "B"]
    assert score.weights.tolist() == [[0.1, 0.0], [0.0, 0.3]]


def test_rsid_only_rows_have_no_position(tmp_path: Path) -> None:
    text = "rsID\tchr_name\tchr_position\teffect_allele\teffect_weight\nrs7\t\t\tA\t0.1\nrs8\t3\t500\tT\t0.2\n"
    score = read_scoring_file(write(tmp_path, text))
    assert list(score.pos) == [-1, 500] and list(score.chrom) == ["", "3"]
    assert list(score.rsid) == ["rs7", "rs8"]


def test_space_separated_custom_file(tmp_path: Path) -> None:
    text = "chr_name chr_position effect_allele other_allele effect_weight\n1 100 A G 0.1\n"
    score = read_scoring_file(write(tmp_path, text))
    assert (score.pos[0], score.other_allele[0]) == (100, "G")


@pytest.mark.parametrize(("text", "build"), [("GRCh37", "GRCh37"), ("hg19", "GRCh37"), ("GRCh38", "GRCh38"),
                                             ("hg38", "GRCh38"), ("grch38", "GRCh38"), ("NR", None), ("", None)])
def test_genome_build_names_are_normalised(text: str, build: str | None) -> None:
    assert parse_genome_build(text, source="x") == build


# --- weights ----------------------------------------------------------------------------------------------------------

def test_odds_ratio_only_is_converted_to_log(tmp_path: Path) -> None:
    text = "chr_name\tchr_position\teffect_allele\tOR\n1\t100\tA\t1.5\n1\t200\tC\t0.8\n"
    score = read_scoring_file(write(tmp_path, text))
    assert score.weights[:, 0] == pytest.approx([math.log(1.5), math.log(0.8)])
    assert score.metadata["tailormed_weight_source"] == "ln(OR)"
    assert "natural logarithm" in score.metadata["tailormed_weight_note"]


def test_non_positive_odds_ratio_is_refused(tmp_path: Path) -> None:
    text = "chr_name\tchr_position\teffect_allele\tOR\n1\t100\tA\t1.5\n1\t200\tC\t0\n"
    error = refused(write(tmp_path, text))
    assert error.location == "line 3" and "positive" in error.message


def test_weight_type_odds_ratio_with_ratio_values_is_refused(tmp_path: Path) -> None:
    text = "#weight_type=OR\nchr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t1.5\n1\t200\tC\t0.8\n"
    error = refused(write(tmp_path, text))
    assert "cannot be summed" in error.message and error.location == "line 1"


def test_weight_type_odds_ratio_with_log_weights_of_or_column_is_read(tmp_path: Path) -> None:
    text = ("#weight_type=OR\nchr_name\tchr_position\teffect_allele\teffect_weight\tOR\n"
            f"1\t100\tA\t{math.log(1.5):.6f}\t1.5\n1\t200\tC\t{math.log(1.2):.6f}\t1.2\n")
    score = read_scoring_file(write(tmp_path, text))
    assert score.weights[0, 0] == pytest.approx(math.log(1.5), abs=1e-6)
    assert "ln(OR)" in score.metadata["tailormed_weight_note"]


def test_weight_type_odds_ratio_with_negative_weights_is_read_as_log(tmp_path: Path) -> None:
    text = "#weight_type=OR\nchr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.2\n1\t200\tC\t-0.1\n"
    score = read_scoring_file(write(tmp_path, text))
    assert score.weights[1, 0] == -0.1
    assert "negative" in score.metadata["tailormed_weight_note"]


def test_weight_type_log_odds_ratio_is_read(tmp_path: Path) -> None:
    text = "#weight_type=log(OR)\nchr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.2\n"
    assert read_scoring_file(write(tmp_path, text)).weights[0, 0] == 0.2


# --- refusals -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "location", "words"), [
    ("", None, "empty"),
    ("#pgs_id=X\n#genome_build=GRCh37\n", None, "empty"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n", "line 1", "no variant rows"),
    ("chr_name\tchr_position\tother_allele\teffect_weight\n1\t100\tA\t0.1\n", "line 1", "no effect_allele"),
    ("chr_name\tchr_position\teffect_allele\tbeta\n1\t100\tA\t0.1\n", "line 1", "no effect_weight"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\n1\t200\tC\tabc\n", "line 3",
     "not a number"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\tnan\n", "line 2", "not a number"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t\n", "line 2", "not a number"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\n1\t200\tC\t1e308\n", "line 3",
     "outside -1e+06 to 1e+06"),
    ("ID\teffect_allele\tS1\n1:100:A:G\tG\t-2e6\n", "line 2", "weight of S1 -2e6 is outside"),
    ("#genome_build=NCBI36\nchr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\n", "line 1",
     "unknown genome build"),
    ("rsID\teffect_allele\teffect_weight\tis_haplotype\nrs1\tA\t0.1\tFALSE\nrs2\tA\t0.1\tTRUE\n", "line 3",
     "haplotype"),
    ("rsID\teffect_allele\teffect_weight\tis_diplotype\nrs1\tA\t0.1\tTRUE\n", "line 2", "diplotype"),
    ("rsID\teffect_allele\teffect_weight\tis_dominant\tis_recessive\nrs1\tA\t0.1\tTRUE\tTRUE\n", "line 2",
     "both TRUE"),
    ("rsID\teffect_allele\teffect_weight\tis_dominant\nrs1\tA\t0.1\tmaybe\n", "line 2", "TRUE or FALSE"),
    ("rsID\teffect_allele\tdosage_0_weight\tdosage_1_weight\tdosage_2_weight\nrs1\tA\t0\t1\t1\n", "line 1",
     "non-additive"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t12a\tA\t0.1\n", "line 2", "positive whole number"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t-5\tA\t0.1\n", "line 2", "positive whole number"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\t\t0.1\n", "line 2", "effect_allele is empty"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n\t\tA\t0.1\n", "line 2", "neither a position"),
    ("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\textra\n", "line 2", "5 fields"),
    ("chr_name\tchr_position\teffect_allele\teffect_allele\teffect_weight\n", "line 1", "appears twice"),
    ("ID\teffect_allele\tS1\n1:100:A:G\tC\t0.1\n", "line 2", "neither allele"),
    ("ID\teffect_allele\n1:100:A:G\tA\n", "line 1", "no score column"),
])
def test_bad_files_are_refused_with_the_place(tmp_path: Path, text: str, location: str | None, words: str) -> None:
    error = refused(write(tmp_path, text))
    assert error.location == location
    assert words in error.message


def test_missing_file_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path / "absent.txt")
    assert "not found" in error.message


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(b"chr_name\tchr_position\teffect_allele\teffect_weight\n1\t100\tA\t0.1\n" * 50)
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    assert "gzip" in refused(path).message


# --- property: junk never escapes as anything but InputError ----------------------------------------------------------

_TOKENS = st.sampled_from(["rsID", "chr_name", "chr_position", "effect_allele", "other_allele", "effect_weight",
                           "OR", "HR", "ID", "hm_chr", "hm_pos", "hm_inferOtherAllele", "is_dominant",
                           "is_recessive", "is_haplotype", "1", "22", "chrX", "100", "-3", "0", "1e400", "nan",
                           "A", "C/T", "TRUE", "False", "", "#", "#genome_build=hg19", "#weight_type=OR",
                           "#HmPOS_build=GRCh38", "1:100:A:G", "\u00b2", "\u0663"])
_LINES = st.one_of(
    st.lists(st.one_of(_TOKENS, st.text(max_size=8)), max_size=7).map("\t".join),
    st.text(max_size=40),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINES, max_size=8), header=st.booleans(), raw=st.binary(max_size=30))
def test_junk_raises_only_input_error(lines: list[str], header: bool, raw: bytes) -> None:
    prefix = "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n" if header else ""
    with tempfile.TemporaryDirectory() as folder:
        for path, content in ((Path(folder) / "junk.txt", (prefix + "\n".join(lines)).encode()),
                              (Path(folder) / "raw.bin", raw)):
            path.write_bytes(content)
            try:
                score = read_scoring_file(path)
            except InputError:
                continue
            assert score.n_variants > 0
            assert np.isfinite(score.weights).all()
            assert ((score.pos > 0) | (score.pos == -1)).all()
