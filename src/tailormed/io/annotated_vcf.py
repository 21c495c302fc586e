"""Reading an annotated germline VCF/BCF (Ensembl VEP ``CSQ`` or snpEff ``ANN``) into rare-disease variants.

One :class:`~tailormed.model.rare.Variant` is made per ALT allele of every record (a multi-allelic
record becomes several variants, each with the annotations VEP/snpEff wrote for that allele and each
sample's dose of that allele). Records without annotation are kept (``annotated=False``) and listed
in :attr:`AnnotatedVcf.unannotated`; nothing is dropped silently: what is skipped (spanning-deletion
``*`` alleles, reference-only records, blank lines, annotation entries for no ALT of the record,
variants above ``max_af_prefilter``) is counted in a warning.

File validation is :class:`tailormed.io.vcf.VcfFile`'s (file present, gzip complete, a VCF header
with ``#CHROM``, FORMAT/GT and sample columns, the requested samples present, GRCh38 contigs);
a BCF header is checked for GRCh37 here. Malformed records raise :class:`InputError` naming the file
and line.

What is read
------------
VEP ``CSQ`` (field names from the header's ``Format: A|B|C`` description; unknown fields ignored):
``Allele`` (and ``ALLELE_NUM`` when present), ``Consequence`` (``&``-separated), ``IMPACT``,
``SYMBOL``, ``Feature``, ``HGVSc``, ``HGVSp`` (``%3D`` decoded to ``=``), ``EXON``, ``INTRON``,
``Protein_position`` (first integer of ``123-124``), ``Amino_acids``, ``CANONICAL`` (``YES``),
population AF (the largest of ``gnomADe_AF``/``gnomAD_AF``/``gnomADg_AF``; when none is present
``MAX_AF``, then ``AF``), ``CLIN_SIG`` (split on ``&``, ``,``, ``/``; lower case), ``REVEL`` or
``REVEL_score``, ``CADD_PHRED`` or ``CADD_phred``, SpliceAI (``SpliceAI_pred_DS_AG/AL/DG/DL``, or a
``SpliceAI_pred`` string ``[ALLELE|]SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|...`` with ``|`` or ``&`` between
parts). Several values in one numeric field (``0.2&0.7``) give their maximum.

snpEff ``ANN`` (fixed layout of the ANN specification): Allele, Annotation (``&``-separated),
Annotation_Impact, Gene_Name, Feature_ID, Rank (exon rank, or intron rank for intronic/splice-site
annotations), HGVS.c, HGVS.p, AA.pos (protein position).

INFO keys read for either annotator, filling what the transcript annotation lacks: population AF
``gnomAD_AF``, ``gnomADe_AF``, ``gnomADg_AF``, ``dbNSFP_gnomAD_exomes_AF``, ``dbNSFP_gnomAD_genomes_AF``
(largest); ``dbNSFP_REVEL_score``; ``dbNSFP_CADD_phred``; Illumina SpliceAI ``SpliceAI=ALLELE|SYMBOL|
DS_AG|DS_AL|DS_DG|DS_DL|...`` (largest delta score for that ALT). A comma-separated INFO value with
one entry per ALT is read per allele; otherwise the largest value applies to every ALT.
INFO ``AF`` (the cohort's own allele frequency) is never read as a population frequency.

Alleles
-------
VEP writes indel alleles without the first base when all alleles share it (REF=AT ALT=A gives
``Allele=-``, REF=A ALT=AT gives ``T``; a multi-allelic record is trimmed only when every non-``*``
allele starts with the same base: ensembl-vep ``Parser/VCF.pm``). With ``--minimal`` it trims both
ends. An annotation entry is matched to the ALT whose VEP form, VCF form or minimal form equals its
allele (``ALLELE_NUM`` decides when it agrees with the allele); snpEff entries name the VCF ALT.

A variant's ``pos/ref/alt`` are the parsimonious form of that ALT against REF (common suffix, then
common prefix trimmed, one base kept: :func:`tailormed.model.genome.parsimonious`), so a split
multi-allelic ``REF=ATT ALT=A,AT`` gives ``ATT>A`` and ``AT>A``. ``source`` is ``file:line``
(the line number in the decompressed text, for plain and gzipped VCF alike) or ``file:record N`` for BCF.

Genotypes
---------
Per selected sample: ``alt_count`` copies of this ALT (``None`` when every allele of the call is
missing; a half-missing call such as ``./1`` counts the called copies and is reported in a warning),
``ploidy`` as called (a haploid ``1`` on a male chrX gives ploidy 1; a diploid call is left as
written), ``phased`` (haploid calls are not "phased"), ``phase_set`` from FORMAT/PS, the haplotype
indices carrying this ALT when phased, ``depth`` (FORMAT/DP) and ``genotype_quality`` (FORMAT/GQ).
"""

from __future__ import annotations

import gc
import gzip
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import unquote

import numpy.typing as npt
from cyvcf2 import VCF
from pydantic import ValidationError

from tailormed.errors import InputError, first_validation_problem
from tailormed.io.vcf import CONTIG_NAME, VcfFile, check_header_build, declare_contigs, quiet_htslib
from tailormed.model.common import Record, Warning
from tailormed.model.genome import parsimonious
from tailormed.model.rare import SampleGenotype, TranscriptConsequence, Variant, copy_number_kind

AnnotationSource = Literal["vep", "snpeff", "none"]
_M = TypeVar("_M", bound=Record)

_IMPACTS = frozenset({"HIGH", "MODERATE", "LOW", "MODIFIER"})
_MISSING_VALUES = frozenset({"", ".", "-", "NA", "nan", "NaN"})
_MULTI_SPLIT = re.compile(r"[&,]")
_CLINVAR_SPLIT = re.compile(r"[&,/]")
_PROTEIN_POSITION = re.compile(r"^([0-9]+|\?)(?:-([0-9]+|\?))?$")
_SKIPPED_ALTS = frozenset({"*", "<NON_REF>", "<*>"})
_ASCII_INTEGER = re.compile(r"[0-9]+")

# VEP population-frequency fields: the gnomAD ones (largest wins), then MAX_AF, then AF.
_VEP_GNOMAD_AF = ("gnomADe_AF", "gnomAD_AF", "gnomADg_AF")
_VEP_FALLBACK_AF = ("MAX_AF", "AF")
_VEP_SPLICEAI_DS = ("SpliceAI_pred_DS_AG", "SpliceAI_pred_DS_AL", "SpliceAI_pred_DS_DG", "SpliceAI_pred_DS_DL")
_INFO_AF_KEYS = ("gnomAD_AF", "gnomADe_AF", "gnomADg_AF", "dbNSFP_gnomAD_exomes_AF", "dbNSFP_gnomAD_genomes_AF")
_INFO_REVEL_KEYS = ("dbNSFP_REVEL_score",)
_INFO_CADD_KEYS = ("dbNSFP_CADD_phred",)
# Kinds of numeric CSQ fields, in the order CsqLayout reads them.
_GNOMAD, _FALLBACK_AF, _REVEL, _CADD, _SPLICEAI, _SENTINEL = range(6)
# snpEff ANN sub-fields (positions fixed by the ANN specification).
_ANN_ALLELE, _ANN_EFFECT, _ANN_IMPACT, _ANN_GENE, _ANN_FEATURE_ID = 0, 1, 2, 3, 6
_ANN_RANK, _ANN_HGVSC, _ANN_HGVSP, _ANN_AA_POS = 8, 9, 10, 13
_ANN_FIELD_COUNT = 16
_INTRONIC_TERMS = frozenset({"intron_variant", "splice_donor_variant", "splice_acceptor_variant",
                             "splice_donor_5th_base_variant", "splice_donor_region_variant",
                             "splice_polypyrimidine_tract_variant"})
_EXONIC_TERMS = frozenset({"missense_variant", "synonymous_variant", "stop_gained", "stop_lost", "start_lost",
                           "frameshift_variant", "inframe_insertion", "inframe_deletion",
                           "disruptive_inframe_insertion", "disruptive_inframe_deletion", "exon_loss_variant",
                           "stop_retained_variant", "initiator_codon_variant", "5_prime_UTR_variant",
                           "3_prime_UTR_variant", "non_coding_transcript_exon_variant", "coding_sequence_variant"})


class RecordError(ValueError):
    """A record that cannot be read as written (turned into an InputError naming the line)."""


class AnnotationFieldError(ValueError):
    """A value inside an annotation entry that cannot be read (turned into an InputError with the place)."""

    def __init__(self, field_name: str, value: str, reason: str):
        self.field_name = field_name
        self.value = value
        super().__init__(f"{field_name}: {value[:60]!r} {reason}")


# -- value parsers (cheap: called for every annotation entry) ---------------------------------------
def _max_number(text: str, name: str) -> float | None:
    """The largest number in ``text`` (values separated by ``&`` or ``,``); missing markers give None."""
    if not text:
        return None
    try:
        value = float(text)  # the common case: one plain number
    except ValueError:
        return _max_of_parts(text, name)
    if value - value == 0.0:
        return value
    if math.isnan(value):
        return None
    raise AnnotationFieldError(name, text, "is not a finite number")


def _max_of_parts(text: str, name: str) -> float | None:
    best: float | None = None
    for part in _MULTI_SPLIT.split(text):
        part = part.strip()
        if part in _MISSING_VALUES:
            continue
        try:
            value = float(part)
        except ValueError:
            raise AnnotationFieldError(name, text, "is not a number") from None
        if math.isnan(value):
            continue
        if math.isinf(value):
            raise AnnotationFieldError(name, text, "is not a finite number")
        if best is None or value > best:
            best = value
    return best


def _frequency(text: str, name: str) -> float | None:
    value = _max_number(text, name)
    if value is not None and not 0.0 <= value <= 1.0:
        raise AnnotationFieldError(name, text, "is not an allele frequency between 0 and 1")
    return value


def _vep_protein_position(text: str) -> int | None:
    if text in _MISSING_VALUES or text == "?":
        return None
    match = _PROTEIN_POSITION.match(text)
    if match is None:
        raise AnnotationFieldError("Protein_position", text, "is not a position such as '123' or '123-124'")
    for group in match.groups():
        if group is not None and group != "?":
            return int(group)
    return None


def _snpeff_protein_position(text: str) -> int | None:
    head = text.split("/", 1)[0].strip()
    if head in _MISSING_VALUES:
        return None
    if not _ASCII_INTEGER.fullmatch(head):
        raise AnnotationFieldError("AA.pos / AA.length", text, "is not a position such as '123/456'")
    return int(head)


def _terms(text: str) -> list[str]:
    return [t for t in text.split("&") if t] if text else []


@lru_cache(maxsize=4096)
def _clinvar_terms(text: str) -> tuple[str, ...]:
    """ClinVar significance terms of a CLIN_SIG value (a small vocabulary, so parsed once per distinct value)."""
    if text in _MISSING_VALUES:
        return ()
    out: list[str] = []
    for term in _CLINVAR_SPLIT.split(text):
        term = term.strip().lower().replace(" ", "_")
        if term and term not in out:
            out.append(term)
    return tuple(out)


def _clinvar(text: str) -> list[str]:
    return list(_clinvar_terms(text))


def _impact(text: str, name: str) -> str | None:
    if not text:
        return None
    if text not in _IMPACTS:
        raise AnnotationFieldError(name, text, "is not one of HIGH, MODERATE, LOW, MODIFIER")
    return text


def _hgvs(text: str) -> str | None:
    """HGVS as VEP writes it in a VCF, with its URL escapes (``p.Leu41%3D``) decoded."""
    if not text:
        return None
    if "%" in text:
        text = text.replace("%3D", "=")
        if "%" in text:
            text = unquote(text)
    return text


def _spliceai_string(text: str, name: str) -> float | None:
    """Largest delta score of ``[ALLELE|]SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL`` groups.

    The VEP plugin writes ``SYMBOL|DS_AG|...`` (``|`` becomes ``&`` inside a VCF CSQ value); Illumina's
    SpliceAI VCF writes ``ALLELE|SYMBOL|DS_AG|...``. Several groups may follow one another.
    """
    if text in _MISSING_VALUES:
        return None
    parts = re.split(r"[|&,]", text)
    best: float | None = None
    i = 0
    while i < len(parts):
        for labels in (1, 2):
            scores = parts[i + labels:i + labels + 4]
            if len(scores) == 4 and not _looks_numeric(parts[i]) and all(map(_looks_numeric, scores)):
                break
        else:
            raise AnnotationFieldError(name, text, "is not a SpliceAI prediction ([ALLELE|]SYMBOL|DS_AG|DS_AL|...)")
        for raw in scores:
            value = _max_number(raw, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise AnnotationFieldError(name, text, "has a SpliceAI delta score outside 0..1")
            if value is not None and (best is None or value > best):
                best = value
        i += labels + 8  # labels, four delta scores, four delta positions
    return best


def _looks_numeric(text: str) -> bool:
    if text in _MISSING_VALUES:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- CSQ / ANN entry parsers --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AnnotationEntry:
    """One transcript annotation before validation: its allele label and TranscriptConsequence fields."""

    allele: str
    allele_num: int | None
    fields: dict[str, Any]


class CsqLayout:
    """Where each field sits in a VEP CSQ entry, from the header's ``Format:`` list (parsed once)."""

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        index = {name: i for i, name in enumerate(self.names)}
        self.width = len(self.names)

        def at(*candidates: str) -> int:
            return next((index[c] for c in candidates if c in index), -1)

        self.allele = at("Allele")
        self.allele_num = at("ALLELE_NUM")
        self.consequence = at("Consequence")
        self.impact = at("IMPACT")
        self.symbol = at("SYMBOL")
        self.feature = at("Feature")
        self.hgvsc = at("HGVSc")
        self.hgvsp = at("HGVSp")
        self.exon = at("EXON")
        self.intron = at("INTRON")
        self.protein_position = at("Protein_position")
        self.amino_acids = at("Amino_acids")
        self.canonical = at("CANONICAL")
        self.gnomad_af = [(index[n], n) for n in _VEP_GNOMAD_AF if n in index]
        self.fallback_af = [(index[n], n) for n in _VEP_FALLBACK_AF if n in index]
        self.clin_sig = at("CLIN_SIG")
        self.revel = [(index[n], n) for n in ("REVEL", "REVEL_score") if n in index]
        self.cadd = [(index[n], n) for n in ("CADD_PHRED", "CADD_phred") if n in index]
        self.spliceai_ds = [(index[n], n) for n in _VEP_SPLICEAI_DS if n in index]
        self.spliceai_pred = at("SpliceAI_pred")
        strings = (self.allele, self.allele_num, self.consequence, self.impact, self.symbol, self.feature, self.hgvsc,
                   self.hgvsp, self.exon, self.intron, self.protein_position, self.amino_acids, self.canonical,
                   self.clin_sig)
        # One C-level call picks every string field; an absent field reads the "" appended at index ``width``.
        self._strings = itemgetter(*(i if i >= 0 else self.width for i in strings))
        # The numeric fields, in groups: population AF (gnomAD, then fallbacks), REVEL, CADD, SpliceAI DS.
        numeric = [*self.gnomad_af, *self.fallback_af, *self.revel, *self.cadd, *self.spliceai_ds]
        self._numeric_names = [name for _, name in numeric] + [""]
        self._numeric = itemgetter(*(i for i, _ in numeric), self.width)  # the sentinel keeps it a tuple
        groups: tuple[Sequence[tuple[int, str]], ...] = (self.gnomad_af, self.fallback_af, self.revel, self.cadd,
                                                     self.spliceai_ds)
        self._kinds = [kind for kind, group in enumerate(groups) for _ in group] + [_SENTINEL]
        frequency_columns = [*self.gnomad_af, *self.fallback_af]
        self._af_needed = max([self.allele, *(i for i, _ in frequency_columns)])
        # (allele, frequency fields..., sentinel); an absent allele column reads the appended "".
        self._af_fields = itemgetter(self.allele, *(i for i, _ in frequency_columns), -1)
        self._af_names = ["Allele", *(name for _, name in frequency_columns), ""]

    def entry_frequency(self, entry: str) -> tuple[str, float | None]:
        """An entry's allele label and population AF only (the cheap look used by the AF prefilter)."""
        values = entry.split("|", self._af_needed + 1)
        if len(values) <= self._af_needed:
            values += [""] * (self._af_needed + 1 - len(values))
        values.append("")
        picked = self._af_fields(values)
        af: float | None = None
        fallback: float | None = None
        for position in range(1, len(picked) - 1):
            text = picked[position]
            if text:
                value = _frequency(text, self._af_names[position])
                if value is None:
                    continue
                if position <= len(self.gnomad_af):
                    af = value if af is None or value > af else af
                elif fallback is None:
                    fallback = value
        return picked[0], (af if af is not None else fallback)

    @classmethod
    def from_description(cls, description: str) -> CsqLayout:
        """Read the field list from ``...Format: Allele|Consequence|...`` (as VEP writes the header)."""
        text = description.strip().strip('"')
        marker = text.find("Format:")
        if marker < 0:
            raise ValueError("the CSQ header description has no 'Format: Allele|Consequence|...' field list")
        names = [n.strip() for n in text[marker + len("Format:"):].strip().strip("'\"").split("|")]
        if not any(names):
            raise ValueError("the CSQ header 'Format:' list is empty")
        return cls(names)

    def parse_entry(self, entry: str) -> AnnotationEntry:
        """One comma-separated CSQ entry; raises :class:`AnnotationFieldError` on an unreadable value."""
        values = entry.split("|")
        if len(values) != self.width:
            values = (values + [""] * self.width)[:self.width]
        values.append("")  # absent fields point here
        (allele, raw_num, consequence, impact, symbol, feature, hgvsc, hgvsp, exon, intron, protein, amino_acids,
         canonical, clin_sig) = self._strings(values)
        raw = self._numeric(values)
        try:
            numbers = [float(x) if x else None for x in raw]  # the common case: plain numbers or empty
        except ValueError:  # several values, a missing marker such as 'NA', or junk: field by field
            numbers = [_max_number(x, name) for x, name in zip(raw, self._numeric_names, strict=True)]
        af: float | None = None
        fallback: float | None = None
        revel: float | None = None
        cadd: float | None = None
        splice: float | None = None
        kinds = self._kinds
        for position, number in enumerate(numbers):
            if number is None:
                continue
            if number - number != 0.0:  # NaN (read as missing) or an infinity (an error)
                if number != number:
                    continue
                raise AnnotationFieldError(self._numeric_names[position], raw[position], "is not a finite number")
            kind = kinds[position]
            if kind <= _FALLBACK_AF:  # a population frequency
                if not 0.0 <= number <= 1.0:
                    raise AnnotationFieldError(self._numeric_names[position], raw[position],
                                               "is not an allele frequency between 0 and 1")
                if kind == _GNOMAD:
                    af = number if af is None or number > af else af
                elif fallback is None:
                    fallback = number
            elif kind == _REVEL:
                if revel is None:
                    revel = number
            elif kind == _CADD:
                if cadd is None:
                    cadd = number
            elif splice is None or number > splice:
                splice = number
        if af is None:
            af = fallback
        if splice is None and self.spliceai_pred >= 0:
            splice = _spliceai_string(values[self.spliceai_pred], "SpliceAI_pred")
        allele_num: int | None = None
        if raw_num:
            if not _ASCII_INTEGER.fullmatch(raw_num):
                raise AnnotationFieldError("ALLELE_NUM", raw_num, "is not an allele number")
            allele_num = int(raw_num)
        fields: dict[str, Any] = {
            "gene": symbol or None,
            "transcript": feature or None,
            "consequences": consequence.split("&") if consequence else [],
            "impact": (impact if impact in _IMPACTS else _impact(impact, "IMPACT")) if impact else None,
            "hgvsc": (hgvsc if "%" not in hgvsc else _hgvs(hgvsc)) or None,
            "hgvsp": (hgvsp if "%" not in hgvsp else _hgvs(hgvsp)) or None,
            "exon": exon or None,
            "intron": intron or None,
            "protein_position": (int(protein) if _ASCII_INTEGER.fullmatch(protein) else _vep_protein_position(protein))
            if protein else None,
            "amino_acids": amino_acids or None,
            "canonical": canonical == "YES",
            "gnomad_af": af,
            "clinvar": _clinvar(clin_sig) if clin_sig else [],
            "revel": revel,
            "cadd_phred": cadd,
            "spliceai_max": splice,
        }
        return AnnotationEntry(allele, allele_num, fields)


def parse_ann_entry(entry: str) -> AnnotationEntry:
    """One comma-separated snpEff ANN entry; raises :class:`AnnotationFieldError` on an unreadable value."""
    values = entry.split("|")
    if len(values) < _ANN_FIELD_COUNT:
        values += [""] * (_ANN_FIELD_COUNT - len(values))
    consequences = _terms(values[_ANN_EFFECT])
    rank = values[_ANN_RANK].strip() or None
    intronic = bool(rank) and any(t in _INTRONIC_TERMS for t in consequences) and not any(
        t in _EXONIC_TERMS for t in consequences)
    fields: dict[str, Any] = {
        "gene": values[_ANN_GENE] or None,
        "transcript": values[_ANN_FEATURE_ID] or None,
        "consequences": consequences,
        "impact": _impact(values[_ANN_IMPACT], "Annotation_Impact"),
        "hgvsc": _hgvs(values[_ANN_HGVSC]),
        "hgvsp": _hgvs(values[_ANN_HGVSP]),
        "exon": None if intronic else rank,
        "intron": rank if intronic else None,
        "protein_position": _snpeff_protein_position(values[_ANN_AA_POS]),
        "amino_acids": None,
        "canonical": False,
        "gnomad_af": None,
        "clinvar": [],
        "revel": None,
        "cadd_phred": None,
        "spliceai_max": None,
    }
    return AnnotationEntry(values[_ANN_ALLELE], None, fields)


def transcript_consequence(entry: AnnotationEntry) -> TranscriptConsequence:
    """Validate an entry's fields into the model (ValidationError -> AnnotationFieldError)."""
    try:
        return TranscriptConsequence.model_validate(entry.fields)
    except ValidationError as exc:
        first = first_validation_problem(exc)
        raise AnnotationFieldError(first.dotted(), str(first.input), first.msg) from None


def parse_csq(value: str, field_names: Sequence[str], *, source: str,
              location: str | None = None) -> list[tuple[str, TranscriptConsequence]]:
    """Parse one record's CSQ value into (allele label, consequence) pairs; any bad value -> InputError.

    >>> pairs = parse_csq("-|frameshift_variant|HIGH|GENE1", ["Allele", "Consequence", "IMPACT", "SYMBOL"],
    ...                   source="x.vcf")
    >>> pairs[0][0], pairs[0][1].impact, pairs[0][1].gene
    ('-', 'HIGH', 'GENE1')
    """
    layout = CsqLayout(field_names)
    try:
        return [(e.allele, transcript_consequence(e)) for e in (layout.parse_entry(x) for x in value.split(",") if x)]
    except AnnotationFieldError as exc:
        raise InputError(f"CSQ field {exc}", source=source, location=location) from None


# -- allele matching ---------------------------------------------------------------------------------
def vep_allele_labels(ref: str, alts: Sequence[str]) -> list[str]:
    """The ``Allele`` VEP writes for each ALT of a VCF record (ensembl-vep ``Parser/VCF.pm`` rules).

    >>> vep_allele_labels("AT", ["A"]), vep_allele_labels("A", ["AT"]), vep_allele_labels("A", ["AT", "G"])
    (['-'], ['T'], ['AT', 'G'])
    """
    is_indel = any(len(a) != len(ref) or a[:1] in ("D", "I") for a in alts)
    if not is_indel:
        return list(alts)
    if len(alts) > 1:
        if len({a[:1] for a in (ref, *alts) if "*" not in a}) != 1:
            return list(alts)
        return [a if "*" in a else (a[1:] or "-") for a in alts]
    alt = alts[0]
    if ref[:1] == alt[:1]:
        return [alt[1:] or "-"]
    return [alt]


def _minimal_label(ref: str, alt: str) -> str:
    """The ALT after trimming both ends against REF, as VEP ``--minimal`` reports it."""
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt = ref[1:], alt[1:]
    return alt or "-"


def _assign_entries(entries: list[AnnotationEntry], ref: str, alts: Sequence[str],
                    source: AnnotationSource) -> tuple[list[list[AnnotationEntry]], int, bool]:
    """Group annotation entries by ALT index. Returns (per-ALT entries, unmatched count, assumed)."""
    per_alt: list[list[AnnotationEntry]] = [[] for _ in alts]
    vep = vep_allele_labels(ref, alts)
    raw = list(alts)
    minimal = [_minimal_label(ref, a) for a in alts]
    tiers = (vep, raw, minimal) if source == "vep" else (raw, vep, minimal)
    if len(alts) == 1:
        forms = set(vep) | set(raw) | set(minimal)
        matched = [e for e in entries if e.allele in forms]
        if len(matched) == len(entries):
            per_alt[0] = matched
            return per_alt, 0, False
        if not matched and len({e.allele for e in entries}) == 1:
            # One allele label that fits no form of the ALT (e.g. VEP's 'deletion' for a symbolic <DEL>):
            # a single-ALT record's only annotated allele is that ALT.
            per_alt[0] = list(entries)
            return per_alt, 0, True
        per_alt[0] = matched
        return per_alt, len(entries) - len(matched), False
    lookups = []
    for labels in tiers:
        table: dict[str, int] = {}
        for index, label in enumerate(labels):
            table[label] = -1 if label in table else index  # -1: two ALTs share the label
        lookups.append(table)
    unmatched = 0
    for entry in entries:
        target = -1
        num = entry.allele_num
        if num is not None and 1 <= num <= len(alts) and entry.allele in (vep[num - 1], raw[num - 1],
                                                                         minimal[num - 1]):
            target = num - 1
        else:
            for table in lookups:
                target = table.get(entry.allele, -2)
                if target != -2:
                    break
        if target >= 0:
            per_alt[target].append(entry)
        else:
            unmatched += 1
    return per_alt, unmatched, False


# -- INFO-level scores ----------------------------------------------------------------------------------
def _info_values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, tuple | list):
        return ["." if v is None else str(v) for v in value]
    return str(value).split(",")


def _per_allele(value: object, n_alts: int, name: str,
                reader: Callable[[str, str], float | None]) -> list[float | None]:
    """One number per ALT from an INFO value (Number=A layout when the counts agree, else the maximum)."""
    parts = _info_values(value)
    if not parts:
        return [None] * n_alts
    if len(parts) == n_alts:
        return [reader(p, name) for p in parts]
    best = reader("&".join(parts), name)
    return [best] * n_alts


def _max_of(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _spliceai_info(value: object, alts: Sequence[str]) -> list[float | None]:
    """Illumina SpliceAI INFO (``ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|...`` per allele and gene)."""
    out: list[float | None] = [None] * len(alts)
    for item in _info_values(value):
        parts = item.split("|")
        if len(parts) < 6:
            if item in _MISSING_VALUES:
                continue
            raise AnnotationFieldError("SpliceAI", item, "is not ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|...")
        score = _max_of([_max_number(p, "SpliceAI") for p in parts[2:6]])
        for index, alt in enumerate(alts):
            if parts[0] == alt and score is not None:
                current = out[index]
                out[index] = score if current is None else max(current, score)
    return out


# -- cyvcf2 surface used here --------------------------------------------------------------------------
class _Info(Protocol):
    def get(self, key: str) -> object: ...


class _Record(Protocol):
    """A ``cyvcf2.Variant``."""

    CHROM: str
    POS: int
    REF: str
    ALT: list[str]
    QUAL: float | None
    FILTER: str | None
    INFO: _Info
    genotypes: list[list[Any]]

    def format(self, field: str) -> npt.NDArray[Any] | None: ...


class _HeaderRecord(Protocol):
    type: str

    def info(self) -> dict[str, str]: ...


class _Reader(Protocol):
    samples: list[str]
    raw_header: str

    def __iter__(self) -> Iterator[_Record]: ...

    def header_iter(self) -> Iterator[_HeaderRecord]: ...

    def close(self) -> None: ...


# -- the reader ----------------------------------------------------------------------------------------
@dataclass
class AnnotatedVcf:
    """What :func:`read_annotated_vcf` read: variants, what was annotated, and what was skipped."""

    path: str
    samples: list[str]
    variants: list[Variant]
    annotation_source: AnnotationSource
    unannotated: list[str] = field(default_factory=list)
    records_read: int = 0
    prefiltered: int = 0
    warnings: list[Warning] = field(default_factory=list)


class _Tally:
    """Counts of things skipped or assumed, each with its first example, turned into warnings at the end."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, str] = {}

    def add(self, code: str, where: str, n: int = 1) -> None:
        if code not in self.counts:
            self.counts[code] = 0
            self.first[code] = where
        self.counts[code] += n


_TALLY_MESSAGES = {
    "unannotated_records": "{n} record(s) of an annotated file carry no {key} annotation; kept as unannotated "
                           "variants (first: {first})",
    "unmatched_annotations": "{n} {key} entries name an allele that is no ALT of their record and were not used "
                             "(first: {first}); was the file split into biallelic records after annotation?",
    "annotation_allele_assumed": "{n} single-ALT record(s) carry {key} entries for an allele label that matches "
                                 "no form of the ALT; they were assigned to that ALT (first: {first})",
    "spanning_deletion_alleles": "{n} '*' / <NON_REF> ALT allele(s) were skipped: they are not variants of their "
                                 "own (first: {first})",
    "reference_only_records": "{n} record(s) with ALT '.' (no variant) were skipped (first: {first})",
    "blank_lines": "{n} blank line(s) among the records were skipped (first: {first})",
    "partial_genotypes": "{n} half-missing genotype call(s) (e.g. './1'): alt_count counts only the called "
                         "alleles (first: {first})",
    "prefiltered_common": "{n} variant(s) with a population allele frequency above {threshold} were dropped "
                          "on reading (first: {first})",
}


def read_annotated_vcf(path: Path | str, samples: Sequence[str] | None = None, *,
                       max_af_prefilter: float | None = None) -> AnnotatedVcf:
    """Read a (multi-sample) germline VCF/BCF annotated by VEP or snpEff into one Variant per ALT allele.

    ``samples`` selects and orders the genotype columns (default: all). ``max_af_prefilter`` drops
    variants whose population AF (the largest gnomAD value of any of its annotations, or of the INFO
    keys listed in the module docstring) exceeds it; they are counted in ``prefiltered`` and a warning.
    Variants without a population AF are always kept.
    """
    path = Path(path)
    if max_af_prefilter is not None and not 0.0 <= max_af_prefilter <= 1.0:
        raise InputError(f"max_af_prefilter must be an allele frequency between 0 and 1 (got {max_af_prefilter})")
    with VcfFile(path, samples) as checked:  # existence, gzip integrity, header, GT, samples, GRCh38 (text VCF)
        chosen = list(checked.samples)
        all_samples = list(checked.all_samples)
    is_bcf = _is_bcf(path)
    header_lines, contigs = (0, []) if is_bcf else _scan_text(path)
    # Reading builds millions of small acyclic objects: the cyclic collector would rescan the growing heap
    # again and again (half the run time on a VEP exome), so it is paused while records are read.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with quiet_htslib():
            try:
                reader: _Reader = VCF(str(path), gts012=False, lazy=False, threads=2)
            except Exception as exc:  # cyvcf2 raises plain Exception for unreadable input
                raise InputError(f"not a readable VCF/BCF ({exc})", source=str(path)) from exc
            try:
                if is_bcf:
                    _check_bcf_build(reader.raw_header, path)
                else:  # a BCF header declares every contig; a text VCF need not
                    declare_contigs(reader, contigs)
                return _read_records(reader, path, chosen, all_samples, header_lines, is_bcf, max_af_prefilter)
            finally:
                reader.close()
    finally:
        if collecting:
            gc.enable()


def _is_bcf(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(3)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as stream:
            head = stream.read(3)
    return head == b"BCF"


def _open_text(path: Path) -> Any:
    with path.open("rb") as probe:
        is_gzip = probe.read(2) == b"\x1f\x8b"
    if is_gzip:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def _scan_text(path: Path) -> tuple[int, list[str]]:
    """The number of header lines and every contig the records name (one pass over the text, so that they can
    all be declared to htslib before it parses a record: see :func:`~tailormed.io.vcf.declare_contigs`)."""
    with path.open("rb") as probe:
        is_gzip = probe.read(2) == b"\x1f\x8b"
    header_lines = 0
    names: dict[bytes, int] = {}
    with (gzip.open(path, "rb") if is_gzip else path.open("rb")) as handle:
        for number, line in enumerate(handle, start=1):
            if line[:1] == b"#":
                header_lines += 1 if number == header_lines + 1 else 0
                continue
            chrom = line.partition(b"\t")[0]
            if chrom not in names:
                names[chrom] = number
    contigs: list[str] = []
    for raw, number in names.items():
        try:
            name = raw.rstrip(b"\r\n").decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("the CHROM field is not UTF-8 text", source=str(path), location=f"line {number}") from None
        if not name.strip():
            continue  # a blank line: counted and skipped by the reader
        if not CONTIG_NAME.match(name):
            raise InputError(f"CHROM {name[:60]!r} is not a contig name (VCF 4.3 section 1.4.7)", source=str(path),
                             location=f"line {number}")
        contigs.append(name)
    return header_lines, contigs


def _check_bcf_build(raw_header: str, path: Path) -> None:
    """VcfFile reads the header text of plain/gzipped VCF only; apply the same GRCh37 tests to a BCF header."""
    check_header_build(raw_header.splitlines(), path)


def _diagnose_line(path: Path, number: int, n_samples: int) -> str:
    """A short description of what is wrong with text line ``number`` (for htslib's opaque parse errors)."""
    line = None
    try:
        with _open_text(path) as handle:
            for current, text in enumerate(handle, start=1):
                if current == number:
                    line = text
                    break
    except OSError:
        return ""
    if line is None:
        return ""
    text = line.rstrip("\r\n")
    if not text.strip():
        return "the line is empty"
    columns = text.split("\t")
    expected = 9 + n_samples
    if len(columns) != expected:
        return f"the line has {len(columns)} tab-separated columns, the header has {expected}"
    if not columns[1].isdigit():
        return f"POS {columns[1][:20]!r} is not a position"
    return ""


@dataclass
class _Header:
    source: AnnotationSource
    key: str
    csq: CsqLayout | None
    info_af: list[str]
    info_revel: list[str]
    info_cadd: list[str]
    info_spliceai: bool
    has_dp: bool
    has_gq: bool
    has_ps: bool

    @property
    def has_info_extras(self) -> bool:
        return bool(self.info_af or self.info_revel or self.info_cadd or self.info_spliceai)


def _read_header(reader: _Reader, path: Path, warnings: list[Warning]) -> _Header:
    info: dict[str, dict[str, str]] = {}
    format_ids: set[str] = set()
    for record in reader.header_iter():
        if record.type == "INFO":
            meta = record.info()
            info[meta["ID"]] = meta
        elif record.type == "FORMAT":
            format_ids.add(record.info()["ID"])
    csq: CsqLayout | None = None
    source: AnnotationSource = "none"
    key = ""
    if "CSQ" in info:
        try:
            csq = CsqLayout.from_description(info["CSQ"].get("Description", ""))
        except ValueError as exc:
            raise InputError(str(exc), source=str(path), location="##INFO=<ID=CSQ> header line") from None
        source, key = "vep", "CSQ"
        if "ANN" in info:
            warnings.append(Warning(code="several_annotation_sources", severity="info",
                                    message="the file carries both VEP CSQ and snpEff ANN annotations; CSQ was read"))
    elif "ANN" in info:
        description = info["ANN"].get("Description", "")
        if "Allele" not in description or "Annotation" not in description:
            raise InputError("the ANN header does not describe snpEff's 'Allele | Annotation | ...' layout",
                             source=str(path), location="##INFO=<ID=ANN> header line")
        source, key = "snpeff", "ANN"
    else:
        others = [k for k in ("BCSQ", "EFF") if k in info]
        hint = f" ({', '.join(others)} present but not read)" if others else ""
        warnings.append(Warning(
            code="unannotated_vcf",
            message=f"{path} has no VEP CSQ or snpEff ANN annotation{hint}: every variant is unannotated, so "
                    "consequence, frequency and in-silico evidence are missing; annotate with VEP or snpEff first"))
    return _Header(
        source=source, key=key, csq=csq,
        info_af=[k for k in _INFO_AF_KEYS if k in info],
        info_revel=[k for k in _INFO_REVEL_KEYS if k in info],
        info_cadd=[k for k in _INFO_CADD_KEYS if k in info],
        info_spliceai="SpliceAI" in info,
        has_dp="DP" in format_ids, has_gq="GQ" in format_ids, has_ps="PS" in format_ids,
    )


def _int_column(record: _Record, key: str, columns: list[int]) -> list[int | None] | None:
    """One integer FORMAT value per selected sample (None where missing); None when the record lacks ``key``."""
    array = record.format(key)
    if array is None or array.dtype.kind != "i":
        return None
    values = array[:, 0].tolist()
    return [values[c] if values[c] >= 0 else None for c in columns]


_new = object.__new__
_set = object.__setattr__


def _trusted(cls: type[_M], fields: dict[str, Any]) -> _M:
    """What ``cls.model_construct(**fields)`` makes, without its per-field Python loop (3x cheaper).

    For values this module built and checked itself (types by construction; allele frequencies in 0..1
    and IMPACT values checked by the parsers): pydantic validation of ~300,000 transcript annotations
    per exome was a fifth of the reading time. ``fields`` names every field of ``cls``; the test suite
    checks that the result equals ``cls.model_validate`` of its own dump.
    """
    model = _new(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", set(fields))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def _read_records(reader: _Reader, path: Path, chosen: list[str], all_samples: list[str], header_lines: int,
                  is_bcf: bool, max_af: float | None) -> AnnotatedVcf:
    warnings: list[Warning] = []
    header = _read_header(reader, path, warnings)
    columns = [all_samples.index(s) for s in chosen]
    tally = _Tally()
    variants: list[Variant] = []
    unannotated: list[str] = []
    prefiltered = 0
    records = 0
    name = str(path)
    key = header.key
    parse_entry = header.csq.parse_entry if header.csq is not None else parse_ann_entry
    ordinal = 0
    iterator = iter(reader)
    where = ""
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            break
        except Exception as exc:  # htslib parse errors surface as plain Exception
            ordinal += 1
            location = f"record {ordinal}" if is_bcf else f"line {header_lines + ordinal}"
            detail = "" if is_bcf else _diagnose_line(path, header_lines + ordinal, len(all_samples))
            raise InputError(f"cannot parse VCF record: {detail or exc}", source=name, location=location) from exc
        ordinal += 1
        where = f"{name}:record {ordinal}" if is_bcf else f"{name}:{header_lines + ordinal}"
        try:
            chrom = record.CHROM
        except UnicodeDecodeError:
            raise InputError("the CHROM field is not UTF-8 text", source=name,
                             location=where[len(name) + 1:] if is_bcf else f"line {header_lines + ordinal}") from None
        if not chrom:  # htslib turns a blank line into an empty record: touch nothing else of it
            tally.add("blank_lines", where)
            continue
        records += 1
        try:
            made = _record_variants(record, header, parse_entry, columns, chosen, where, max_af, tally)
        except AnnotationFieldError as exc:
            raise InputError(f"{key} field {exc}", source=name,
                             location=_location(where, name, record)) from None
        except RecordError as exc:
            raise InputError(str(exc), source=name, location=_location(where, name, record)) from None
        except InputError:
            raise
        except UnicodeDecodeError:
            raise InputError("a field of the record is not UTF-8 text", source=name,
                             location=_location(where, name, record)) from None
        except Exception as exc:  # a record htslib accepted but cannot decode (e.g. genotypes)
            detail = "" if is_bcf else _diagnose_line(path, header_lines + ordinal, len(all_samples))
            raise InputError(f"cannot read VCF record: {detail or exc}", source=name,
                             location=_location(where, name, record)) from exc
        for variant in made:
            if variant is None:
                prefiltered += 1
                continue
            variants.append(variant)
            if not variant.annotated and (not unannotated or unannotated[-1] != variant.source):
                unannotated.append(variant.source)
    if records == 0:
        raise InputError("the VCF has a header but no records", source=name, location="end of header")
    if unannotated and header.source != "none":
        tally.add("unannotated_records", unannotated[0], len(unannotated))
    for code, count in tally.counts.items():
        message = _TALLY_MESSAGES[code].format(n=count, key=key or "CSQ/ANN", first=tally.first[code],
                                              threshold=max_af)
        severity: Literal["info", "warning"] = "info" if code in ("blank_lines", "reference_only_records",
                                                                  "prefiltered_common") else "warning"
        warnings.append(Warning(code=code, message=message, severity=severity))
    return AnnotatedVcf(path=name, samples=chosen, variants=variants, annotation_source=header.source,
                        unannotated=unannotated, records_read=records, prefiltered=prefiltered, warnings=warnings)


def _location(where: str, name: str, record: _Record) -> str:
    place = where[len(name) + 1:]
    place = place if place.startswith("record") else f"line {place}"
    return f"{place} ({record.CHROM}:{record.POS})"


def _clearly_common(text: str | None, layout: CsqLayout | None, ref: str, alt: str, info_af: float | None,
                    max_af: float) -> bool:
    """Whether a single-ALT record's variant certainly has a population AF above ``max_af``.

    Reads the frequency fields of the first entry of each allele label only (VEP repeats the allele's
    frequencies in every transcript entry). A variant whose AF is the maximum over all its entries exceeds
    ``max_af`` whenever one entry does, so a True here agrees with the full reading; a False leaves the
    decision to the full reading. Entry-to-ALT matching follows :func:`_assign_entries`.
    """
    if info_af is not None and info_af > max_af:
        return True
    if not text or layout is None:
        return False
    first_by_label: dict[str, float | None] = {}
    for entry in text.split(","):
        label = entry.partition("|")[0] if layout.allele == 0 else layout.entry_frequency(entry)[0]
        if entry and label not in first_by_label:
            first_by_label[label] = layout.entry_frequency(entry)[1]
    forms = {vep_allele_labels(ref, [alt])[0], alt, _minimal_label(ref, alt)}
    matched = [af for label, af in first_by_label.items() if label in forms]
    if not matched and len(first_by_label) == 1:
        matched = list(first_by_label.values())
    return any(af is not None and af > max_af for af in matched)


def _info_extras(record: _Record, header: _Header, alts: Sequence[str]) -> list[tuple[float | None, ...]] | None:
    """Per ALT: (population AF, REVEL, CADD, SpliceAI) from INFO keys, or None when the header declares none."""
    if not header.has_info_extras:
        return None
    n_alts = len(alts)
    columns: list[list[float | None]] = []
    for keys, reader in ((header.info_af, _frequency), (header.info_revel, _max_number),
                         (header.info_cadd, _max_number)):
        per_key = [_per_allele(record.INFO.get(k), n_alts, k, reader) for k in keys]
        columns.append([_max_of([values[i] for values in per_key]) for i in range(n_alts)])
    columns.append(_spliceai_info(record.INFO.get("SpliceAI"), alts) if header.info_spliceai else [None] * n_alts)
    return list(zip(*columns, strict=True))


def _record_variants(record: _Record, header: _Header, parse_entry: Callable[[str], AnnotationEntry],
                     columns: list[int], chosen: list[str], where: str, max_af: float | None,
                     tally: _Tally) -> list[Variant | None]:
    """Variants for each ALT of one record (None marks a variant dropped by the AF prefilter)."""
    alts = record.ALT
    if not alts:
        tally.add("reference_only_records", where)
        return []
    ref = record.REF
    extras = _info_extras(record, header, alts)
    text: str | None = None
    if header.key:
        value = record.INFO.get(header.key)
        if value:
            text = value if isinstance(value, str) else ",".join(str(v) for v in _info_values(value))
            if "\ufffd" in text:  # htslib's decoding of bytes that are not UTF-8: a gene symbol would not match
                raise RecordError(f"the {header.key} annotation is not UTF-8 text")
    # Early drop of a common single-ALT variant: read only the frequency fields of its annotation.
    if max_af is not None and len(alts) == 1 and alts[0] not in _SKIPPED_ALTS and _clearly_common(
            text, header.csq, ref, alts[0], extras[0][0] if extras else None, max_af):
        tally.add("prefiltered_common", f"{where} {alts[0]}")
        return [None]
    annotated_record = False
    per_alt: list[list[AnnotationEntry]] = [[] for _ in alts]
    if text:
        entries = [parse_entry(e) for e in text.split(",") if e]
        if entries:
            annotated_record = True
            per_alt, unmatched, assumed = _assign_entries(entries, ref, alts, header.source)
            if unmatched:
                tally.add("unmatched_annotations", where, unmatched)
            if assumed:
                tally.add("annotation_allele_assumed", where)
    cnv_end = _check_copy_number(record, alts)
    samples = _sample_calls(record, header, columns, chosen, where, tally, len(alts))
    filter_pass = record.FILTER is None
    qual = record.QUAL
    chrom, pos = record.CHROM, record.POS
    out: list[Variant | None] = []
    for index, alt in enumerate(alts):
        if alt in _SKIPPED_ALTS:
            tally.add("spanning_deletion_alleles", where)
            continue
        fields_list = [entry.fields for entry in per_alt[index]]
        af: float | None = None
        if extras is not None:
            af, revel, cadd, splice = extras[index]
            for fields in fields_list:
                if fields["gnomad_af"] is None:
                    fields["gnomad_af"] = af
                if fields["revel"] is None:
                    fields["revel"] = revel
                if fields["cadd_phred"] is None:
                    fields["cadd_phred"] = cadd
                if fields["spliceai_max"] is None:
                    fields["spliceai_max"] = splice
        if max_af is not None:
            best = _max_of([af, *(fields["gnomad_af"] for fields in fields_list)])
            if best is not None and best > max_af:
                tally.add("prefiltered_common", f"{where} {alt}")
                out.append(None)
                continue
        allele = index + 1
        genotypes = {}
        for name, alleles, missing, phased, phase_set, depth, quality in samples:
            genotypes[name] = _trusted(SampleGenotype, {
                "alt_count": None if missing else alleles.count(allele),
                "ploidy": len(alleles),
                "phased": phased,
                "phase_set": phase_set,
                "haplotype_with_alt": [h for h, a in enumerate(alleles) if a == allele] if phased else [],
                "depth": depth,
                "genotype_quality": quality,
            })
        v_pos, v_ref, v_alt = parsimonious(pos, ref, alt)
        out.append(_trusted(Variant, {
            "chrom": chrom, "pos": v_pos, "ref": v_ref, "alt": v_alt, "filter_pass": filter_pass, "qual": qual,
            "source": where, "end": cnv_end if copy_number_kind(alt) else None,
            "annotated": annotated_record and bool(fields_list),
            "annotations": [_trusted(TranscriptConsequence, fields) for fields in fields_list],
            "genotypes": genotypes,
        }))
    return out


def _info_scalar(record: _Record, key: str) -> object:
    value = record.INFO.get(key)
    if isinstance(value, tuple | list):
        return value[0] if len(value) == 1 else value
    return value


def _check_copy_number(record: _Record, alts: Sequence[str]) -> int | None:
    """A copy-number record (symbolic <DEL>/<DUP>/<CNn> ALT) must agree with its own INFO: END not before POS,
    SVTYPE naming the same kind of event, a CN on the right side of two copies (VCF 4.3 section 3 and 5.4).
    Returns the record's END (the event's last base), or None when it has none or is not a copy-number record. An
    END beyond the genes of the chromosome is fine (the event reaches past them)."""
    kinds = {kind for kind in (copy_number_kind(alt) for alt in alts) if kind}
    if not kinds:
        return None
    end = _info_scalar(record, "END")
    if end is not None:
        if not isinstance(end, int) or isinstance(end, bool):
            raise RecordError(f"INFO END {end!r} is not a whole number")
        if end < record.POS:
            raise RecordError(f"INFO END {end} is before POS {record.POS}: the copy-number event would end before "
                              "it starts")
    svtype = _info_scalar(record, "SVTYPE")
    label = svtype.upper() if isinstance(svtype, str) else None
    expected = {"DEL": "loss", "DUP": "gain"}.get(label or "")
    if expected is not None and kinds != {expected}:
        raise RecordError(f"INFO SVTYPE={svtype} but the ALT {','.join(alts)} is a copy-number "
                          f"{'/'.join(sorted(kinds))}")
    copies = _info_scalar(record, "CN")
    if not isinstance(copies, bool) and isinstance(copies, int | float) and len(kinds) == 1:
        kind = next(iter(kinds))
        if kind == "loss" and copies >= 3 or kind == "gain" and copies <= 1:
            raise RecordError(f"INFO CN={copies:g} contradicts the ALT {','.join(alts)} (a copy-number {kind})")
    return end if isinstance(end, int) else None


_SampleCall = tuple[str, list[int], bool, bool, int | None, int | None, int | None]


def _sample_calls(record: _Record, header: _Header, columns: list[int], chosen: list[str], where: str,
                  tally: _Tally, n_alts: int) -> list[_SampleCall]:
    """Per selected sample: (name, allele indices, all missing, phased, PS, DP, GQ)."""
    calls = record.genotypes
    out: list[_SampleCall] = []
    any_phased = False
    for k, column in enumerate(columns):
        call = calls[column]
        alleles = call[:-1]
        called = [a for a in alleles if a >= 0]
        if called and max(called) > n_alts:
            raise RecordError(f"sample {chosen[k]!r} has genotype allele {max(called)} but the record has {n_alts} "
                              "ALT allele(s)")
        if called and len(called) < len(alleles):
            tally.add("partial_genotypes", f"{where} {chosen[k]}")
        phased = bool(call[-1]) and len(alleles) > 1
        any_phased = any_phased or phased
        out.append((chosen[k], alleles, not called, phased, None, None, None))
    depth = _int_column(record, "DP", columns) if header.has_dp else None
    quality = _int_column(record, "GQ", columns) if header.has_gq else None
    phase_set = _int_column(record, "PS", columns) if header.has_ps and any_phased else None
    if depth is None and quality is None and phase_set is None:
        return out
    return [(name, alleles, missing, phased,
             phase_set[k] if phase_set is not None and phased else None,
             depth[k] if depth is not None else None,
             quality[k] if quality is not None else None)
            for k, (name, alleles, missing, phased, _, _, _) in enumerate(out)]


def has_variant_annotations(path: Path | str) -> bool:
    """True when the VCF/BCF header declares a VEP ``CSQ`` or snpEff ``ANN`` INFO field."""
    with quiet_htslib():
        try:
            reader = VCF(str(path), lazy=True)
        except Exception as exc:  # cyvcf2 raises plain Exception for unreadable input
            raise InputError(f"not a readable VCF/BCF ({exc})", source=str(path)) from exc
        try:
            return any(reader.contains(tag) for tag in ("CSQ", "ANN"))
        finally:
            reader.close()
