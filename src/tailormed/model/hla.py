"""HLA alleles in WHO nomenclature, and whether a typed allele is a required allele or P group.

Names follow the WHO Nomenclature Committee for Factors of the HLA System (hla.alleles.org/nomenclature): a locus,
``*``, then one to four colon-separated fields of digits, optionally followed by one letter.

===================  ==============================================================================
``A*02``             allele group (one field: the serological-level type)
``A*02:01``          a specific HLA protein (two fields: what a "high-resolution" typing reports)
``A*02:01:01:01``    three and four fields: synonymous and non-coding differences
``A*02:01P``         P group: alleles whose antigen-recognition domain (exons 2 and 3) encodes the
                     same protein as A*02:01 (two fields + ``P``)
``A*02:01:01G``      G group: alleles with the same exon 2 and 3 nucleotide sequence (three fields + ``G``)
``A*24:09N``         expression suffix: N null (not expressed), L low, S secreted, C cytoplasm,
                     A aberrant, Q questionable
===================  ==============================================================================

An ``HLA-`` prefix is optional in typing results. The pre-2010 notation without colons (``A*0201``) is refused:
it is ambiguous once a field has three digits (``A*02101`` is A*02:101). Multiple-allele codes (``A*02:XX``,
``A*02:AB``) are refused: write the allele group (``A*02``) for a low-resolution result.

>>> parse_hla_allele("HLA-A*02:01:01:01").name
'A*02:01:01:01'
>>> parse_hla_allele("a*02:01p").name
'A*02:01P'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

HLA_LOCI = frozenset({"A", "B", "C", "E", "F", "G", "DRA", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1",
                      "DPB1", "DMA", "DMB", "DOA", "DOB"})
"""Loci accepted in typing results: the classical class I and II genes and the common non-classical ones."""
EXPRESSION_SUFFIXES = frozenset("NLSCAQ")

P_GROUPS_IN_LABELS = frozenset({"A*02:01P", "A*02:02P", "A*02:03P", "A*02:05P", "A*02:06P"})
"""P groups that the labels TailorMed cites name (TECELRA, afamitresgene autoleucel). Each is a P group of the WHO
table, so the allele it is named after belongs to it and, P groups being disjoint, to no other: A*02:01 is not in
A*02:05P. Other alleles' P-group membership is not known here (the WHO P-group table is not carried)."""

_ALLELE = re.compile(r"^(?:HLA-)?(?P<locus>[A-Z]+[0-9]?)\*(?P<fields>[0-9]+(?::[0-9]+)*)(?P<suffix>[A-Z])?$")
_FIELD = re.compile(r"^[0-9]{2,4}$")


@dataclass(frozen=True)
class HlaAllele:
    """One HLA allele, allele group, P group or G group."""

    locus: str
    fields: tuple[str, ...]
    suffix: str | None = None
    """An expression suffix (N, L, S, C, A, Q) or a group letter (P, G)."""

    @property
    def name(self) -> str:
        """``A*02:01``, ``A*02:01P`` (no ``HLA-`` prefix)."""
        return f"{self.locus}*{':'.join(self.fields)}{self.suffix or ''}"

    @property
    def group(self) -> Literal["P", "G"] | None:
        """``P`` or ``G`` for a group name, else None."""
        return self.suffix if self.suffix in ("P", "G") else None  # type: ignore[return-value]

    @property
    def expression(self) -> str | None:
        """The expression suffix (N, L, S, C, A, Q), if any."""
        return self.suffix if self.suffix in EXPRESSION_SUFFIXES else None


def parse_hla_allele(text: str) -> HlaAllele:
    """Read one HLA allele name (``A*02:01``, ``HLA-A*02:01:01``, ``A*02``, ``A*02:01P``); raises ValueError
    saying what is wrong with it."""
    raw = text.strip()
    value = raw.upper()
    match = _ALLELE.match(value)
    if match is None:
        raise ValueError(f"malformed HLA allele {raw!r} (expected WHO nomenclature such as A*02:01, HLA-B*57:01 or "
                         "A*02:01P)")
    locus, fields, suffix = match["locus"], tuple(match["fields"].split(":")), match["suffix"]
    if locus not in HLA_LOCI:
        raise ValueError(f"malformed HLA allele {raw!r}: unknown locus {locus!r} "
                         f"(known: {', '.join(sorted(HLA_LOCI))})")
    if len(fields) == 1 and len(fields[0]) > 3:
        raise ValueError(f"malformed HLA allele {raw!r}: the pre-2010 notation without colons is ambiguous; write "
                         f"the fields separated by colons (e.g. {locus}*{fields[0][:2]}:{fields[0][2:]})")
    if len(fields) > 4 or not all(_FIELD.match(f) for f in fields) or len(fields[0]) > 3:
        raise ValueError(f"malformed HLA allele {raw!r}: expected one to four colon-separated fields of 2-4 digits")
    if suffix is not None:
        if suffix == "P" and len(fields) != 2:
            raise ValueError(f"malformed HLA allele {raw!r}: a P group has two fields (e.g. A*02:01P)")
        if suffix == "G" and len(fields) != 3:
            raise ValueError(f"malformed HLA allele {raw!r}: a G group has three fields (e.g. A*02:01:01G)")
        if suffix not in ("P", "G") and suffix not in EXPRESSION_SUFFIXES:
            raise ValueError(f"malformed HLA allele {raw!r}: unknown suffix {suffix!r} (expression N, L, S, C, A, "
                             "Q; groups P, G)")
        if suffix in EXPRESSION_SUFFIXES and len(fields) < 2:
            raise ValueError(f"malformed HLA allele {raw!r}: an expression suffix needs at least two fields")
    return HlaAllele(locus=locus, fields=fields, suffix=suffix)


def carries(required: HlaAllele, typed: HlaAllele) -> bool | None:
    """Whether a typed allele is the required allele (or allele group, or a member of the required P group):
    True, False, or None when the typing cannot tell.

    - Another locus, another allele group (first field) or a null (``N``) allele: False (P groups are named
      after an allele of the group, and their members share its allele group).
    - A typed P group named after another protein: False (P groups do not overlap; an allele belongs to the
      group named after it).
    - Required allele group (``A*02``): any expressed allele of the group.
    - Required allele (``A*02:01``): a typing of two or more fields whose first two are the same; another
      two-field protein is False. A one-field typing, or a P or G group (which hold other alleles too), cannot tell.
    - Required P group (``A*02:01P``): the allele the group is named after (``A*02:01``, at any resolution), the
      same P group, or a G group named after it. An allele (or G group) named after another P group of
      :data:`P_GROUPS_IN_LABELS` belongs to that group, not this one: False. Another protein of the same allele
      group may or may not belong to the group (the WHO P-group table decides; TailorMed does not carry it):
      cannot tell.
    - An expression suffix other than N (L, S, C, A, Q) leaves a match undecided: expression is in doubt.

    >>> a0201, a0205 = parse_hla_allele("A*02:01"), parse_hla_allele("A*02:05")
    >>> a02 = parse_hla_allele("A*02")
    >>> carries(a0201, parse_hla_allele("A*02:01:01:01")), carries(a0201, a0205), carries(a0201, a02)
    (True, False, None)
    >>> group = parse_hla_allele("A*02:01P")
    >>> carries(group, a0201), carries(group, parse_hla_allele("A*03:01")), carries(group, a0205)
    (True, False, False)
    >>> carries(group, parse_hla_allele("A*02:09")) is None
    True
    """
    if typed.locus != required.locus or typed.fields[0] != required.fields[0] or typed.expression == "N":
        return False
    found: bool | None
    if len(required.fields) == 1:
        found = True
    elif typed.group == "P" and typed.fields != required.fields[:2]:
        found = False  # P groups do not overlap, and an allele belongs to the P group named after it
    elif required.group == "P":
        own_group = f"{typed.locus}*{':'.join(typed.fields[:2])}P"
        found = (True if typed.fields[:2] == required.fields else
                 False if len(typed.fields) > 1 and own_group in P_GROUPS_IN_LABELS else None)
    elif len(typed.fields) == 1 or typed.group is not None:
        found = None
    else:
        found = typed.fields[: len(required.fields)] == required.fields
    if found and typed.expression is not None:
        return None
    return found
