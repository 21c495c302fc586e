"""Age of onset as data: HPO onset terms, the nine ordered onset periods they cover, and the parsing of
ages (ISO 8601 durations) and onset terms given by a phenopacket or on the command line.

Readers (``io/phenopacket.py``) and the rare-disease engine (``rare/onset.py``, which scores onset
against each disease's annotated periods) share these definitions.

>>> onset_term_for_age("P7Y", source="example", location="onset")  # 5 to 15 years: juvenile onset
'HP:0003621'
>>> earliest(["HP:0003581", "HP:0003593"])  # adult vs infantile
'HP:0003593'
"""

from __future__ import annotations

import re

from tailormed.errors import InputError

N_BINS = 9


#: HPO onset term -> the period bins it covers.
ONSET_TERM_BINS: dict[str, tuple[int, ...]] = {
    "HP:0030674": (0,), "HP:0011460": (0,), "HP:0011461": (0,), "HP:0034197": (0,), "HP:0034198": (0,),
    "HP:0034199": (0,),
    "HP:0003577": (1,),
    "HP:0003623": (2,),
    "HP:0003593": (3,),
    "HP:0011463": (4,),
    "HP:0003621": (5,),
    "HP:0410280": (3, 4, 5),  # Pediatric onset: before 16 years, not congenital or neonatal
    "HP:0003581": (6, 7, 8),  # Adult onset
    "HP:0011462": (6,), "HP:0025708": (6,), "HP:0025709": (6,), "HP:0025710": (6,),
    "HP:0003596": (7,),
    "HP:0003584": (8,),
    "HP:4000040": (6, 7),  # Puerperal onset
    "HP:6000314": (7,),  # Perimenopausal onset
    "HP:6000315": (7, 8),  # Postmenopausal onset
}


#: The single-period term named for each bin (what an age is reported as).
BIN_TERMS = ("HP:0030674", "HP:0003577", "HP:0003623", "HP:0003593", "HP:0011463", "HP:0003621", "HP:0011462",
             "HP:0003596", "HP:0003584")


_NUMBER = r"(\d+(?:[.,]\d+)?)"


_DURATION = re.compile(rf"^P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
                       rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$")


def onset_term_for_age(iso8601_duration: str, *, source: str, location: str) -> str:
    """The onset term of an age given as an ISO 8601 duration ('P1Y6M', 'P3W'); a malformed age is an error."""
    match = _DURATION.match(iso8601_duration.strip())
    if match is None:
        raise InputError(f"{iso8601_duration!r} is not an ISO 8601 age (e.g. 'P2Y6M')", source=source,
                         location=location)
    years, months, weeks, days, hours, minutes, seconds = (float(part.replace(",", ".")) if part else 0.0
                                                          for part in match.groups())
    age = years + months / 12 + (weeks * 7 + days + hours / 24 + minutes / 1440 + seconds / 86400) / 365.25
    limits = ((28 / 365.25, 2), (1, 3), (5, 4), (16, 5), (40, 6), (60, 7))
    if age == 0:
        return BIN_TERMS[1]
    return BIN_TERMS[next((b for limit, b in limits if age < limit), 8)]


def onset_term_from_text(text: str, *, source: str) -> str:
    """An onset given as text (``--onset``): an HPO onset term (HP:0003674 branch) or an ISO 8601 age."""
    value = text.strip()
    if value.upper().startswith("HP:"):
        if value.upper() not in ONSET_TERM_BINS:
            raise InputError(f"{value} is not an HPO onset term (e.g. HP:0003577 congenital, HP:0003593 infantile, "
                             "HP:0011463 childhood, HP:0003581 adult)", source=source)
        return value.upper()
    return onset_term_for_age(value, source=source, location=value)


def onset_term_of(element: object, *, source: str, location: str) -> str | None:
    """The onset term of a phenopacket TimeElement (``ontologyClass``, ``age``, ``gestationalAge``), if it
    states one; other forms (timestamps, intervals) and non-onset classes give None."""
    if not isinstance(element, dict):
        return None
    if isinstance(element.get("ontologyClass"), dict):
        term = str(element["ontologyClass"].get("id", ""))
        return term if term in ONSET_TERM_BINS else None
    if isinstance(element.get("age"), dict) and element["age"].get("iso8601duration"):
        return onset_term_for_age(str(element["age"]["iso8601duration"]), source=source, location=location)
    if isinstance(element.get("gestationalAge"), dict):
        return BIN_TERMS[0]
    return None


def earliest(terms: list[str]) -> str | None:
    """The onset term of the earliest period among ``terms`` (a broad term counts from its first bin)."""
    known = [t for t in terms if t in ONSET_TERM_BINS]
    return min(known, key=lambda t: (ONSET_TERM_BINS[t][0], len(ONSET_TERM_BINS[t]))) if known else None
