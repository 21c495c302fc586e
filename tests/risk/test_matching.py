"""Matching scoring-file rows onto target variants (pgsc_calc's rules)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tailormed.errors import GenomeBuildError, InputError
from tailormed.io.scoring_file import read_scoring_file
from tailormed.model.prs import GenomeBuild, ScoreMatch, ScoringFile, TargetVariants
from tailormed.risk.matching import STATUSES, check_overlap, complement, match_report, match_variants

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "risk" / "pgsc-examples"

# A score row: (chrom, pos, effect, other, weight) or with an rsID as sixth item; pos -1 = no position.
ScoreRow = tuple[str, int, str, str, float] | tuple[str, int, str, str, float, str]
# A target row: (chrom, pos, id, ref, alt) or with multiallelic as sixth item.
TargetRow = tuple[str, int, str, str, str] | tuple[str, int, str, str, str, bool]


def objects(values: list[str]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def make_score(rows: list[ScoreRow], build: GenomeBuild | None = "GRCh38",
               weights: list[list[float]] | None = None, score_ids: list[str] | None = None) -> ScoringFile:
    n = len(rows)
    matrix = np.asarray(weights if weights is not None else [[r[4]] for r in rows], dtype=np.float64)
    return ScoringFile(
        path="score.txt", score_ids=score_ids or ["S1"], genome_build=build, harmonized=False, metadata={},
        chrom=np.asarray([r[0] for r in rows], dtype=np.str_), pos=np.asarray([r[1] for r in rows], dtype=np.int64),
        rsid=objects([str(r[5]) if len(r) > 5 else "" for r in rows]),
        effect_allele=objects([r[2] for r in rows]), other_allele=objects([r[3] for r in rows]),
        weights=matrix.reshape(n, -1), is_dominant=np.zeros(n, dtype=np.bool_),
        is_recessive=np.zeros(n, dtype=np.bool_), line=np.arange(2, n + 2, dtype=np.int64))


def make_target(rows: list[TargetRow], build: GenomeBuild | None = "GRCh38") -> TargetVariants:
    return TargetVariants(
        path="target.pvar", format="pgen", samples=["S"], chrom=np.asarray([r[0] for r in rows], dtype=np.str_),
        pos=np.asarray([r[1] for r in rows], dtype=np.int64), variant_id=objects([r[2] for r in rows]),
        ref=objects([r[3] for r in rows]), alt=objects([r[4] for r in rows]),
        multiallelic=np.asarray([bool(r[5]) if len(r) > 5 else False for r in rows], dtype=np.bool_),
        genome_build=build)


def one(score_row: ScoreRow, target_rows: list[TargetRow], **options: bool) -> tuple[ScoreMatch, dict[str, int]]:
    score = make_score([score_row])
    target = make_target(target_rows)
    match = match_variants(score, target, **options)
    entry = match_report(score, target, match)[0]
    return match, {name.removeprefix("type_"): n for name, n in entry.items() if name.startswith("type_")}


SNV: list[TargetRow] = [("1", 100, "rs1", "A", "G")]


# --- match types ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("effect", "other", "kind", "effect_is_alt", "flipped"), [
    ("A", "G", "refalt", False, False),
    ("G", "A", "altref", True, False),
    ("T", "C", "refalt_flip", False, True),
    ("C", "T", "altref_flip", True, True),
    ("A", "", "no_oa_ref", False, False),
    ("G", "", "no_oa_alt", True, False),
    ("T", "", "no_oa_ref_flip", False, True),
    ("C", "", "no_oa_alt_flip", True, True),
    ("G", "A/C", "no_oa_alt", True, False),  # several other alleles (hm_inferOtherAllele) count as none
])
def test_each_match_type(effect: str, other: str, kind: str, effect_is_alt: bool, flipped: bool) -> None:
    match, types = one(("1", 100, effect, other, 0.1), SNV)
    assert types[kind] == 1 and sum(types.values()) == 1
    assert match.status[0] == ("matched_flip" if flipped else "matched")
    assert match.target_index[0] == 0
    assert bool(match.effect_is_alt[0]) is effect_is_alt
    assert bool(match.strand_flipped[0]) is flipped


def test_direct_match_beats_a_flip_at_another_record_of_the_position() -> None:
    # Two target records at one position with different REFs: (T, C) flipped is (A, G).
    match, types = one(("1", 100, "T", "C", 0.1), [("1", 100, "rs1", "A", "G"), ("1", 100, "rs1b", "T", "C")])
    assert types["refalt"] == 1
    assert match.target_index[0] == 1 and not match.strand_flipped[0]


def test_equally_good_candidates_keep_the_first_target_row() -> None:
    match, _ = one(("1", 100, "A", "G", 0.1), [("1", 90, "rs0", "C", "T"), ("1", 100, "rs1", "A", "G"),
                                               ("1", 100, "rs1dup", "A", "G")])
    assert match.status[0] == "matched" and match.target_index[0] == 1


def test_alleles_that_do_not_fit_are_unmatched() -> None:
    match, _ = one(("1", 100, "A", "C", 0.1), SNV)
    assert match.status[0] == "unmatched_alleles" and match.target_index[0] == -1


def test_position_not_in_target() -> None:
    match, _ = one(("1", 101, "A", "G", 0.1), SNV)
    assert match.status[0] == "not_in_target"


def test_chromosome_must_agree() -> None:
    match, _ = one(("2", 100, "A", "G", 0.1), SNV)
    assert match.status[0] == "not_in_target"


def test_complement_is_letter_by_letter_on_dna_only() -> None:
    assert complement("ACGT") == "TGCA"
    assert complement("<INS>") == "<INS>" and complement("") == ""


# --- ambiguous and multi-allelic -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "alt"), [("A", "T"), ("T", "A"), ("C", "G"), ("G", "C")])
def test_palindromic_snps_are_excluded_by_default(ref: str, alt: str) -> None:
    match, _ = one(("1", 100, ref, alt, 0.1), [("1", 100, "rs1", ref, alt)])
    assert match.status[0] == "excluded_ambiguous"
    assert match.target_index[0] == -1


@pytest.mark.parametrize(("effect", "other", "kind"), [("A", "T", "refalt"), ("T", "A", "altref"),
                                                       ("A", "", "no_oa_ref"), ("T", "", "no_oa_alt")])
def test_kept_palindromic_snps_match_on_the_given_strand(effect: str, other: str, kind: str) -> None:
    match, types = one(("1", 100, effect, other, 0.1), [("1", 100, "rs1", "A", "T")], keep_ambiguous=True)
    assert match.status[0] == "matched" and types[kind] == 1
    assert not match.strand_flipped[0]


def test_multiallelic_records_excluded_unless_kept() -> None:
    target: list[TargetRow] = [("1", 100, "rs1", "A", "G", True), ("1", 100, "rs1", "A", "C", True)]
    match, _ = one(("1", 100, "C", "A", 0.1), target)
    assert match.status[0] == "excluded_multiallelic"
    match, types = one(("1", 100, "C", "A", 0.1), target, keep_multiallelic=True)
    assert match.status[0] == "matched" and match.target_index[0] == 1 and types["altref"] == 1


def test_two_alts_of_one_split_record_are_not_duplicates() -> None:
    score = make_score([("1", 100, "G", "A", 0.1), ("1", 100, "C", "A", 0.2)])
    target = make_target([("1", 100, "rs1", "A", "G", True), ("1", 100, "rs1", "A", "C", True)])
    match = match_variants(score, target, keep_multiallelic=True)
    assert list(match.status) == ["matched", "matched"]
    assert list(match.target_index) == [0, 1]


# --- duplicates -----------------------------------------------------------------------------------------------------

def test_rows_matching_the_same_target_variant_are_all_excluded() -> None:
    score = make_score([("1", 100, "A", "G", 0.1), ("1", 100, "G", "A", 0.2), ("1", 200, "C", "T", 0.3)])
    target = make_target([("1", 100, "rs1", "A", "G"), ("1", 200, "rs2", "C", "T")])
    match = match_variants(score, target)
    assert list(match.status) == ["excluded_duplicate", "excluded_duplicate", "matched"]
    assert list(match.target_index) == [-1, -1, 1]
    assert match_report(score, target, match)[0]["status_excluded_duplicate"] == 2


def test_rows_of_different_scores_on_one_variant_are_not_duplicates() -> None:
    score = make_score([("1", 100, "A", "G", 0), ("1", 100, "G", "A", 0)], weights=[[0.1, 0.0], [0.0, 0.2]],
                       score_ids=["P1", "P2"])
    target = make_target([("1", 100, "rs1", "A", "G")])
    match = match_variants(score, target)
    assert list(match.status) == ["matched", "matched"]
    assert [entry["total"] for entry in match_report(score, target, match)] == [1, 1]


# --- rsID-only rows ---------------------------------------------------------------------------------------------------

def test_rows_without_position_match_by_rsid() -> None:
    score = make_score([("", -1, "G", "A", 0.1, "rs1"), ("", -1, "A", "G", 0.1, "rs99"), ("", -1, "C", "", 0.1, "")])
    target = make_target([("1", 100, "rs1", "A", "G")])
    match = match_variants(score, target)
    assert list(match.status) == ["matched", "not_in_target", "not_in_target"]
    assert match.target_index[0] == 0 and bool(match.effect_is_alt[0])


def test_rows_with_a_position_do_not_fall_back_to_rsid() -> None:
    match, _ = one(("1", 555, "G", "A", 0.1, "rs1"), SNV)
    assert match.status[0] == "not_in_target"


def test_dot_ids_never_match() -> None:
    match, _ = one(("", -1, "A", "G", 0.1, "."), [("1", 100, ".", "A", "G")])
    assert match.status[0] == "not_in_target"


# --- genome builds ----------------------------------------------------------------------------------------------------

def test_declared_builds_that_differ_are_refused() -> None:
    with pytest.raises(GenomeBuildError) as caught:
        match_variants(make_score([("1", 100, "A", "G", 0.1)], build="GRCh37"), make_target(SNV, build="GRCh38"))
    assert isinstance(caught.value, InputError)
    assert "GRCh37" in caught.value.message and "GRCh38" in caught.value.message
    assert caught.value.source == "score.txt"


def shifted_build(ids_in_target: bool) -> tuple[ScoringFile, TargetVariants]:
    """30 variants whose score positions are 250 bp off the target's (another build), same rsIDs or not."""
    score_rows: list[ScoreRow] = [("1", 1000 * i, "A", "G", 0.1, f"rs{i}") for i in range(1, 31)]
    target_rows: list[TargetRow] = [("1", 1000 * i + 250, f"rs{i}" if ids_in_target else f"1:{i}", "A", "G")
                                    for i in range(1, 31)]
    return make_score(score_rows, build="GRCh37"), make_target(target_rows, build=None)


def test_unknown_target_build_that_evidently_differs_is_refused() -> None:
    score, target = shifted_build(ids_in_target=True)
    with pytest.raises(GenomeBuildError) as caught:
        match_variants(score, target)
    assert "0 of 30" in caught.value.message and "30 (100.0%)" in caught.value.message
    assert "different genome builds" in caught.value.message


def test_unknown_target_build_without_shared_ids_is_left_to_the_overlap_check() -> None:
    score, target = shifted_build(ids_in_target=False)
    match = match_variants(score, target)
    assert set(match.status) == {"not_in_target"}
    with pytest.raises(InputError):
        check_overlap(score, target, match)


def test_unknown_builds_on_the_same_positions_match() -> None:
    score, target = shifted_build(ids_in_target=True)
    target.pos = score.pos.copy()
    match = match_variants(score, target)
    assert (match.status == "matched").all()
    assert match.rules["target_build"] == "unknown" and match.rules["score_build"] == "GRCh37"


# --- report and overlap -----------------------------------------------------------------------------------------------

MIXED_SCORE: list[ScoreRow] = [
    ("1", 100, "A", "G", 0.1),   # matched (refalt)
    ("1", 200, "T", "C", 0.1),   # matched_flip (refalt_flip of A/G)
    ("1", 300, "A", "T", 0.1),   # excluded_ambiguous
    ("1", 400, "C", "A", 0.1),   # excluded_multiallelic
    ("1", 500, "A", "G", 0.1),   # excluded_duplicate
    ("1", 500, "A", "G", 0.2),   # excluded_duplicate
    ("1", 600, "A", "C", 0.1),   # unmatched_alleles
    ("1", 700, "A", "G", 0.1),   # not_in_target
]
MIXED_TARGET: list[TargetRow] = [
    ("1", 100, "rs1", "A", "G"), ("1", 200, "rs2", "A", "G"), ("1", 300, "rs3", "A", "T"),
    ("1", 400, "rs4", "A", "C", True), ("1", 400, "rs4", "A", "G", True), ("1", 500, "rs5", "A", "G"),
    ("1", 600, "rs6", "A", "G"),
]


def test_report_counts_every_status() -> None:
    score, target = make_score(MIXED_SCORE), make_target(MIXED_TARGET)
    match = match_variants(score, target)
    assert list(match.status) == ["matched", "matched_flip", "excluded_ambiguous", "excluded_multiallelic",
                                  "excluded_duplicate", "excluded_duplicate", "unmatched_alleles", "not_in_target"]
    [entry] = match_report(score, target, match)
    assert entry["score_id"] == "S1"
    assert (entry["total"], entry["matched"]) == (8, 2)
    assert entry["match_rate"] == pytest.approx(0.25)
    statuses = {name.removeprefix("status_"): n for name, n in entry.items() if name.startswith("status_")}
    assert list(statuses) == list(STATUSES)
    assert statuses == {
        "matched": 1, "matched_flip": 1, "excluded_ambiguous": 1, "excluded_multiallelic": 1,
        "excluded_duplicate": 2, "unmatched_alleles": 1, "not_in_target": 1}
    assert entry["type_refalt"] == 1 and entry["type_refalt_flip"] == 1
    assert entry["min_overlap"] == 0.75 and entry["passes"] is False
    assert list(match.target_index) == [0, 1, -1, -1, -1, -1, -1, -1]


def test_options_change_the_counts() -> None:
    score, target = make_score(MIXED_SCORE), make_target(MIXED_TARGET)
    match = match_variants(score, target, keep_ambiguous=True, keep_multiallelic=True, min_overlap=0.5)
    [entry] = match_report(score, target, match)
    assert entry["matched"] == 4
    assert (entry["status_excluded_ambiguous"], entry["status_excluded_multiallelic"]) == (0, 0)
    assert entry["passes"] is True  # 4 of 8 = 50% against min_overlap 0.5
    assert match.rules["keep_ambiguous"] == "true" and match.rules["min_overlap"] == "0.5"


def test_overlap_below_threshold_is_refused_naming_score_rate_and_threshold() -> None:
    score, target = make_score(MIXED_SCORE), make_target(MIXED_TARGET)
    match = match_variants(score, target)
    with pytest.raises(InputError) as caught:
        check_overlap(score, target, match)
    message = caught.value.message
    assert "score S1" in message and "2 of 8" in message and "25.0%" in message and "75%" in message
    assert "1 excluded ambiguous" in message
    assert caught.value.source == "score.txt"
    report = check_overlap(score, target, match, min_overlap=0.25)  # the CLI's override
    assert report[0]["passes"] is True


def test_overlap_exactly_at_threshold_passes() -> None:
    score = make_score([("1", 100, "A", "G", 0.1), ("1", 200, "A", "G", 0.1), ("1", 300, "A", "G", 0.1),
                        ("1", 999, "A", "G", 0.1)])
    target = make_target([("1", 100, "rs1", "A", "G"), ("1", 200, "rs2", "A", "G"), ("1", 300, "rs3", "A", "G")])
    report = check_overlap(score, target, match_variants(score, target))
    assert report[0]["match_rate"] == 0.75 and report[0]["passes"] is True


def test_min_overlap_outside_zero_one_is_refused() -> None:
    with pytest.raises(InputError):
        match_variants(make_score([("1", 100, "A", "G", 0.1)]), make_target(SNV), min_overlap=75)


def test_multi_score_report_counts_rows_with_a_weight() -> None:
    score = make_score([("1", 100, "A", "G", 0), ("1", 200, "A", "G", 0), ("1", 300, "A", "G", 0)],
                       weights=[[0.1, 0.1], [0.2, 0.0], [0.3, 0.0]], score_ids=["P1", "P2"])
    target = make_target([("1", 100, "rs1", "A", "G")])
    report = match_report(score, target, match_variants(score, target))
    assert [(e["score_id"], e["total"], e["matched"]) for e in report] == [("P1", 3, 1), ("P2", 1, 1)]
    assert [e["passes"] for e in report] == [False, True]
    with pytest.raises(InputError) as caught:
        check_overlap(score, target, match_variants(score, target))
    assert "P1" in caught.value.message and "P2" not in caught.value.message


# --- the pgsc_calc example against its target variants ---------------------------------------------------------------

def read_pvar(path: Path) -> TargetVariants:
    """A minimal pvar reading for this test (the project's target readers are tested elsewhere)."""
    rows = [line.rstrip("\n").split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]
    split = [(r, alt) for r in rows for alt in r[4].split(",")]
    return TargetVariants(
        path=str(path), format="pgen", samples=[], chrom=np.asarray([r[0] for r, _ in split], dtype=np.str_),
        pos=np.asarray([int(r[1]) for r, _ in split], dtype=np.int64), variant_id=objects([r[2] for r, _ in split]),
        ref=objects([r[3] for r, _ in split]), alt=objects([alt for _, alt in split]),
        multiallelic=np.asarray(["," in r[4] for r, _ in split], dtype=np.bool_))


def test_pgsc_calc_example_score_on_its_synthetic_target() -> None:
    scorefile = EXAMPLES / "scorefiles" / "PGS001229_22.txt"
    pvar = EXAMPLES / "target_genomes" / "cineca_synthetic_subset.pvar"
    if not scorefile.exists() or not pvar.exists():
        pytest.skip("pgsc_calc example data not present")
    score, target = read_scoring_file(scorefile), read_pvar(pvar)
    palindromic = sum(1 for e, o in zip(score.effect_allele, score.other_allele, strict=True)
                      if {e, o} in ({"A", "T"}, {"C", "G"}))
    match = match_variants(score, target)
    [entry] = check_overlap(score, target, match)
    # 835 rows: 6 positions absent from the 829-variant target, the 47 A/T or C/G SNPs excluded, the rest match.
    assert palindromic == 47
    assert (entry["total"], entry["status_not_in_target"], entry["status_excluded_ambiguous"]) == (835, 6, 47)
    assert entry["matched"] == 835 - 6 - 47 and entry["status_matched_flip"] == 0
    assert entry["passes"] is True
