"""TMB counting rule, confidence interval and callable territory."""

import gzip
from pathlib import Path

import pytest
from scipy.stats import poisson

from tailormed.errors import InputError
from tailormed.io.bed import callable_mb_from_bed
from tailormed.model.onco import SomaticVariant
from tailormed.onco.tmb import TmbSettings, compute_tmb, poisson_interval


def call(consequence: str, **extra: object) -> SomaticVariant:
    return SomaticVariant(gene="G", consequence=consequence, source="t:1", **extra)  # type: ignore[arg-type]


def test_counting_rule_and_filters() -> None:
    variants = [call("missense", pos=i, vaf=0.3, depth=100) for i in range(8)] + [
        call("nonsense", pos=100), call("frameshift", pos=101), call("inframe_deletion", pos=102),
        call("synonymous", pos=103), call("splice_site", pos=104), call("noncoding", pos=105),
        call("missense", pos=106, vaf=0.02, depth=100), call("missense", pos=107, vaf=0.3, depth=10),
        call("missense", pos=108, origin="germline"), call("missense", pos=0, vaf=0.3, depth=100),  # duplicate of pos 0
    ]
    result = compute_tmb(variants, callable_mb=1.1)
    assert result.eligible_mutations == 11
    assert result.tmb == pytest.approx(10.0)
    assert result.high
    assert result.excluded == {"VAF < 0.05": 1, "depth < 25": 1, "duplicate call": 1, "germline": 1,
                               "not counted: noncoding": 1, "not counted: splice_site": 1,
                               "not counted: synonymous": 1}
    strict = compute_tmb(variants, callable_mb=1.1, settings=TmbSettings(min_vaf=0.5))
    assert strict.eligible_mutations == 3 and not strict.high


def test_poisson_interval_is_exact() -> None:
    low, high = poisson_interval(10)
    # Garwood bounds: P(X >= 10 | low) = P(X <= 10 | high) = 2.5%
    assert poisson.sf(9, low) == pytest.approx(0.025, rel=1e-6)
    assert poisson.cdf(10, high) == pytest.approx(0.025, rel=1e-6)
    assert poisson_interval(0)[0] == 0.0


def test_bed_territory_merges_overlaps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bed = tmp_path / "panel.bed"
    bed.write_text("track name=x\nchr1\t0\t500000\nchr1\t400000\t1000000\nchr2\t0\t250000\n")
    assert callable_mb_from_bed(bed) == pytest.approx(1.25)
    bed.write_text("chr1\tten\t20\n")
    with pytest.raises(InputError, match="panel.bed:line 1"):
        callable_mb_from_bed(bed)
    with pytest.raises(InputError):
        compute_tmb([], callable_mb=0)


@pytest.mark.parametrize(("text", "message"), [
    ("chr1\t-5\t100\n", "line 1: expected chrom, start, end"),
    ("chr1\t1.5\t100\n", "line 1: expected chrom, start, end"),
    ("chr1\t0\t1_000\n", "line 1: expected chrom, start, end"),
    ("chr1\t0\t99999999999999999999\n", "line 1: expected chrom, start, end"),
    ("chr1\t0\t248956423\n", r"line 1: invalid interval 0-248956423 \(0 <= start <= end <= 248956422"),
    ("chr1\t200\t100\n", "line 1: invalid interval 200-100"),
    ("track name=x\n", "BED file has no intervals"),
])
def test_bed_coordinates_are_whole_grch38_numbers(tmp_path: Path, text: str, message: str) -> None:
    bed = tmp_path / "panel.bed"
    bed.write_text(text)
    with pytest.raises(InputError, match=message):
        callable_mb_from_bed(bed)


def test_bed_gzip_crlf_and_unreadable_files(tmp_path: Path) -> None:
    plain = b"chr1\t0\t1000000\r\nchr2\t0\t500000\r\n"
    (tmp_path / "panel.bed.gz").write_bytes(gzip.compress(plain))
    assert callable_mb_from_bed(tmp_path / "panel.bed.gz") == pytest.approx(1.5)
    (tmp_path / "cut.bed.gz").write_bytes(gzip.compress(plain)[:20])
    with pytest.raises(InputError, match="cut.bed.gz: cannot read"):
        callable_mb_from_bed(tmp_path / "cut.bed.gz")
    (tmp_path / "latin1.bed").write_bytes(b"chr1\t0\t100\n# caf\xe9\n")
    with pytest.raises(InputError, match="latin1.bed: not UTF-8 text"):
        callable_mb_from_bed(tmp_path / "latin1.bed")
    with pytest.raises(InputError, match="is a folder, not a BED file"):
        callable_mb_from_bed(tmp_path)
