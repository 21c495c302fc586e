"""The scorer against hand-computed sums/averages (flips, dominance, imputation, sex chromosomes) and plink2."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pgenlib
import pytest
from conftest import shared_path

from tailormed.errors import InputError
from tailormed.io.genotypes import TargetReader, open_target
from tailormed.model.prs import ScoreMatch, ScoringFile
from tailormed.risk.scoring import score


# --------------------------------------------------------------------------------------------- builders
def write_pgen(directory: Path, genotypes: np.ndarray, chroms: list[str], sex: list[str] | None = None,
               fathers: list[str] | None = None, name: str = "t") -> Path:
    """A biallelic .pgen (ALT dosages, -9 missing) with REF A / ALT G at positions 100, 200, ..."""
    n_variants, n_samples = genotypes.shape
    prefix = directory / name
    with pgenlib.PgenWriter(bytes(str(prefix) + ".pgen", "utf-8"), n_samples, variant_ct=n_variants,
                            nonref_flags=False) as writer:
        for row in genotypes:
            writer.append_biallelic(np.ascontiguousarray(row, dtype=np.int8))
    Path(str(prefix) + ".pvar").write_text("#CHROM\tPOS\tID\tREF\tALT\n" + "".join(
        f"{c}\t{100 * (k + 1)}\tv{k}\tA\tG\n" for k, c in enumerate(chroms)))
    sex = sex or ["NA"] * n_samples
    fathers = fathers or ["0"] * n_samples
    Path(str(prefix) + ".psam").write_text("#IID\tPAT\tMAT\tSEX\n" + "".join(
        f"s{i}\t{fathers[i]}\t0\t{sex[i]}\n" for i in range(n_samples)))
    return prefix


def scoring_file(weights: list[list[float]] | np.ndarray, *, dominant: list[bool] | None = None,
                 recessive: list[bool] | None = None, ids: list[str] | None = None) -> ScoringFile:
    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[0]
    empty = np.array([""] * n, dtype=object)
    return ScoringFile(path="score.txt", score_ids=ids or [f"S{k}" for k in range(w.shape[1])], genome_build=None,
                       harmonized=False, metadata={}, chrom=np.array(["1"] * n, dtype=np.str_),
                       pos=np.arange(n, dtype=np.int64), rsid=empty, effect_allele=empty, other_allele=empty,
                       weights=w, is_dominant=np.array(dominant or [False] * n), is_recessive=np.array(
                           recessive or [False] * n), line=np.arange(2, n + 2, dtype=np.int64))


def matched(target_index: list[int], effect_is_alt: list[bool]) -> ScoreMatch:
    n = len(target_index)
    index = np.array(target_index, dtype=np.int64)
    return ScoreMatch(target_index=index, effect_is_alt=np.array(effect_is_alt),
                      strand_flipped=np.zeros(n, dtype=np.bool_),
                      status=np.array(["matched" if i >= 0 else "not_in_target" for i in index], dtype=object))


def small_target(tmp_path: Path) -> TargetReader:
    genotypes = np.array([[0, 1, 2, -9],
                          [2, 2, 0, 1],
                          [1, 0, 1, 2]])
    return open_target(write_pgen(tmp_path, genotypes, ["1", "1", "1"]))


# --------------------------------------------------------------------------------------------- hand-computed
def test_sums_averages_and_allele_counts_by_hand_with_a_flip(tmp_path):
    target = small_target(tmp_path)
    # v0 effect ALT weight 0.5; v1 effect REF weight -1; v2 not in this score (not matched)
    scoring = scoring_file([[0.5], [-1.0], [3.0]])
    result = score(target, scoring, matched([0, 1, -1], [True, False, True]), mean_impute=False)
    # REF dosage of v1 = 2 - ALT: [0, 0, 2, 1]
    np.testing.assert_allclose(result.sums[:, 0], [0.0, 0.5, 1.0 - 2.0, 0.0 - 1.0])
    np.testing.assert_array_equal(result.allele_counts[:, 0], [4, 4, 4, 2])
    # no-mean-imputation: the denominator is the allele count
    np.testing.assert_allclose(result.averages[:, 0], [0.0, 0.125, -0.25, -0.5])
    assert list(result.matched) == [2] and list(result.total) == [3] and list(result.imputed) == [0]
    assert result.samples == ["s0", "s1", "s2", "s3"] and result.score_ids == ["S0"]


def test_mean_imputation_needs_fifty_founders_like_plink2(tmp_path):
    target = small_target(tmp_path)
    with pytest.raises(InputError, match="at least 50 samples, the target has 4"):
        score(target, scoring_file([[1.0]]), matched([0], [True]))


def cohort(tmp_path: Path, chroms: list[str], genotypes: np.ndarray, **kwargs: list[str]) -> TargetReader:
    return open_target(write_pgen(tmp_path, genotypes, chroms, **kwargs))


def test_missing_calls_get_twice_the_founder_frequency(tmp_path):
    # 60 samples: founders 0..49 (25 hom ALT, 24 hom REF, one missing), non-founders 50..59 all hom ALT
    row = np.array([2] * 25 + [0] * 24 + [-9] + [2] * 10)
    fathers = ["0"] * 50 + ["s0"] * 10
    target = cohort(tmp_path, ["1"], row[None, :], fathers=fathers)
    alt = score(target, scoring_file([[1.0]]), matched([0], [True]))
    freq = 50 / 98  # ALT alleles / observed alleles among non-missing founders
    assert alt.sums[49, 0] == pytest.approx(2 * freq, rel=1e-15)
    assert alt.allele_counts[49, 0] == 0 and alt.averages[49, 0] == pytest.approx(freq)  # DENOM stays 2
    assert alt.sums[0, 0] == 2 and alt.averages[0, 0] == 1 and list(alt.imputed) == [1]
    ref = score(target, scoring_file([[1.0]]), matched([0], [False]))
    assert ref.sums[49, 0] == pytest.approx(2 * (1 - freq), rel=1e-15) and ref.sums[0, 0] == 0
    with_nonfounders = score(target, scoring_file([[1.0]]), matched([0], [True]), nonfounders=True)
    assert with_nonfounders.sums[49, 0] == pytest.approx(2 * 70 / 118, rel=1e-15)
    dropped = score(target, scoring_file([[1.0]]), matched([0], [True]), mean_impute=False)
    assert dropped.sums[49, 0] == 0 and np.isnan(dropped.averages[49, 0]) and list(dropped.imputed) == [0]


def test_dominant_and_recessive_coding_and_their_imputation(tmp_path):
    row = np.array([0, 1, 2, -9] + [2] * 20 + [0] * 36)  # founders: 43 ALT alleles of 118 observed
    target = cohort(tmp_path, ["1", "1"], np.stack([row, row]))
    scoring = scoring_file([[1.0], [10.0]], dominant=[True, False], recessive=[False, True])
    result = score(target, scoring, matched([0, 1], [True, True]))
    freq = 43 / 118
    # dominant: min(d, 1); recessive: max(d - 1, 0); a missing call gets f (plink2), not 2f
    np.testing.assert_allclose(result.sums[:3, 0], [0 + 0, 1 + 0, 1 + 10])
    assert result.sums[3, 0] == pytest.approx(freq + 10 * freq, rel=1e-15)
    assert list(result.allele_counts[:4, 0]) == [4, 4, 4, 0]
    flipped = score(target, scoring, matched([0, 1], [False, False]))  # REF dosages 2, 1, 0
    np.testing.assert_allclose(flipped.sums[:3, 0], [1 + 10, 1 + 0, 0 + 0])
    assert flipped.sums[3, 0] == pytest.approx(11 * (1 - freq), rel=1e-15)


def test_several_scores_one_pass_and_nan_weight_means_absent(tmp_path):
    target = small_target(tmp_path)
    scoring = scoring_file([[1.0, 2.0], [1.0, np.nan], [0.0, -1.0]])
    result = score(target, scoring, matched([0, 1, 2], [True, True, True]), mean_impute=False, chunk_size=1)
    np.testing.assert_allclose(result.sums[:, 0], [0 + 2, 1 + 2, 2 + 0, 0 + 1])
    np.testing.assert_allclose(result.sums[:, 1], [-1, 2, 4 - 1, -2])
    np.testing.assert_array_equal(result.allele_counts, [[6, 4], [6, 4], [6, 4], [4, 2]])
    assert list(result.matched) == [3, 2] and list(result.total) == [3, 2]


def test_chunking_and_repeated_target_rows_do_not_change_results(tmp_path):
    rng = np.random.default_rng(3)
    genotypes = rng.integers(0, 3, size=(40, 70))
    genotypes[rng.random(genotypes.shape) < 0.05] = -9
    target = cohort(tmp_path, ["1"] * 40, genotypes)
    weights = rng.normal(size=(45, 2))
    index = list(range(40)) + [3, 3, 7, 39, 0]  # some target rows twice
    alt = list(rng.random(45) < 0.5)
    scoring = scoring_file(weights)
    whole = score(target, scoring, matched(index, alt), chunk_size=1000)
    pieces = score(target, scoring, matched(index, alt), chunk_size=3)
    np.testing.assert_allclose(pieces.sums, whole.sums, rtol=1e-12)
    np.testing.assert_array_equal(pieces.allele_counts, whole.allele_counts)
    # the same as an explicit per-genotype computation
    values = genotypes[index].astype(float)
    values[values == -9] = np.nan
    values = np.where(np.array(alt)[:, None], values, 2 - values)
    freq = np.nanmean(values, axis=1) / 2
    values = np.where(np.isnan(values), 2 * freq[:, None], values)
    np.testing.assert_allclose(whole.sums, values.T @ weights, rtol=1e-12)


def test_chrx_males_are_coded_zero_to_two_and_counted_as_one_allele_for_frequency(tmp_path):
    # males 0..29 (hemizygous calls stored 0/2), females 30..59; one missing male, one missing female
    males = [2] * 10 + [0] * 19 + [-9]
    females = [2] * 5 + [1] * 10 + [0] * 14 + [-9]
    sex = ["1"] * 30 + ["2"] * 30
    target = cohort(tmp_path, ["X"], np.array([males + females]), sex=sex)
    result = score(target, scoring_file([[1.0]]), matched([0], [True]))
    freq = (20 / 2 + 20) / (29 + 2 * 29)  # male ALT count halved, one observed allele per male
    assert result.sums[0, 0] == 2 and result.sums[29, 0] == pytest.approx(2 * freq, rel=1e-15)
    assert result.sums[59, 0] == pytest.approx(2 * freq, rel=1e-15)
    assert result.allele_counts[0, 0] == 2 and result.allele_counts[29, 0] == 0 and result.averages[0, 0] == 1


def test_chry_scores_males_only_and_mt_is_haploid(tmp_path):
    y = [2] * 10 + [0] * 19 + [-9] + [2] * 30  # females' chrY calls are ignored
    mt = [2] * 20 + [0] * 39 + [-9]
    sex = ["1"] * 30 + ["2"] * 20 + ["NA"] * 10
    target = cohort(tmp_path, ["Y", "MT"], np.array([y, mt]), sex=sex)
    result = score(target, scoring_file([[1.0], [0.0]]), matched([0, -1], [True, True]))
    assert result.sums[0, 0] == 1 and result.allele_counts[0, 0] == 1 and result.averages[0, 0] == 1
    assert result.sums[29, 0] == pytest.approx(10 / 29, rel=1e-15)  # imputed f from males
    assert result.sums[30, 0] == 0 and result.allele_counts[30, 0] == 0 and np.isnan(result.averages[30, 0])
    assert result.sums[55, 0] == 0 and result.allele_counts[55, 0] == 0
    mito = score(target, scoring_file([[1.0]]), matched([1], [False]))  # REF on MT
    assert mito.sums[0, 0] == 0 and mito.sums[30, 0] == 1 and mito.allele_counts[30, 0] == 1
    assert mito.sums[59, 0] == pytest.approx(39 / 59, rel=1e-15)


def test_refusals(tmp_path):
    target = cohort(tmp_path, ["X", "1"], np.zeros((2, 60), dtype=int))
    with pytest.raises(InputError, match="dominant/recessive weights on chrX") as caught:
        score(target, scoring_file([[1.0]], dominant=[True]), matched([0], [True]))
    assert caught.value.location == "line 2" and caught.value.source == "score.txt"
    with pytest.raises(InputError, match="both dominant and recessive"):
        score(target, scoring_file([[1.0]], dominant=[True], recessive=[True]), matched([1], [True]))
    vcf = tmp_path / "y.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\nY\t10\ty1\tA\tG\t.\t.\t.\tGT\t1\n")
    with pytest.raises(InputError, match="chrY variants but the target .* gives no sample sex"):
        score(open_target(vcf), scoring_file([[1.0]]), matched([0], [True]), mean_impute=False)


def test_multiallelic_ref_effect_counts_the_ref_allele(tmp_path):
    vcf = tmp_path / "m.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\n"
                   "1\t10\tm\tA\tC,G\t.\t.\t.\tGT\t0/1\t1/2\t0/0\n")
    target = open_target(vcf)
    result = score(target, scoring_file([[1.0], [10.0]]), matched([1, 0], [False, True]), mean_impute=False)
    # row 1 is the G allele; its effect REF dosage is the A count (not 2 - G count); row 0 adds 10 x C count
    np.testing.assert_allclose(result.sums[:, 0], [1 + 10, 0 + 10, 2 + 0])


# --------------------------------------------------------------------------------------------- against plink2
def run_plink2(args: list[str], out: Path) -> dict[str, list[str]]:
    done = subprocess.run(["plink2", *args, "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, Path(str(out) + ".log").read_text()[-800:]
    lines = Path(str(out) + ".sscore").read_text().splitlines()
    header = lines[0].lstrip("#").split("\t")
    return {name: [line.split("\t")[k] for line in lines[1:]] for k, name in enumerate(header)}


needs_plink2 = pytest.mark.skipif(shutil.which("plink2") is None,
                                  reason="plink2 is not on PATH (Debian: apt-get install plink2)")


@needs_plink2
def test_sex_chromosomes_founders_and_missing_calls_agree_with_plink2(tmp_path):
    rng = np.random.default_rng(5)
    n = 80
    chroms = ["1", "1", "X", "X", "Y", "MT", "2"]
    genotypes = rng.integers(0, 3, size=(len(chroms), n))
    sex = ["1"] * 30 + ["2"] * 30 + ["NA"] * 20
    genotypes[2:5, :30] = 2 * rng.integers(0, 2, size=(3, 30))  # male hemizygous calls
    genotypes[4:6] = 2 * rng.integers(0, 2, size=(2, n))
    genotypes[rng.random(genotypes.shape) < 0.08] = -9
    genotypes[6] = -9  # nobody observed: plink2 imputes with frequency 0.5
    fathers = ["0"] * 70 + ["s1"] * 10
    prefix = write_pgen(tmp_path, genotypes, chroms, sex=sex, fathers=fathers)
    target = open_target(prefix)
    alt = rng.random(len(chroms)) < 0.5
    weights = np.round(rng.normal(size=(len(chroms), 1)), 3)
    ours = score(target, scoring_file(weights), matched(list(range(len(chroms))), list(alt)))
    score_path = tmp_path / "w.score"
    score_path.write_text("ID\tA1\tW\n" + "".join(
        f"v{k}\t{'G' if alt[k] else 'A'}\t{weights[k, 0]}\n" for k in range(len(chroms))))
    theirs = run_plink2(["--pfile", str(prefix), "--score", str(score_path), "1", "2", "3", "header-read",
                         "cols=+scoresums,+denom"], tmp_path / "out")
    assert theirs["IID"] == ours.samples
    np.testing.assert_allclose(ours.sums[:, 0], np.array(theirs["W_SUM"], dtype=float), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.allele_counts[:, 0], np.array(theirs["ALLELE_CT"], dtype=int))
    denom = np.array(theirs["DENOM"], dtype=float)
    np.testing.assert_allclose(ours.averages[:, 0], np.array(theirs["W_SUM"], dtype=float) / denom, rtol=1e-5,
                               atol=1e-6)


@needs_plink2
def test_example_target_scores_agree_with_plink2_in_all_formats(tmp_path):
    examples = shared_path("risk", "pgsc-examples")
    prefix = examples / "target_genomes" / "cineca_synthetic_subset"
    text = (examples / "scorefiles" / "scorefile.txt").read_text()
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith(("#", "chr_name"))]
    for ext, flag in ((".pgen", ["--pfile", str(prefix)]), (".bed", ["--bfile", str(prefix)]),
                      (".vcf.gz", ["--vcf", str(prefix) + ".vcf.gz"])):
        target = open_target(str(prefix) + ext)
        tv = target.variants
        where = {(str(c), int(p)): k for k, (c, p) in enumerate(zip(tv.chrom, tv.pos, strict=True))}
        index, alt, weights, lines = [], [], [], []
        for chrom, pos, effect, other, weight in rows:
            k = where.get((chrom, int(pos)), -1)
            if k >= 0 and {effect, other} == {tv.ref[k], tv.alt[k]}:
                index.append(k)
                alt.append(effect == tv.alt[k])
                weights.append([float(weight)])
                lines.append(f"{tv.variant_id[k]}\t{effect}\t{weight}\n")
        assert len(index) == 829
        ours = score(target, scoring_file(weights), matched(index, alt))
        score_path = tmp_path / "m.score"
        score_path.write_text("ID\tA1\tW\n" + "".join(lines))
        theirs = run_plink2([*flag, "--score", str(score_path), "1", "2", "3", "header-read",
                             "cols=+scoresums,+denom"], tmp_path / ext.strip("."))
        assert theirs["IID"] == ours.samples
        # plink2 prints 6 significant digits; benchmarks/prs_plink2.py shows agreement to ~1e-12
        np.testing.assert_allclose(ours.sums[:, 0], np.array(theirs["W_SUM"], dtype=float), rtol=1e-5)
        np.testing.assert_array_equal(ours.allele_counts[:, 0], np.array(theirs["ALLELE_CT"], dtype=int))
        assert sorted(set(ours.allele_counts[:, 0].tolist())) == [1654, 1656, 1658]
        assert int(ours.imputed[0]) == 96


def test_two_threads_one_thread_and_the_general_path_agree_with_a_direct_computation(tmp_path, monkeypatch):
    # 90 samples, 10 of them non-founders; 5% missing calls; rows on chr1 (plain kernel) plus dominant and
    # repeated rows (general path); two scores, one leaving rows out with NaN weights
    rng = np.random.default_rng(17)
    n_variants, n_samples = 120, 90
    genotypes = rng.integers(0, 3, size=(n_variants, n_samples))
    genotypes[rng.random(genotypes.shape) < 0.05] = -9
    fathers = ["0"] * 80 + ["s0"] * 10
    target = cohort(tmp_path, ["1"] * n_variants, genotypes, fathers=fathers)
    index = list(range(n_variants)) + [5, 6, 77]
    alt = list(rng.random(len(index)) < 0.5)
    weights = rng.normal(size=(len(index), 2))
    weights[rng.random(len(index)) < 0.2, 1] = np.nan
    dominant = [False] * len(index)
    for row in (3, 40, 41):
        dominant[row] = True
    scoring = scoring_file(weights, dominant=dominant)
    match = matched(index, alt)
    opened = []
    twin_reader = type(target).reader_for_thread

    def spy(reader):
        opened.append(reader)
        return twin_reader(reader)

    monkeypatch.setattr(type(target), "reader_for_thread", spy)
    two = score(target, scoring, match, chunk_size=8, threads=2)
    assert len(opened) == 1  # the plain rows were split between two readers
    one = score(target, scoring, match, chunk_size=8, threads=1)
    whole = score(target, scoring, match, chunk_size=1000)
    assert len(opened) == 1
    for other in (one, whole):
        np.testing.assert_allclose(two.sums, other.sums, rtol=1e-12)
        np.testing.assert_array_equal(two.allele_counts, other.allele_counts)
        np.testing.assert_array_equal(two.imputed, other.imputed)
    # direct: effect-allele dosages, founders' frequency of the effect allele, 2f (f when dominant) if missing
    dosage = genotypes[index].astype(float)
    dosage[dosage == -9] = np.nan
    value = np.where(np.array(alt)[:, None], dosage, 2 - dosage)
    freq = np.nanmean(value[:, :80], axis=1) / 2
    dom = np.array(dominant)
    filled = np.where(np.isnan(value), np.where(dom, 1.0, 2.0)[:, None] * freq[:, None],
                      np.where(dom[:, None], np.minimum(value, 1.0), value))
    present = np.isfinite(weights)
    np.testing.assert_allclose(two.sums, filled.T @ np.nan_to_num(weights), rtol=1e-12, atol=1e-12)
    counts = (2 * ~np.isnan(value)).T @ present
    np.testing.assert_array_equal(two.allele_counts, counts)
    np.testing.assert_array_equal(two.imputed, np.isnan(value).sum(axis=1) @ present)
