"""Chromosome names, variant keys and allele trimming: one spelling of a genome position for the whole engine.

**Chromosome names.** Inside TailorMed a chromosome is spelled without a ``chr`` prefix: ``'1'``..``'22'``,
``'X'``, ``'Y'`` and ``'MT'`` for the mitochondrion (Ensembl's and the PGS Catalog's spelling, and that of
ClinVar's ``variant_summary``), plus ``'XY'`` for PLINK's pseudo-autosomal code. Readers normalise every name
they read with :func:`normalise_chrom`, so ``chr7``, ``CHR7`` and ``7`` are one chromosome, and ``chrM``,
``M``, ``chrMT`` and ``MT`` are one mitochondrion. Other contigs (``chr1_KI270706v1_random``,
``chrUn_GL000195v1``) keep their name, less the prefix. Formats that spell names their own way keep doing so
on disk: a pharmacogene definition says ``chr22``/``chrM`` (PharmCAT's spelling, :func:`ucsc_chrom`), and a
result reports a variant as its input file wrote it.

**Variant keys.** :func:`variant_key` is the ``chrom-pos-ref-alt`` key with a normalised chromosome
(``15-48500000-G-A``) under which knowledge (ClinVar, hotspot coordinates) and observations meet.

**Alleles.** Two trimmings, for two uses (Tan, Abecasis & Kang, Bioinformatics 2015):

* :func:`trim_alleles` drops the common *suffix* only, so the first base stays where it is: two spellings
  of a change at one anchored position (``CAT>CATAT`` and ``C>CAT``) compare equal;
* :func:`parsimonious` drops the common suffix, then the common prefix, moving the position: the one
  parsimonious form of a variant (``100 CA>CT`` is ``101 A>T``).

Both keep at least one base on each side, and neither changes the sequence a variant makes.
"""

from __future__ import annotations

import re

MITOCHONDRION = "MT"
"""The mitochondrial chromosome as :func:`normalise_chrom` spells it."""

_UPPER_NAMES = {"X": "X", "Y": "Y", "XY": "XY", "M": MITOCHONDRION, "MT": MITOCHONDRION}
_PLAIN_BASES = re.compile(r"^[ACGTNacgtn]+$")


def normalise_chrom(name: str) -> str:
    """The chromosome name without a ``chr`` prefix (any case), sex chromosomes upper-case, ``MT`` for M.

    >>> [normalise_chrom(n) for n in ("chr7", "CHR7", "Chr7", "7", "chrx", "Y", "chrM", "chrMT", "M", "mt")]
    ['7', '7', '7', '7', 'X', 'Y', 'MT', 'MT', 'MT', 'MT']
    >>> normalise_chrom("chr1_KI270706v1_random")
    '1_KI270706v1_random'
    """
    while name[:3].lower() == "chr":
        name = name[3:]
    return _UPPER_NAMES.get(name.upper(), name)


def ucsc_chrom(name: str) -> str:
    """The name with the UCSC ``chr`` prefix (``chrM`` for the mitochondrion), as PharmCAT and hg38 FASTAs spell it.

    >>> ucsc_chrom("7"), ucsc_chrom("chrX"), ucsc_chrom("MT")
    ('chr7', 'chrX', 'chrM')
    """
    bare = normalise_chrom(name)
    return "chrM" if bare == MITOCHONDRION else f"chr{bare}"


def variant_key(chrom: str, pos: int | str, ref: str, alt: str) -> str:
    """The ``chrom-pos-ref-alt`` key of a variant, its chromosome normalised.

    >>> variant_key("chr15", 48500000, "G", "A"), variant_key("chrM", "3243", "A", "G")
    ('15-48500000-G-A', 'MT-3243-A-G')
    """
    return f"{normalise_chrom(chrom)}-{pos}-{ref}-{alt}"


def split_variant_key(key: str) -> tuple[str, int, str, str]:
    """The chromosome (as written), position, REF and ALT of a ``chrom-pos-ref-alt`` key.

    >>> split_variant_key("chr1_KI270706v1_random-100-A-T")
    ('chr1_KI270706v1_random', 100, 'A', 'T')
    """
    chrom, pos, ref, alt = key.rsplit("-", 3)
    return chrom, int(pos), ref, alt


def normalise_variant_key(key: str) -> str:
    """A ``chrom-pos-ref-alt`` key with its chromosome normalised.

    >>> normalise_variant_key("chrX-100-A-T")
    'X-100-A-T'
    """
    return variant_key(*split_variant_key(key))


def trim_alleles(ref: str, alt: str) -> tuple[str, str]:
    """Drop the common suffix of two alleles, keeping at least one base of each; the position does not move.

    >>> trim_alleles("CAT", "CATAT"), trim_alleles("ATT", "AT"), trim_alleles("C", "T")
    (('C', 'CAT'), ('AT', 'A'), ('C', 'T'))
    """
    end = 0
    longest = min(len(ref), len(alt)) - 1
    while end < longest and ref[-1 - end] == alt[-1 - end]:
        end += 1
    return (ref[: len(ref) - end], alt[: len(alt) - end]) if end else (ref, alt)


def parsimonious(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trim the common suffix, then the common prefix, keeping one base (Tan et al. 2015).

    Alleles that are not plain bases (``<DEL>``, ``*``, breakends) are returned as they are.

    >>> parsimonious(100, "ATT", "AT"), parsimonious(100, "CA", "CT"), parsimonious(100, "A", "<DEL>")
    ((100, 'AT', 'A'), (101, 'A', 'T'), (100, 'A', '<DEL>'))
    """
    if not (_PLAIN_BASES.match(ref) and _PLAIN_BASES.match(alt)):
        return pos, ref, alt
    ref, alt = trim_alleles(ref, alt)
    start = 0
    longest = min(len(ref), len(alt)) - 1
    while start < longest and ref[start] == alt[start]:
        start += 1
    return pos + start, ref[start:], alt[start:]
