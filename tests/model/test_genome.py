"""Chromosome names, variant keys and allele trimming (tailormed.model.genome): one spelling for every reader."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailormed.model.genome import (
    MITOCHONDRION,
    normalise_chrom,
    normalise_variant_key,
    parsimonious,
    split_variant_key,
    trim_alleles,
    ucsc_chrom,
    variant_key,
)

PREFIXES = ("", "chr", "CHR", "Chr", "cHr")
NAMES = st.one_of(
    st.sampled_from([str(n) for n in range(1, 23)] + ["X", "Y", "x", "y", "M", "MT", "m", "mt", "Mt", "XY",
                                                      "1_KI270706v1_random", "Un_GL000195v1", "chr", ""]),
    st.text(alphabet="chrCHRMTXYmtxy0123456789_.", max_size=12),
    st.text(max_size=12),
)
BASES = st.text(alphabet="ACGT", min_size=1, max_size=8)


def spell(name: str, prefix: str, upper: bool) -> str:
    return prefix + (name.upper() if upper else name)


# --- chromosome names ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("1", "1"), ("chr1", "1"), ("CHR22", "22"), ("Chr7", "7"), ("chrX", "X"), ("x", "X"), ("chry", "Y"),
    ("chrM", "MT"), ("chrMT", "MT"), ("M", "MT"), ("MT", "MT"), ("mt", "MT"), ("chrm", "MT"), ("XY", "XY"),
    ("chr1_KI270706v1_random", "1_KI270706v1_random"), ("chrUn_GL000195v1", "Un_GL000195v1"), ("", ""),
])
def test_normalise_chrom(raw: str, expected: str) -> None:
    assert normalise_chrom(raw) == expected


@given(NAMES)
def test_normalise_chrom_is_idempotent_and_leaves_no_prefix(name: str) -> None:
    once = normalise_chrom(name)
    assert normalise_chrom(once) == once
    assert once[:3].lower() != "chr"


@given(NAMES, st.sampled_from(PREFIXES))
def test_a_chr_prefix_in_any_case_does_not_change_the_chromosome(name: str, prefix: str) -> None:
    assert normalise_chrom(prefix + name) == normalise_chrom(name)


@given(st.sampled_from(["M", "MT"]), st.sampled_from(PREFIXES), st.lists(st.booleans(), min_size=2, max_size=2))
def test_every_spelling_of_the_mitochondrion_is_mt(name: str, prefix: str, upper: list[bool]) -> None:
    cased = "".join(c.upper() if up else c.lower() for c, up in zip(name, upper, strict=False))
    assert normalise_chrom(prefix + cased) == MITOCHONDRION == "MT"


@given(st.sampled_from([str(n) for n in range(1, 23)] + ["X", "Y", "M", "MT"]), st.sampled_from(PREFIXES),
       st.booleans())
def test_ucsc_spelling_names_the_same_chromosome(name: str, prefix: str, upper: bool) -> None:
    spelled = spell(name, prefix, upper)
    assert ucsc_chrom(spelled).startswith("chr")
    assert normalise_chrom(ucsc_chrom(spelled)) == normalise_chrom(spelled)
    assert ucsc_chrom(ucsc_chrom(spelled)) == ucsc_chrom(spelled)
    assert (ucsc_chrom(spelled) == "chrM") == (normalise_chrom(spelled) == "MT")


# --- variant keys ----------------------------------------------------------------------------------------------

@given(NAMES.filter(lambda n: n != ""), st.integers(1, 250_000_000), BASES, BASES, st.sampled_from(PREFIXES))
def test_variant_keys_split_back_and_ignore_the_prefix(chrom: str, pos: int, ref: str, alt: str, prefix: str) -> None:
    key = variant_key(prefix + chrom, pos, ref, alt)
    assert key == variant_key(chrom, str(pos), ref, alt)
    assert split_variant_key(key) == (normalise_chrom(chrom), pos, ref, alt)
    assert normalise_variant_key(key) == key
    assert normalise_variant_key(f"{prefix}{chrom}-{pos}-{ref}-{alt}") == key


def test_a_key_is_split_from_the_right_so_contig_names_may_hold_dashes() -> None:
    assert split_variant_key("HLA-A*01:01:01:01-100-A-T") == ("HLA-A*01:01:01:01", 100, "A", "T")


def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(ValueError):
        split_variant_key("1-100-A")
    with pytest.raises(ValueError):
        split_variant_key("1-x-A-T")


# --- allele trimming -------------------------------------------------------------------------------------------

def apply(sequence: str, start: int, ref: str, alt: str) -> str:
    """The sequence with ``ref`` at 0-based ``start`` replaced by ``alt``."""
    assert sequence[start:start + len(ref)] == ref
    return sequence[:start] + alt + sequence[start + len(ref):]


@pytest.mark.parametrize(("ref", "alt", "expected"), [
    ("CAT", "CATAT", ("C", "CAT")), ("ATT", "AT", ("AT", "A")), ("ATT", "A", ("ATT", "A")), ("C", "T", ("C", "T")),
    ("CA", "CT", ("CA", "CT")), ("AAA", "AAA", ("A", "A")), ("A", "<DEL>", ("A", "<DEL>")), ("A", "*", ("A", "*")),
])
def test_trim_alleles_drops_the_common_suffix_only(ref: str, alt: str, expected: tuple[str, str]) -> None:
    assert trim_alleles(ref, alt) == expected


@pytest.mark.parametrize(("pos", "ref", "alt", "expected"), [
    (100, "ATT", "AT", (100, "AT", "A")), (100, "CA", "CT", (101, "A", "T")), (100, "CAT", "CATAT", (100, "C", "CAT")),
    (100, "GCAT", "GCTT", (102, "A", "T")), (100, "A", "<DEL>", (100, "A", "<DEL>")),
    (100, "AC", "A*", (100, "AC", "A*")), (100, "TTA", "TTA", (100, "T", "T")), (100, "acg", "aTg", (101, "c", "T")),
])
def test_parsimonious_trims_suffix_then_prefix(pos: int, ref: str, alt: str, expected: tuple[int, str, str]) -> None:
    assert parsimonious(pos, ref, alt) == expected


@given(BASES, BASES, st.text(alphabet="ACGT", max_size=6), st.text(alphabet="ACGT", max_size=6))
def test_trim_alleles_keeps_a_base_and_the_meaning(ref: str, alt: str, before: str, after: str) -> None:
    short_ref, short_alt = trim_alleles(ref, alt)
    assert len(short_ref) >= 1 and len(short_alt) >= 1
    assert ref.startswith(short_ref) and alt.startswith(short_alt)  # the anchor does not move
    assert len(ref) - len(short_ref) == len(alt) - len(short_alt)
    assert short_ref[-1] != short_alt[-1] or min(len(short_ref), len(short_alt)) == 1
    sequence = before + ref + after
    assert apply(sequence, len(before), short_ref, short_alt) == apply(sequence, len(before), ref, alt)
    assert trim_alleles(short_ref, short_alt) == (short_ref, short_alt)


@given(st.integers(1, 1_000_000), BASES, BASES, st.text(alphabet="ACGT", max_size=6),
       st.text(alphabet="ACGT", max_size=6))
def test_parsimonious_keeps_a_base_and_the_meaning(pos: int, ref: str, alt: str, before: str, after: str) -> None:
    new_pos, short_ref, short_alt = parsimonious(pos, ref, alt)
    assert len(short_ref) >= 1 and len(short_alt) >= 1
    shift = new_pos - pos
    assert shift >= 0 and ref[shift:].startswith(short_ref) and alt[shift:].startswith(short_alt)
    sequence = before + ref + after
    start = len(before)
    assert apply(sequence, start + shift, short_ref, short_alt) == apply(sequence, start, ref, alt)
    # Parsimonious: no common last base, and no common first base unless it is the one base left of an allele.
    assert short_ref[-1] != short_alt[-1] or min(len(short_ref), len(short_alt)) == 1
    assert short_ref[0] != short_alt[0] or min(len(short_ref), len(short_alt)) == 1
    assert parsimonious(new_pos, short_ref, short_alt) == (new_pos, short_ref, short_alt)


@given(st.integers(1, 1_000_000), BASES, BASES)
def test_parsimonious_of_a_suffix_trimmed_pair_is_the_same(pos: int, ref: str, alt: str) -> None:
    assert parsimonious(pos, *trim_alleles(ref, alt)) == parsimonious(pos, ref, alt)
