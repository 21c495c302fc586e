"""HLA allele names (WHO nomenclature), the HLA and IHC forms of the alteration language, and what a typing says
about a required allele or P group."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailormed.errors import InputError
from tailormed.model.alterations import HlaPattern, ScoredMarker, parse_alteration
from tailormed.model.hla import HLA_LOCI, carries, parse_hla_allele


@pytest.mark.parametrize(("text", "name", "group", "expression"), [
    ("A*02:01", "A*02:01", None, None),
    ("HLA-A*02:01:01:01", "A*02:01:01:01", None, None),
    ("  hla-b*57:01 ", "B*57:01", None, None),
    ("A*02", "A*02", None, None),
    ("A*02:101", "A*02:101", None, None),
    ("A*02:01P", "A*02:01P", "P", None),
    ("A*02:01:01G", "A*02:01:01G", "G", None),
    ("A*24:09N", "A*24:09N", None, "N"),
    ("DRB1*15:01:01:01", "DRB1*15:01:01:01", None, None),
    ("DQB1*06:02", "DQB1*06:02", None, None),
])
def test_well_formed_alleles_are_read_and_normalised(text: str, name: str, group: str | None,
                                                     expression: str | None) -> None:
    allele = parse_hla_allele(text)
    assert (allele.name, allele.group, allele.expression) == (name, group, expression)


@pytest.mark.parametrize(("text", "message"), [
    ("A*0201", "pre-2010 notation"),
    ("A02:01", "malformed HLA allele"),
    ("Z*02:01", "unknown locus 'Z'"),
    ("A*02:XX", "malformed HLA allele"),
    ("A*2:01", "2-4 digits"),
    ("A*02:01:01:01:01", "one to four"),
    ("A*02:01:01P", "a P group has two fields"),
    ("A*02:01G", "a G group has three fields"),
    ("A*02N", "an expression suffix needs at least two fields"),
    ("A*02:01X", "unknown suffix 'X'"),
    ("", "malformed HLA allele"),
])
def test_malformed_alleles_are_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hla_allele(text)


_FIELD = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:02d}")


@given(st.sampled_from(sorted(HLA_LOCI)), st.lists(_FIELD, min_size=1, max_size=4), st.booleans())
def test_every_well_formed_name_round_trips(locus: str, fields: list[str], prefix: bool) -> None:
    name = f"{locus}*{':'.join(fields)}"
    allele = parse_hla_allele(("HLA-" if prefix else "") + name)
    assert allele.name == name and parse_hla_allele(allele.name) == allele


@given(st.text(max_size=30))
def test_any_text_is_read_or_refused_with_a_value_error(text: str) -> None:
    try:
        allele = parse_hla_allele(text)
    except ValueError as exc:
        assert "HLA allele" in str(exc)
    else:
        assert allele.locus in HLA_LOCI


@pytest.mark.parametrize(("required", "typed", "expected"), [
    ("A*02:01", "A*02:01", True),
    ("A*02:01", "A*02:01:01:01", True),
    ("A*02:01", "A*02:01:01:02L", None),  # expression in doubt
    ("A*02:01", "A*02:01N", False),  # null allele: not expressed
    ("A*02:01", "A*02:05", False),
    ("A*02:01", "A*03:01", False),
    ("A*02:01", "B*02:01", False),
    ("A*02:01", "A*02", None),  # one field: cannot tell
    ("A*02:01", "A*02:01P", None),  # the P group holds other alleles too
    ("A*02:01", "A*02:05P", False),
    ("A*02:01", "A*02:01:01G", None),
    ("A*02", "A*02:06", True),
    ("A*02", "A*24:02", False),
    ("A*02:01P", "A*02:01:01:01", True),
    ("A*02:01P", "A*02:01:01G", True),
    ("A*02:01P", "A*02:01P", True),
    ("A*02:01P", "A*02:06P", False),
    ("A*02:01P", "A*02:06", False),  # named after another P group of the label
    ("A*02:01P", "A*02:09", None),  # membership is in the WHO P-group table, not here
    ("A*02:01P", "A*02", None),
])
def test_whether_a_typed_allele_is_the_required_one(required: str, typed: str, expected: bool | None) -> None:
    assert carries(parse_hla_allele(required), parse_hla_allele(typed)) is expected


def test_the_alteration_language_reads_hla_and_ihc_requirements() -> None:
    (hla,) = parse_alteration("HLA-A*02:01").alternatives
    assert isinstance(hla, HlaPattern) and hla.present and hla.allele.name == "A*02:01"
    (absent,) = parse_alteration("not HLA-A*02:05P").alternatives
    assert isinstance(absent, HlaPattern) and not absent.present and absent.allele.group == "P"
    either = parse_alteration("HLA-A*02:01P | HLA-A*02:02P").alternatives
    assert [a.allele.name for a in either if isinstance(a, HlaPattern)] == ["A*02:01P", "A*02:02P"]
    assert parse_alteration("FOLR1 IHC 2+ >= 75%").alternatives == (ScoredMarker("FOLR1", "2+", 75.0),)
    assert parse_alteration("c-MET IHC 3+ >= 50%").alternatives == (ScoredMarker("c-MET", "3+", 50.0),)
    assert parse_alteration("CLDN18.2 IHC 2+ >= 75%").alternatives[0].is_ihc  # type: ignore[union-attr]
    assert not ScoredMarker("PD-L1", "TPS", 50).is_ihc
    assert parse_alteration("HLA-A*02:01").genes == set()


@pytest.mark.parametrize(("text", "message"), [
    ("FOLR2 IHC 2+ >= 75%", "unknown IHC marker 'FOLR2'"),
    ("FOLR1 IHC 4+ >= 75%", r"intensity must be 1\+, 2\+ or 3\+"),
    ("FOLR1 IHC 2+ >= 175%", "at most 100"),
    ("HLA-A*02:01:01G", "a requirement names an allele"),
    ("HLA-A*0201", "pre-2010 notation"),
    ("not HLA-A*02:05N", "a requirement names an allele"),
])
def test_malformed_marker_requirements_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_alteration(text, source="pack")
