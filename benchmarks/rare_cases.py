"""Case VCFs for the rare-disease benchmark: a phenopacket's causal variant(s) among VEP-annotated decoys.

Usage (writes one case VCF for inspection and prints what was placed):
    python benchmarks/rare_cases.py PHENOPACKET.json [--out case.vcf] [--seed 1] [--decoys 200] [--genes FILE]
    python benchmarks/rare_cases.py --exome exome.vcf [--records 50000] [--genes FILE]

Without ``--genes`` (one symbol a line) the decoy genes are the gene folders beside the phenopacket's own folder
(phenopacket-store lays cases out one folder per gene); ``benchmarks/rare_phenopackets.py`` passes the disease
genes of the HPO annotations instead.

What a case VCF holds
---------------------
* Every causal ``vcfRecord`` of the phenopacket (GRCh38; ``MT`` is written ``chrM``). A genomic interpretation
  with only a ``structuralType`` (a deletion of unknown size, "chromosome_structure_variation") has no sequence
  to place: a case with no placeable variant at all gives ``CaseBuild(placeable=False, reason="no placeable
  variant: ...")`` and no file; a case with some placeable and some not is built and lists the rest in
  ``CaseBuild.unplaced`` (an engine then sees, e.g., one het variant of a recessive pair).
* ``n_decoys`` rare variants in other disease genes (the caller's list minus the case's genes), at synthetic
  positions on chr1..chr22/chrX (weighted by length; a gene named in ``x_linked_genes`` goes on chrX, every other
  gene on an autosome when that set is given), at least 1 kb from every causal variant and from each other.
  The engine takes the gene from the CSQ SYMBOL, so the position only has to be valid, not the gene's own.
  REF/ALT bases are random (the reference base is not looked up).

Consequences of causal variants (``derive_consequence``) are read off the HGVS expressions the way VEP would
report them (terms and IMPACT classes as in Ensembl's "Calculated variant consequences" table): p.Arg12Ter or
p.Arg12* -> stop_gained; p.…fs… -> frameshift_variant; c.N+1/+2 -> splice_donor_variant and c.N-1/-2 ->
splice_acceptor_variant (HIGH); c.N+3..+8 / c.N-3..-8 -> splice_region_variant&intron_variant (LOW; VEP >= 105
may add splice_donor_5th_base_variant, splice_donor_region_variant or splice_polypyrimidine_tract_variant,
which we do not emit); deeper intronic -> intron_variant; c.-N / c.*N -> 5_prime_UTR_variant / 3_prime_UTR_variant
(MODIFIER); missense p.Leu918Phe -> missense_variant with Protein_position 918 and Amino_acids L/F; protein
del/ins/dup -> inframe_deletion/insertion (MODERATE; a delins by the nucleotide length change); p.Met1? (or any
change of Met1) -> start_lost; Ter…ext -> stop_lost; p.= -> synonymous_variant (stop_retained_variant at a Ter).
A frameshift is decided by the nucleotide length change as VEP does (a 2-bp deletion written p.Cys268Ter is
stop_gained&frameshift_variant). Without a usable p. the variant's shape decides: a coding indel is a
frameshift/inframe variant, a change of c.1-c.3 is start_lost, a coding substitution whose amino acids are not
given is coding_sequence_variant (MODIFIER: VEP's term when the codon change is unknown; we cannot translate
without the reference sequence), an exon-spanning deletion (c. length differs from the genomic length) is
splice_acceptor_variant&splice_donor_variant&coding_sequence_variant&intron_variant, n. (non-coding RNA)
-> non_coding_transcript_exon_variant, m. in an MT tRNA/rRNA -> non_coding_transcript_exon_variant, no HGVS
but an upstream ``structuralType`` -> upstream_gene_variant, nothing at all -> sequence_variant.

Annotation fields: Allele as VEP writes it (for an indel the base shared by REF and ALT stripped, '-' for a
deletion; the rule of ensembl-vep's VCF parser); HGVSc/HGVSp copied in VEP style (``NM_…:c.…``,
``NP_…:p.Leu918Phe``: brackets dropped, '=' written %3D as VEP does in a VCF, no HGVSp for p.?); CANONICAL=YES;
Feature_type Transcript;
CDS_position from c. when the change is exonic coding; Gene, cDNA_position, Codons, MANE_SELECT,
Existing_variation and CLIN_SIG empty for every record (we do not know them, and a field set for causal variants
only would tell them apart). EXON and INTRON are left EMPTY for every record, causal and decoy: the real exon is
unknown, and a made-up one ('2/10') is exactly the fact that changes a classification (PVS1's
nonsense-mediated-decay rule turns on the last exon and the last 50 bp of the penultimate one), so an engine
must treat it as unknown for all alike.

Fairness of scores (``draw_scores``, the same function for causal and decoy variants, keyed only on the
consequence): we do not know the real REVEL/CADD/gnomAD/SpliceAI values of the causal variants, so none is
favoured.
* gnomADe_AF: empty for 60% of variants (absent from gnomAD), otherwise log-uniform on 1e-6..1e-3.
* REVEL (missense only, as the REVEL plugin): Beta(1, 1.5) on [0, 1] (mean 0.4; P(>= 0.644, the ClinGen PP3
  moderate threshold of Pejaver et al. 2022) = 0.21; P(>= 0.932, strong) = 0.018; P(<= 0.290, BP4) = 0.40).
* CADD_PHRED: missense 12 + 22*REVEL + N(0, 3) (correlated with REVEL); stop_gained/frameshift N(35, 5);
  canonical splice N(30, 4); start/stop lost N(24, 4); inframe N(20, 4); coding_sequence_variant as missense;
  splice region N(12, 5); synonymous N(8, 4); UTR/intron/non-coding N(6, 4); clipped to 0..60.
* SpliceAI DS_AG/AL/DG/DL: each U(0, 0.05) (low), except the loss score on the affected side: splice region
  Beta(0.8, 1.6) (broad, mean 0.33), canonical splice site Beta(2, 1) (mean 0.67).
* No CLIN_SIG, no Existing_variation; QUAL ~ U(50, 1500), DP ~ U(20, 90), GQ ~ U(40, 99) for every record.

Decoy consequence mix (roughly that of rare coding variants in an exome): 55% missense_variant, 25%
synonymous_variant, 6% splice_region_variant&intron_variant (c.N+3..+8 / c.N-3..-8), 2% intron_variant,
2% inframe_deletion, 2% inframe_insertion, 3% stop_gained, 3% frameshift_variant, 1% splice_donor_variant,
1% splice_acceptor_variant. Genotypes 95% 0/1, 5% 1/1; on chrX of a male every decoy is haploid '1'.
Each decoy gene gets a stable synthetic NM_/NP_ accession and protein length; HGVS strings are well-formed.

Realism options (``Realism``, all off by default; off, the files are byte-identical to earlier runs for the same
seed): ``scores="class"`` draws causal missense REVEL from the published share of disease mutations per score
interval and decoy REVEL from that of a proband's rare missense variants (CADD follows REVEL); ``intronic_splice=
"realistic"`` gives deep-intronic causal variants a SpliceAI gain score, most of them below 0.2; ``decoy_genes=
"genome"`` spreads the decoys over all protein-coding genes of the GENCODE-based table in the spliceai 1.3.1 wheel
(``load_gene_table``), weighted by exonic length, on each gene's own chromosome, with a published number of rare
missense and pLoF variants per exome. Sources in the constants' comments and benchmarks/README.md.

Genotypes of causal variants from ``allelicState``: GENO:0000135 heterozygous 0/1, GENO:0000136 homozygous
1/1, GENO:0000134 hemizygous '1' (haploid) on chrX/chrY of a male, 0/1 on chrX of a female (a female cannot be
hemizygous for X; in phenopacket-store these are the de novo heterozygous KDM6A and ZFX females, so 1/1 would
invent a second allele), 1/1 otherwise (unknown sex, other chromosomes). Two different het variants in one gene
are written unphased 0/1 each (compound heterozygous); the same variant listed twice as het is written once 1/1.
FORMAT is GT:DP:GQ; the one sample is named after the subject id (characters outside [A-Za-z0-9._-] -> '_').
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import json
import math
import os
import random
import re
import sys
import tempfile
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tailormed.model.genome import ucsc_chrom

# --------------------------------------------------------------------------- constants

#: GRCh38 primary assembly sequence lengths (UCSC hg38 / GRC GCA_000001405.15).
GRCH38_LENGTHS: dict[str, int] = {
    "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555, "chr5": 181538259,
    "chr6": 170805979, "chr7": 159345973, "chr8": 145138636, "chr9": 138394717, "chr10": 133797422,
    "chr11": 135086622, "chr12": 133275309, "chr13": 114364328, "chr14": 107043718, "chr15": 101991189,
    "chr16": 90338345, "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
    "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415, "chrM": 16569,
}
CONTIG_ORDER = {name: index for index, name in enumerate(GRCH38_LENGTHS)}
DECOY_CHROMOSOMES = [f"chr{n}" for n in range(1, 23)] + ["chrX"]
AUTOSOMES = DECOY_CHROMOSOMES[:-1]

CSQ_FIELDS = ("Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|"
              "cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|CANONICAL|"
              "MANE_SELECT|gnomADe_AF|CLIN_SIG|REVEL|CADD_PHRED|SpliceAI_pred_DS_AG|SpliceAI_pred_DS_AL|"
              "SpliceAI_pred_DS_DG|SpliceAI_pred_DS_DL")
CSQ_HEADER = ('##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
              f'Format: {CSQ_FIELDS}">')

GENO_HETEROZYGOUS = "GENO:0000135"
GENO_HOMOZYGOUS = "GENO:0000136"
GENO_HEMIZYGOUS = "GENO:0000134"

#: IMPACT of each consequence term, from Ensembl's "Calculated variant consequences" table.
IMPACT: dict[str, str] = {
    "transcript_ablation": "HIGH", "splice_acceptor_variant": "HIGH", "splice_donor_variant": "HIGH",
    "stop_gained": "HIGH", "frameshift_variant": "HIGH", "stop_lost": "HIGH", "start_lost": "HIGH",
    "inframe_insertion": "MODERATE", "inframe_deletion": "MODERATE", "missense_variant": "MODERATE",
    "protein_altering_variant": "MODERATE",
    "splice_region_variant": "LOW", "splice_donor_5th_base_variant": "LOW", "splice_donor_region_variant": "LOW",
    "splice_polypyrimidine_tract_variant": "LOW", "start_retained_variant": "LOW", "stop_retained_variant": "LOW",
    "synonymous_variant": "LOW",
    "coding_sequence_variant": "MODIFIER", "feature_truncation": "MODIFIER", "5_prime_UTR_variant": "MODIFIER",
    "3_prime_UTR_variant": "MODIFIER",
    "non_coding_transcript_exon_variant": "MODIFIER", "intron_variant": "MODIFIER",
    "non_coding_transcript_variant": "MODIFIER", "upstream_gene_variant": "MODIFIER",
    "downstream_gene_variant": "MODIFIER", "sequence_variant": "MODIFIER",
}
IMPACT_RANK = {"HIGH": 3, "MODERATE": 2, "LOW": 1, "MODIFIER": 0}

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G", "His": "H",
    "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W",
    "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Pyl": "O", "Xaa": "X",
}
AMINO_ACIDS = [aa for aa in THREE_TO_ONE if aa not in ("Ter", "Sec", "Pyl", "Xaa")]
#: Amino acids one base change away from a stop codon (used for synthetic stop_gained decoys).
STOP_REACHABLE = ["Arg", "Gln", "Trp", "Tyr", "Glu", "Lys", "Ser", "Leu", "Cys", "Gly"]
BASES = "ACGT"

# --------------------------------------------------------------------------- results


@dataclass
class CaseBuild:
    """What ``build_case_vcf`` placed for one phenopacket."""

    case_id: str = ""
    sample: str = ""
    placeable: bool = False
    reason: str | None = None
    causal_genes: set[str] = field(default_factory=set)
    causal_variants: list[str] = field(default_factory=list)
    causal_consequences: list[str] = field(default_factory=list)
    n_decoys: int = 0
    unplaced: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DerivedConsequence:
    """A VEP-style consequence of one variant on its transcript."""

    terms: tuple[str, ...]
    protein_position: str = ""
    amino_acids: str = ""
    cds_position: str = ""
    biotype: str = "protein_coding"
    splice_side: str = ""  # "donor" or "acceptor" for splice variants: which SpliceAI loss score applies

    @property
    def consequence(self) -> str:
        return "&".join(self.terms)

    @property
    def impact(self) -> str:
        return max((IMPACT[t] for t in self.terms), key=IMPACT_RANK.__getitem__)


@dataclass
class _Record:
    chrom: str
    pos: int
    ref: str
    alt: str
    gt: str
    csq: str
    qual: float
    dp: int
    gq: int


# --------------------------------------------------------------------------- HGVS parsing

_POSITION = r"[-*]?\d+(?:[+-]\d+)?"
_C_BODY = re.compile(rf"^(?P<start>{_POSITION})(?:_(?P<end>{_POSITION}))?(?P<change>.*)$")
_POSITION_PARTS = re.compile(r"^(?P<utr>[-*])?(?P<base>\d+)(?P<offset>[+-]\d+)?$")
_AA = r"(?:Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val|Ter|Sec|Pyl|Xaa|\*)"
_P_SUBSTITUTION = re.compile(rf"^(?P<ref>{_AA})(?P<pos>\d+)(?P<alt>{_AA}|=|\?)$")
_P_FRAMESHIFT = re.compile(rf"^(?P<ref>{_AA})(?P<pos>\d+)(?P<alt>{_AA})?fs")
_P_EXTENSION = re.compile(rf"^(?P<ref>{_AA})(?P<pos>\d+)(?P<alt>{_AA})?ext")
_P_INDEL = re.compile(rf"^(?P<ref>{_AA})(?P<pos>\d+)(?:_(?P<ref2>{_AA})(?P<pos2>\d+))?(?P<kind>delins|del|dup|ins)")


@dataclass(frozen=True)
class _CPos:
    region: str  # "5utr", "cds" or "3utr"
    base: int
    offset: int

    @property
    def linear(self) -> int:
        """Exonic order along the transcript (c.-1 immediately before c.1; 3'UTR after any CDS position)."""
        if self.region == "5utr":
            return 1 - self.base
        if self.region == "3utr":
            return 10**9 + self.base
        return self.base


def _parse_position(text: str) -> _CPos | None:
    match = _POSITION_PARTS.match(text)
    if match is None:
        return None
    region = {"-": "5utr", "*": "3utr"}.get(match["utr"] or "", "cds")
    return _CPos(region, int(match["base"]), int(match["offset"] or 0))


def _strip_reference(expression: str | None) -> str:
    """``NM_000350.3:c.1938-1G>A`` -> ``c.1938-1G>A``; whitespace removed (``c.367C > T``)."""
    if not expression:
        return ""
    text = re.sub(r"\s+", "", expression)
    return text.split(":", 1)[1] if ":" in text else text


def _one_letter(aa: str) -> str:
    return "*" if aa == "*" else THREE_TO_ONE.get(aa, "X")


def vep_allele(ref: str, alt: str) -> str:
    """The CSQ Allele as VEP writes it: for an indel, a first base shared by REF and ALT is dropped ('-' when nothing
    is left); substitutions, MNVs included, keep the ALT as written (ensembl-vep's VCF parser)."""
    if len(ref) != len(alt) and ref[:1] == alt[:1]:
        return alt[1:] or "-"
    return alt


def vep_hgvsp(expression: str | None) -> str:
    """``NP_1.1:p.(Leu918Phe)`` -> ``NP_1.1:p.Leu918Phe``; '=' as %3D; empty for p.? (VEP writes none)."""
    if not expression:
        return ""
    text = re.sub(r"\s+", "", expression)
    prefix, _, body = text.rpartition(":")
    body = body.removeprefix("p.")
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    if body in ("?", ""):
        return ""
    body = body.replace("=", "%3D")
    return f"{prefix}:p.{body}" if prefix else f"p.{body}"


def vep_hgvsc(expression: str | None) -> str:
    """The c./n./m. expression with whitespace removed and INFO-unsafe characters percent-encoded."""
    if not expression:
        return ""
    return _escape(re.sub(r"\s+", "", expression))


def _escape(value: str) -> str:
    return value.replace(";", "%3B").replace(",", "%2C").replace("=", "%3D").replace("|", "%7C")


# --------------------------------------------------------------------------- consequence derivation


def derive_consequence(hgvs_c: str | None, hgvs_p: str | None, ref: str, alt: str, gene: str = "",
                       structural_type: str | None = None) -> DerivedConsequence:
    """The consequence VEP would report for a variant described by its HGVS expressions and VCF alleles.

    Deterministic; see the module docstring for the rules.

    >>> derive_consequence("NM_014141.6:c.2752C>T", "NP_054860.1:p.(Leu918Phe)", "C", "T").consequence
    'missense_variant'
    >>> derive_consequence("NM_000350.3:c.1938-1G>A", None, "C", "T").impact
    'HIGH'
    """
    c_text = _strip_reference(hgvs_c)
    net = len(alt) - len(ref)
    if not c_text or c_text.startswith("g."):
        label = (structural_type or "").lower()
        if "upstream" in label:
            return DerivedConsequence(("upstream_gene_variant",))
        if "downstream" in label:
            return DerivedConsequence(("downstream_gene_variant",))
        return DerivedConsequence(("sequence_variant",))
    kind, body = c_text[0], c_text[2:]
    if c_text[1:2] != "." or kind not in "cnm":
        return DerivedConsequence(("sequence_variant",))
    match = _C_BODY.match(body)
    start = _parse_position(match["start"]) if match else None
    if match is None or start is None:
        return DerivedConsequence(("coding_sequence_variant",) if kind == "c" else ("sequence_variant",))
    end = _parse_position(match["end"]) if match["end"] else start
    assert end is not None
    change = match["change"]

    if kind == "m":
        if gene.startswith(("MT-T", "MT-R")):
            return DerivedConsequence(("non_coding_transcript_exon_variant",),
                                      biotype="Mt_tRNA" if gene.startswith("MT-T") else "Mt_rRNA")
        kind = "c"  # MT protein-coding genes number their CDS like c.
    noncoding = kind == "n"
    biotype = ("snRNA" if gene.startswith("RNU") else "lncRNA") if noncoding else "protein_coding"

    if start.offset or end.offset:
        return _intronic(start, end, noncoding, biotype)
    if noncoding:
        return DerivedConsequence(("non_coding_transcript_exon_variant",), biotype=biotype)

    # exonic, protein-coding transcript
    if start.region == "5utr" and end.region == "5utr":
        return DerivedConsequence(("5_prime_UTR_variant",))
    if start.region == "3utr" and end.region == "3utr":
        return DerivedConsequence(("3_prime_UTR_variant",))
    if start.region == "5utr":  # reaches into the CDS, so through the start codon
        return DerivedConsequence(("start_lost", "5_prime_UTR_variant"), protein_position="1")
    if end.region == "3utr":  # from the CDS through the stop codon
        return DerivedConsequence(("stop_lost", "3_prime_UTR_variant"))

    cds_position = str(start.base) if start.base == end.base else f"{start.base}-{end.base}"
    is_deletion = "del" in change and "delins" not in change
    if is_deletion and -net > end.base - start.base + 1:
        # the genomic deletion is longer than its coding span: it takes at least one intron with it
        return DerivedConsequence(("splice_acceptor_variant", "splice_donor_variant", "coding_sequence_variant",
                                   "intron_variant"), cds_position=cds_position, splice_side="donor")
    frameshift = net % 3 != 0
    return _coding(_strip_reference(hgvs_p), start, end, net, frameshift, cds_position)


def _intronic(start: _CPos, end: _CPos, noncoding: bool, biotype: str) -> DerivedConsequence:
    tail = ("non_coding_transcript_variant",) if noncoding else ()
    one_intron = (
        (start.offset and end.offset)
        and ((start.linear == end.linear and (start.offset > 0) == (end.offset > 0))
             or (start.offset > 0 > end.offset and end.linear == start.linear + 1))
    )
    if one_intron:
        donor = region = acceptor = False
        if start.offset > 0:  # the range starts on the donor side
            donor = start.offset <= 2
            region = start.offset <= 8
        if end.offset < 0:  # the range ends on the acceptor side
            acceptor = end.offset >= -2
            region = region or end.offset >= -8
        if start.offset < 0:  # both on the acceptor side: [start.offset, end.offset]
            region = region or end.offset >= -8
        if end.offset > 0:  # both on the donor side
            region = region or start.offset <= 8
        if donor or acceptor:
            terms = tuple(t for t, hit in (("splice_acceptor_variant", acceptor), ("splice_donor_variant", donor))
                          if hit)
            if start != end:
                terms += ("intron_variant",)
            return DerivedConsequence(terms + tail, biotype=biotype, splice_side="donor" if donor else "acceptor")
        if region:
            side = "donor" if start.offset > 0 else "acceptor"
            return DerivedConsequence(("splice_region_variant", "intron_variant") + tail, biotype=biotype,
                                      splice_side=side)
        return DerivedConsequence(("intron_variant",) + tail, biotype=biotype)
    # the range crosses an exon boundary
    donor = end.offset != 0 or 0 < start.offset <= 2
    acceptor = start.offset != 0 or -2 <= end.offset < 0
    exonic: tuple[str, ...]
    if noncoding:
        exonic = ("non_coding_transcript_exon_variant",)
    elif {start.region, end.region} == {"5utr"}:
        exonic = ("5_prime_UTR_variant",)
    elif {start.region, end.region} == {"3utr"}:
        exonic = ("3_prime_UTR_variant",)
    else:
        exonic = ("coding_sequence_variant",)
    terms = tuple(t for t, hit in (("splice_acceptor_variant", acceptor), ("splice_donor_variant", donor)) if hit)
    return DerivedConsequence(terms + exonic + ("intron_variant",) + tail, biotype=biotype,
                              splice_side="donor" if donor else "acceptor")


def _coding(p_text: str, start: _CPos, end: _CPos, net: int, frameshift: bool,
            cds_position: str) -> DerivedConsequence:
    body = p_text.removeprefix("p.")
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    shape: tuple[str, ...] = ()
    if frameshift:
        shape = ("frameshift_variant",)
    elif net < 0:
        shape = ("inframe_deletion",)
    elif net > 0:
        shape = ("inframe_insertion",)

    if body == "=":
        return DerivedConsequence(("synonymous_variant",), cds_position=cds_position)
    if m := _P_EXTENSION.match(body):
        position, ref1 = m["pos"], _one_letter(m["ref"])
        if ref1 == "*":
            aas = f"*/{_one_letter(m['alt'])}" if m["alt"] else ""
            return DerivedConsequence(("stop_lost",), protein_position=position, amino_acids=aas,
                                      cds_position=cds_position)
        if position == "1":
            return DerivedConsequence(("start_lost",), protein_position="1", cds_position=cds_position)
    if m := _P_FRAMESHIFT.match(body):
        return DerivedConsequence(("frameshift_variant",), protein_position=m["pos"],
                                  amino_acids=f"{_one_letter(m['ref'])}/X", cds_position=cds_position)
    if m := _P_SUBSTITUTION.match(body):
        ref1, alt3, position = _one_letter(m["ref"]), m["alt"], m["pos"]
        if position == "1" and ref1 == "M" and alt3 not in ("=", "Met"):
            aas = f"M/{_one_letter(alt3)}" if alt3 != "?" else ""
            return DerivedConsequence(("start_lost",), protein_position="1", amino_acids=aas,
                                      cds_position=cds_position)
        if alt3 == "=" or (alt3 != "?" and _one_letter(alt3) == ref1):
            term = "stop_retained_variant" if ref1 == "*" else "synonymous_variant"
            return DerivedConsequence((term,), protein_position=position, amino_acids=ref1,
                                      cds_position=cds_position)
        if alt3 == "?":
            return _by_shape(shape, start, end, cds_position, position)
        alt1 = _one_letter(alt3)
        if alt1 == "*":
            return DerivedConsequence(("stop_gained",) + shape, protein_position=position,
                                      amino_acids=f"{ref1}/*", cds_position=cds_position)
        if ref1 == "*":
            return DerivedConsequence(("stop_lost",) + shape, protein_position=position,
                                      amino_acids=f"*/{alt1}", cds_position=cds_position)
        if frameshift:
            return DerivedConsequence(shape, protein_position=position, cds_position=cds_position)
        return DerivedConsequence(("missense_variant",) + shape, protein_position=position,
                                  amino_acids=f"{ref1}/{alt1}", cds_position=cds_position)
    if m := _P_INDEL.match(body):
        position = m["pos"] if not m["pos2"] else f"{m['pos']}-{m['pos2']}"
        if m["pos"] == "1" and _one_letter(m["ref"]) == "M" and m["kind"] in ("del", "delins"):
            return DerivedConsequence(("start_lost",), protein_position=position, cds_position=cds_position)
        if frameshift:
            return DerivedConsequence(shape, protein_position=position, cds_position=cds_position)
        if m["kind"] == "del":
            return DerivedConsequence(("inframe_deletion",), protein_position=position, cds_position=cds_position)
        if m["kind"] in ("ins", "dup"):
            return DerivedConsequence(("inframe_insertion",), protein_position=position, cds_position=cds_position)
        # delins: decided by the nucleotide length change, as VEP does
        term = "inframe_deletion" if net < 0 else "inframe_insertion" if net > 0 else "missense_variant"
        return DerivedConsequence((term,), protein_position=position, cds_position=cds_position)
    return _by_shape(shape, start, end, cds_position, "")


def _by_shape(shape: tuple[str, ...], start: _CPos, end: _CPos, cds_position: str,
              protein_position: str) -> DerivedConsequence:
    """No usable protein description: what the variant's shape alone says."""
    if start.base <= 3 and start.region == "cds":
        return DerivedConsequence(("start_lost",) + shape, protein_position="1", cds_position=cds_position)
    if shape:
        return DerivedConsequence(shape, protein_position=protein_position, cds_position=cds_position)
    return DerivedConsequence(("coding_sequence_variant",), protein_position=protein_position,
                              cds_position=cds_position)


# --------------------------------------------------------------------------- scores (same for causal and decoys)


def _gauss_clipped(rng: random.Random, mean: float, sd: float, low: float = 0.0, high: float = 60.0) -> float:
    return min(high, max(low, rng.gauss(mean, sd)))


def draw_rare_af(rng: random.Random) -> float | None:
    """gnomAD exome AF of a rare variant: absent 60% of the time, else log-uniform on 1e-6..1e-3."""
    if rng.random() < 0.6:
        return None
    return 10 ** rng.uniform(-6, -3)


def draw_scores(derived: DerivedConsequence, rng: random.Random) -> dict[str, str]:
    """REVEL, CADD and SpliceAI values drawn from distributions that depend only on the consequence."""
    terms = set(derived.terms)
    revel: float | None = None
    if "missense_variant" in terms:
        revel = rng.betavariate(1.0, 1.5)
        cadd = _gauss_clipped(rng, 12 + 22 * revel, 3)
    elif terms & {"stop_gained", "frameshift_variant"}:
        cadd = _gauss_clipped(rng, 35, 5)
    elif terms & {"splice_donor_variant", "splice_acceptor_variant"}:
        cadd = _gauss_clipped(rng, 30, 4)
    elif terms & {"start_lost", "stop_lost"}:
        cadd = _gauss_clipped(rng, 24, 4)
    elif terms & {"inframe_deletion", "inframe_insertion"}:
        cadd = _gauss_clipped(rng, 20, 4)
    elif "coding_sequence_variant" in terms:
        cadd = _gauss_clipped(rng, 12 + 22 * rng.betavariate(1.0, 1.5), 3)
    elif "splice_region_variant" in terms:
        cadd = _gauss_clipped(rng, 12, 5)
    elif terms & {"synonymous_variant", "stop_retained_variant"}:
        cadd = _gauss_clipped(rng, 8, 4)
    else:
        cadd = _gauss_clipped(rng, 6, 4)
    spliceai = {key: rng.uniform(0, 0.05) for key in ("AG", "AL", "DG", "DL")}
    if derived.splice_side:
        loss = "DL" if derived.splice_side == "donor" else "AL"
        canonical = bool(terms & {"splice_donor_variant", "splice_acceptor_variant"})
        spliceai[loss] = rng.betavariate(2.0, 1.0) if canonical else rng.betavariate(0.8, 1.6)
    af = draw_rare_af(rng)
    return {
        "gnomADe_AF": "" if af is None else f"{af:.3g}",
        "REVEL": "" if revel is None else f"{revel:.3f}",
        "CADD_PHRED": f"{cadd:.2f}",
        **{f"SpliceAI_pred_DS_{key}": f"{value:.2f}" for key, value in spliceai.items()},
    }


# --------------------------------------------------------------------------- realism options (off by default)


@dataclass(frozen=True)
class Realism:
    """Benchmark realism options; the default (all off) builds exactly the case VCFs of earlier runs.

    * ``scores="class"``: causal missense variants draw REVEL from a pathogenic-like distribution, decoys from a
      population-like one (``draw_revel``); CADD follows REVEL as before. Other scores keep today's draw (no
      published class-specific distribution found for them; benchmarks/README.md, *Realistic options*).
    * ``intronic_splice="realistic"``: deep-intronic causal variants get a SpliceAI gain score from
      ``draw_deep_intronic_spliceai`` (today they get <= 0.05 like any intron variant and are always filtered).
    * ``decoy_genes="genome"``: decoys over all protein-coding genes of the GENCODE-based table (``load_gene_table``)
      weighted by exonic length, on the gene's own chromosome, with ``GENOME_DECOYS`` variants per case.
    """

    scores: str = "same"
    intronic_splice: str = "default"
    decoy_genes: str = "disease"
    #: with ``decoy_genes="genome"``: rare pLoF decoys per case (``GENOME_LOF``, a lower bound; raise it to see how
    #: much the figures depend on it)
    genome_lof: int = 2

    def __post_init__(self) -> None:
        if self.scores not in ("same", "class"):
            raise ValueError(f"scores must be 'same' or 'class', not {self.scores!r}")
        if self.intronic_splice not in ("default", "realistic"):
            raise ValueError(f"intronic_splice must be 'default' or 'realistic', not {self.intronic_splice!r}")
        if self.decoy_genes not in ("disease", "genome"):
            raise ValueError(f"decoy_genes must be 'disease' or 'genome', not {self.decoy_genes!r}")
        if self.genome_lof < 0:
            raise ValueError(f"genome_lof must not be negative, not {self.genome_lof}")

    @property
    def is_default(self) -> bool:
        return self == Realism()

    def describe(self) -> str:
        lof = f" genome_lof={self.genome_lof}" if self.decoy_genes == "genome" else ""
        return f"scores={self.scores} intronic_splice={self.intronic_splice} decoy_genes={self.decoy_genes}{lof}"


REALISTIC = Realism("class", "realistic", "genome")

#: REVEL of pathogenic missense variants: Ioannidis et al., AJHG 2016 (REVEL), Figure S1 on 6,182 HGMD disease
#: mutations: 75.4% score > 0.5 and 52.1% > 0.75. Intervals (low, high, share), uniform within each interval.
#: These are, as far as we can tell, REVEL's own training mutations, so the shares are likely optimistic for variants
#: REVEL has not seen (many phenopacket-store variants are published HGMD entries too).
REVEL_PATHOGENIC: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.5, 0.246), (0.5, 0.75, 0.233), (0.75, 1.0, 0.521),
)
#: REVEL of the rare missense variants a proband carries: Stenton et al., medRxiv 2024 (ClinGen SVI Working Group;
#: "Assessment of the evidence yield for the calibrated PP3/BP4 computational recommendations"; 300 Rare Genomes
#: Project genomes):
#: per proband a median of 75.5 rare (AF <= 1%) missense variants in disease genes, of which 1 reach PP3_Strong,
#: 3-5 PP3_Moderate, 3-5 PP3_Supporting, 41-49 BP4 and 17.5-19 are indeterminate (ranges over four tools; we take
#: the midpoints: 1, 4, 4, 45, 18.25). Intervals are REVEL's calibrated thresholds (Pejaver et al., AJHG 2022,
#: Table 2: BP4 <= 0.290, PP3 supporting >= 0.644, moderate >= 0.773, strong >= 0.932); uniform within each.
REVEL_POPULATION: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.290, 45.0), (0.290, 0.644, 18.25), (0.644, 0.773, 4.0), (0.773, 0.932, 4.0), (0.932, 1.0, 1.0),
)
#: Deep-intronic pathogenic variants and SpliceAI: Fortier et al., PLoS ONE 2026 (242 curated deep-intronic
#: pathogenic variants): the best threshold for them is an order of magnitude below the standard ones, so the
#: standard thresholds (0.2, the engine's default) miss the majority. The paper's own share is not available to
#: us; "the majority" is drawn as 0.6 (our reading, not a published figure): 60% get U(0.02, 0.2) (below 0.2 but
#: above the ~0.02 optimum), 40% U(0.2, 1.0). The score goes to a gain (a cryptic site, pseudo-exon), donor or
#: acceptor at random.
DEEP_INTRONIC_MISSED = 0.6
#: Rare protein-altering variants per exome over all genes: Stenton et al. 2024 (above): a median of 75.5 rare
#: missense variants in 3,424 disease genes and about 2.6 times as many PP3_Strong variants genome-wide; we take
#: 2.6 x 75.5 = 196 rare missense variants per exome (the ratio is the paper's for PP3_Strong, applied to all).
#: pLoF: ExAC (Lek et al., Nature 2016): "each individual has only ~2 singleton PTVs"; we place 2 (a lower bound
#: for pLoF below the engine's frequency cut-off; no per-person count of rare pLoF was found for gnomAD).
#: The other kinds keep today's proportions to missense (DECOY_MIX; no source).
GENOME_MISSENSE = 196
GENOME_LOF = 2


def _piecewise(rng: random.Random, intervals: Sequence[tuple[float, float, float]]) -> float:
    low, high, _ = rng.choices(list(intervals), weights=[w for _, _, w in intervals])[0]
    return rng.uniform(low, high)


def draw_revel(rng: random.Random, causal: bool) -> float:
    """REVEL from the pathogenic-like (causal) or population-like (decoy) interval shares above."""
    return _piecewise(rng, REVEL_PATHOGENIC if causal else REVEL_POPULATION)


def draw_deep_intronic_spliceai(rng: random.Random) -> float:
    """The SpliceAI delta score of a deep-intronic pathogenic variant (``DEEP_INTRONIC_MISSED`` below 0.2)."""
    return rng.uniform(0.02, 0.2) if rng.random() < DEEP_INTRONIC_MISSED else rng.uniform(0.2, 1.0)


_DEEP_INTRONIC_TERMS = {"intron_variant", "non_coding_transcript_variant"}


def draw_scores_with(derived: DerivedConsequence, rng: random.Random, realism: Realism, causal: bool) -> dict[str, str]:
    """``draw_scores`` with the realism options applied (the default options give exactly ``draw_scores``)."""
    scores = draw_scores(derived, rng)
    terms = set(derived.terms)
    if realism.scores == "class" and "missense_variant" in terms:
        revel = draw_revel(rng, causal)
        scores["REVEL"] = f"{revel:.3f}"
        scores["CADD_PHRED"] = f"{_gauss_clipped(rng, 12 + 22 * revel, 3):.2f}"
    if (realism.intronic_splice == "realistic" and causal and terms and terms <= _DEEP_INTRONIC_TERMS
            and not derived.splice_side):
        key = rng.choice(("AG", "DG"))
        scores[f"SpliceAI_pred_DS_{key}"] = f"{draw_deep_intronic_spliceai(rng):.2f}"
    return scores


# --------------------------------------------------------------------------- the gene table (genome decoys)


@dataclass(frozen=True)
class GeneSpan:
    """A protein-coding gene of the GENCODE-based table: symbol, UCSC chromosome and exonic length in bases."""

    symbol: str
    chrom: str
    exonic_length: int


def load_gene_table(folder: Path | None = None) -> list[GeneSpan]:
    """Protein-coding genes on chr1-22/chrX with their exonic lengths, sorted by symbol, from the product's gene table
    (``tailormed kb import genes`` / ``make gene-data``: the GENCODE-based table of the ``spliceai`` 1.3.1 wheel,
    GPLv3, fetched by the build into ``.data/genes``, never committed). ``folder`` None: where the product finds it.
    FileNotFoundError when no table is imported.
    """
    from tailormed.kb.genes import load_gene_table as load_product_table

    table = load_product_table(folder)
    if table is None:
        raise FileNotFoundError("no gene table imported: run `make gene-data` (tailormed kb import genes)")
    spans = (GeneSpan(g.symbol, ucsc_chrom(g.chrom), g.exonic_length) for g in table.genes.values())
    return sorted((g for g in spans if g.chrom in DECOY_CHROMOSOMES and g.exonic_length > 0),
                  key=lambda g: g.symbol)


def _csq(allele: str, derived: DerivedConsequence, symbol: str, transcript: str, hgvsc: str, hgvsp: str,
         scores: dict[str, str]) -> str:
    values = {
        "Allele": allele, "Consequence": derived.consequence, "IMPACT": derived.impact, "SYMBOL": symbol,
        "Gene": "", "Feature_type": "Transcript", "Feature": transcript, "BIOTYPE": derived.biotype,
        "EXON": "", "INTRON": "", "HGVSc": hgvsc, "HGVSp": hgvsp, "cDNA_position": "",
        "CDS_position": derived.cds_position, "Protein_position": derived.protein_position,
        "Amino_acids": derived.amino_acids, "Codons": "", "Existing_variation": "", "CANONICAL": "YES",
        "MANE_SELECT": "", "CLIN_SIG": "", **scores,
    }
    return "|".join(values[name] for name in CSQ_FIELDS.split("|"))


def _format_fields(rng: random.Random) -> tuple[float, int, int]:
    return round(rng.uniform(50, 1500), 1), rng.randint(20, 90), rng.randint(40, 99)


# --------------------------------------------------------------------------- genotypes and the phenopacket


def sanitise_sample(subject_id: str) -> str:
    """A VCF-safe sample name from a phenopacket subject id."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", subject_id).strip("_") or "proband"


def genotype_for(allelic_state: str, chrom: str, sex: str) -> str:
    """GT for a GENO allelic-state id on ``chrom`` in a person of ``sex`` (phenopacket enum: MALE, FEMALE, ...)."""
    if allelic_state == GENO_HOMOZYGOUS:
        return "1/1"
    if allelic_state == GENO_HEMIZYGOUS:
        if chrom in ("chrX", "chrY") and sex == "MALE":
            return "1"
        if chrom == "chrX" and sex == "FEMALE":
            return "0/1"
        return "1/1"
    return "0/1"


def _expressions(descriptor: dict[str, Any]) -> dict[str, str]:
    return {e.get("syntax", ""): e.get("value", "") for e in descriptor.get("expressions") or []}


@dataclass
class _Causal:
    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str
    state: str
    derived: DerivedConsequence
    hgvsc: str
    hgvsp: str
    transcript: str

    @property
    def key(self) -> str:
        return f"{self.chrom}-{self.pos}-{self.ref}-{self.alt}"


#: phenopacket-store structuralType labels placed as copy-number records with ``structural=True``.
STRUCTURAL_LABELS = {"chromosomal_deletion": "<DEL>", "chromosome_structure_variation": "<DEL>",
                     "chromosomal_duplication": "<DUP>"}
#: The VEP consequence of a copy-number record whose extent is unknown: part of the transcript affected.
PARTIAL_CNV = DerivedConsequence(("feature_truncation", "coding_sequence_variant"))
_NO_SCORES = dict.fromkeys(("gnomADe_AF", "REVEL", "CADD_PHRED", "SpliceAI_pred_DS_AG", "SpliceAI_pred_DS_AL",
                            "SpliceAI_pred_DS_DG", "SpliceAI_pred_DS_DL"), "")


def _read_causal(phenopacket: dict[str, Any], place_structural: bool = False) -> tuple[list[_Causal], set[str],
                                                                                       list[str]]:
    """Placeable causal variants, all causal gene symbols, and descriptions of what could not be placed.

    With ``place_structural``, a variant described only by a structuralType of ``STRUCTURAL_LABELS`` (no vcfRecord) in a
    known gene is placed as a symbolic ``<DEL>``/``<DUP>`` record of unknown extent (VEP's partial-transcript
    consequence), at a synthetic position: the engine takes the gene from the annotation."""
    placed: list[_Causal] = []
    genes: set[str] = set()
    unplaced: list[str] = []
    for interpretation in phenopacket.get("interpretations") or []:
        for genomic in (interpretation.get("diagnosis") or {}).get("genomicInterpretations") or []:
            descriptor = (genomic.get("variantInterpretation") or {}).get("variationDescriptor")
            if descriptor is None:
                gene = (genomic.get("gene") or {}).get("symbol")
                if gene:
                    genes.add(gene)
                unplaced.append(f"{gene or '?'}: gene-level interpretation without a variant")
                continue
            gene = (descriptor.get("geneContext") or {}).get("symbol") or ""
            if gene:
                genes.add(gene)
            structural = (descriptor.get("structuralType") or {}).get("label")
            record = descriptor.get("vcfRecord")
            label = descriptor.get("label") or descriptor.get("id") or "?"
            if not record and place_structural and gene and structural in STRUCTURAL_LABELS:
                state = (descriptor.get("allelicState") or {}).get("id", GENO_HETEROZYGOUS)
                position = 1_000_000 + zlib.crc32(f"{gene}{label}".encode()) % 100_000_000
                placed.append(_Causal("chr1", position, "N", STRUCTURAL_LABELS[structural], gene, state, PARTIAL_CNV,
                                      "", "", ""))
                continue
            if not record:
                unplaced.append(f"{gene}: {structural or 'variant'} without a vcfRecord ({label})")
                continue
            problem = _record_problem(record)
            if problem:
                unplaced.append(f"{gene}: {problem} ({label})")
                continue
            chrom = ucsc_chrom(str(record["chrom"]))
            ref, alt = str(record["ref"]).upper(), str(record["alt"]).upper()
            expressions = _expressions(descriptor)
            hgvs_c = expressions.get("hgvs.c")
            hgvs_p = expressions.get("hgvs.p")
            derived = derive_consequence(hgvs_c, hgvs_p, ref, alt, gene=gene, structural_type=structural)
            transcript = re.sub(r"\s+", "", hgvs_c).split(":", 1)[0] if hgvs_c and ":" in hgvs_c else ""
            placed.append(_Causal(chrom, int(record["pos"]), ref, alt, gene,
                                  (descriptor.get("allelicState") or {}).get("id", GENO_HETEROZYGOUS),
                                  derived, vep_hgvsc(hgvs_c), _escape(vep_hgvsp(hgvs_p)), transcript))
    return placed, genes, unplaced


def _record_problem(record: dict[str, Any]) -> str | None:
    assembly = str(record.get("genomeAssembly", "hg38")).lower()
    if assembly not in ("hg38", "grch38"):
        return f"vcfRecord on {record.get('genomeAssembly')}, not GRCh38"
    chrom = ucsc_chrom(str(record.get("chrom", "")))
    if chrom not in GRCH38_LENGTHS:
        return f"unknown chromosome {record.get('chrom')!r}"
    try:
        pos = int(record.get("pos", ""))
    except (TypeError, ValueError):
        return f"position {record.get('pos')!r} is not a number"
    if not 1 <= pos <= GRCH38_LENGTHS[chrom]:
        return f"position {pos} outside {chrom}"
    ref, alt = str(record.get("ref", "")).upper(), str(record.get("alt", "")).upper()
    if not re.fullmatch(r"[ACGTN]+", ref) or not re.fullmatch(r"[ACGTN]+", alt) or ref == alt:
        return f"REF/ALT {ref!r}/{alt!r} is not a sequence change"
    return None


# --------------------------------------------------------------------------- decoys


DECOY_MIX: list[tuple[str, float]] = [
    ("missense_variant", 0.55), ("synonymous_variant", 0.25), ("splice_region", 0.06), ("intron_variant", 0.02),
    ("inframe_deletion", 0.02), ("inframe_insertion", 0.02), ("stop_gained", 0.03), ("frameshift_variant", 0.03),
    ("splice_donor_variant", 0.01), ("splice_acceptor_variant", 0.01),
]
_DECOY_KINDS = [kind for kind, _ in DECOY_MIX]
_DECOY_WEIGHTS = [weight for _, weight in DECOY_MIX]
_LOF_KINDS = ("stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant")


def genome_decoy_kinds(rng: random.Random, lof: int = GENOME_LOF) -> list[str]:
    """The decoy kinds of one case with ``decoy_genes="genome"``: ``GENOME_MISSENSE`` missense variants, the other
    non-LoF kinds in DECOY_MIX's proportion to missense, and ``lof`` LoF variants (kind by DECOY_MIX weight)."""
    missense_share = dict(DECOY_MIX)["missense_variant"]
    kinds: list[str] = []
    for kind, weight in DECOY_MIX:
        if kind not in _LOF_KINDS:
            kinds += [kind] * round(GENOME_MISSENSE * weight / missense_share)
    lof_weights = [dict(DECOY_MIX)[kind] for kind in _LOF_KINDS]
    kinds += rng.choices(_LOF_KINDS, weights=lof_weights, k=lof)
    return kinds


def _gene_identity(gene: str) -> tuple[str, str, int]:
    """Stable synthetic RefSeq-style transcript and protein accessions and a protein length for a decoy gene."""
    digest = zlib.crc32(gene.encode())
    number = 100000 + digest % 900000
    version = 1 + (digest >> 20) % 6
    return f"NM_{number:06d}.{version}", f"NP_{number:06d}.{version}", 200 + (digest >> 8) % 1800


def _random_base(rng: random.Random, avoid: str = "") -> str:
    return rng.choice([b for b in BASES if b != avoid])


def _random_seq(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(BASES) for _ in range(n))


def _decoy_variant(kind: str, gene: str, rng: random.Random) -> tuple[str, str, DerivedConsequence, str, str, str]:
    """REF, ALT, consequence, transcript, HGVSc and HGVSp of a synthetic variant of ``kind`` in ``gene``."""
    transcript, protein, length = _gene_identity(gene)
    aa_pos = rng.randint(2, length - 1)
    codon_start = 3 * (aa_pos - 1) + 1
    ref = rng.choice(BASES)
    alt = _random_base(rng, ref)
    hgvsp = ""
    derived: DerivedConsequence
    if kind == "missense_variant":
        ref_aa, alt_aa = rng.sample(AMINO_ACIDS, 2)
        c_pos = codon_start + rng.randint(0, 2)
        hgvsc = f"c.{c_pos}{ref}>{alt}"
        hgvsp = f"p.{ref_aa}{aa_pos}{alt_aa}"
        derived = DerivedConsequence(("missense_variant",), str(aa_pos), f"{_one_letter(ref_aa)}/{_one_letter(alt_aa)}",
                                     str(c_pos))
    elif kind == "synonymous_variant":
        aa = rng.choice(AMINO_ACIDS)
        c_pos = codon_start + 2
        hgvsc = f"c.{c_pos}{ref}>{alt}"
        hgvsp = f"p.{aa}{aa_pos}%3D"
        derived = DerivedConsequence(("synonymous_variant",), str(aa_pos), _one_letter(aa), str(c_pos))
    elif kind == "stop_gained":
        aa = rng.choice(STOP_REACHABLE)
        c_pos = codon_start + rng.randint(0, 2)
        hgvsc = f"c.{c_pos}{ref}>{alt}"
        hgvsp = f"p.{aa}{aa_pos}Ter"
        derived = DerivedConsequence(("stop_gained",), str(aa_pos), f"{_one_letter(aa)}/*", str(c_pos))
    elif kind == "frameshift_variant":
        c_pos = codon_start + rng.randint(0, 2)
        size = rng.choice([1, 1, 2, 4])
        ref_aa, alt_aa = rng.sample(AMINO_ACIDS, 2)
        if rng.random() < 0.5:  # deletion
            deleted = _random_seq(rng, size)
            ref, alt = ref + deleted, ref
            hgvsc = f"c.{c_pos}del" if size == 1 else f"c.{c_pos}_{c_pos + size - 1}del"
            cds = str(c_pos) if size == 1 else f"{c_pos}-{c_pos + size - 1}"
        else:  # insertion (a duplication when one base)
            inserted = ref if size == 1 else _random_seq(rng, size)
            ref, alt = ref, ref + inserted
            hgvsc = f"c.{c_pos}dup" if size == 1 else f"c.{c_pos}_{c_pos + 1}ins{inserted}"
            cds = str(c_pos) if size == 1 else f"{c_pos}-{c_pos + 1}"
        hgvsp = f"p.{ref_aa}{aa_pos}{alt_aa}fsTer{rng.randint(2, 60)}"
        derived = DerivedConsequence(("frameshift_variant",), str(aa_pos), f"{_one_letter(ref_aa)}/X", cds)
    elif kind == "inframe_deletion":
        ref, alt = ref + _random_seq(rng, 3), ref
        aa = rng.choice(AMINO_ACIDS)
        hgvsc = f"c.{codon_start}_{codon_start + 2}del"
        hgvsp = f"p.{aa}{aa_pos}del"
        derived = DerivedConsequence(("inframe_deletion",), str(aa_pos), "", f"{codon_start}-{codon_start + 2}")
    elif kind == "inframe_insertion":
        inserted = _random_seq(rng, 3)
        ref, alt = ref, ref + inserted
        aa1, aa2, new = (rng.choice(AMINO_ACIDS) for _ in range(3))
        hgvsc = f"c.{codon_start + 2}_{codon_start + 3}ins{inserted}"
        hgvsp = f"p.{aa1}{aa_pos}_{aa2}{aa_pos + 1}ins{new}"
        derived = DerivedConsequence(("inframe_insertion",), f"{aa_pos}-{aa_pos + 1}", "",
                                     f"{codon_start + 2}-{codon_start + 3}")
    else:  # splice and intronic SNVs
        c_pos = codon_start + rng.randint(0, 2)
        donor = rng.random() < 0.5
        if kind == "splice_donor_variant":
            offset, donor = rng.randint(1, 2), True
            derived = DerivedConsequence(("splice_donor_variant",), splice_side="donor")
        elif kind == "splice_acceptor_variant":
            offset, donor = rng.randint(1, 2), False
            derived = DerivedConsequence(("splice_acceptor_variant",), splice_side="acceptor")
        elif kind == "splice_region":
            offset = rng.randint(3, 8)
            derived = DerivedConsequence(("splice_region_variant", "intron_variant"),
                                         splice_side="donor" if donor else "acceptor")
        else:
            offset = rng.randint(9, 400)
            derived = DerivedConsequence(("intron_variant",))
        hgvsc = f"c.{c_pos}{'+' if donor else '-'}{offset}{ref}>{alt}"
    return ref, alt, derived, transcript, f"{transcript}:{hgvsc}", f"{protein}:{hgvsp}" if hgvsp else ""


def _place_decoys(chromosomes: list[str], occupied: dict[str, list[int]], rng: random.Random) -> list[int]:
    """One free position per requested chromosome, at least 1 kb from causal variants and other decoys."""
    positions = []
    for chrom in chromosomes:
        taken = occupied.setdefault(chrom, [])
        while True:
            pos = rng.randint(1_000_000, GRCH38_LENGTHS[chrom] - 1_000_000)
            i = bisect.bisect_left(taken, pos)
            near = [taken[j] for j in (i - 1, i) if 0 <= j < len(taken)]
            if all(abs(pos - other) >= 1000 for other in near):
                break
        bisect.insort(taken, pos)
        positions.append(pos)
    return positions


def _weighted_chromosome(rng: random.Random, names: Sequence[str]) -> str:
    return rng.choices(list(names), weights=[GRCH38_LENGTHS[n] for n in names])[0]


# --------------------------------------------------------------------------- writing


def vcf_header(sample: str, extra: Iterable[str] = ()) -> list[str]:
    """A VCF 4.2 header with GRCh38 contigs, GT/DP/GQ and the VEP CSQ layout."""
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38"]
    lines += [f"##contig=<ID={name},length={length},assembly=GRCh38>" for name, length in GRCH38_LENGTHS.items()]
    lines += [
        '##FILTER=<ID=PASS,Description="All filters passed">',
        CSQ_HEADER,
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        *extra,
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    return lines


def _open_text(path: str, compressed: bool) -> IO[str]:
    if compressed:
        return gzip.open(path, "wt", compresslevel=6)
    return open(path, "w")


def _write_atomically(out_path: Path, header: list[str], records: Iterable[_Record]) -> None:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        with _open_text(temp_name, compressed=out_path.suffix == ".gz") as stream:
            stream.write("\n".join(header) + "\n")
            for r in records:
                stream.write(f"{r.chrom}\t{r.pos}\t.\t{r.ref}\t{r.alt}\t{r.qual}\tPASS\tCSQ={r.csq}\t"
                             f"GT:DP:GQ\t{r.gt}:{r.dp}:{r.gq}\n")
        os.chmod(temp_name, 0o644)  # mkstemp creates 0600; an output file is meant to be shared
        os.replace(temp_name, out_path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _sort_key(record: _Record) -> tuple[int, int, str, str]:
    return CONTIG_ORDER[record.chrom], record.pos, record.ref, record.alt


# --------------------------------------------------------------------------- public API


def build_case_vcf(phenopacket: dict[str, Any], out_path: Path, decoy_genes: Sequence[str], rng: random.Random,
                   n_decoys: int = 200, *, x_linked_genes: Collection[str] = (), structural: bool = False,
                   structural_decoys: int = 2, realism: Realism | None = None,
                   genome_genes: Sequence[GeneSpan] = ()) -> CaseBuild:
    """Write a one-sample VEP-annotated VCF with the case's causal variants and ``n_decoys`` decoys.

    ``decoy_genes`` are disease-gene symbols; the case's own genes are removed and the rest used in sorted order
    (so a set gives the same file as a list); each decoy gene is used once while there are enough of them.
    ``x_linked_genes``, when given, puts those decoy genes on chrX and every other decoy gene on an autosome.
    Nothing is written when no causal variant can be placed. With ``structural``, structural-only causal variants
    are placed as copy-number records (``_read_causal``) and ``structural_decoys`` rare deletions of unknown extent
    are added in decoy genes (an exome CNV call set holds a few rare CNVs; so that a deletion is not the answer by
    being the only one).

    ``realism`` (default: all options off, the same file as before for the same seed) selects class-specific scores,
    realistic SpliceAI for deep-intronic causal variants and decoys over all genes (``Realism``); with
    ``decoy_genes="genome"``, ``genome_genes`` (``load_gene_table``) replaces ``decoy_genes`` and ``n_decoys`` for the
    single-nucleotide decoys (``genome_decoy_kinds`` decides how many of each kind).
    """
    realism = realism or Realism()
    if realism.decoy_genes == "genome" and not genome_genes:
        raise ValueError("decoy_genes='genome' needs the gene table (genome_genes)")
    subject = phenopacket.get("subject") or {}
    sex = str(subject.get("sex") or "UNKNOWN_SEX")
    sample = sanitise_sample(str(subject.get("id") or phenopacket.get("id") or "proband"))
    causal, genes, unplaced = _read_causal(phenopacket, structural)
    build = CaseBuild(case_id=str(phenopacket.get("id", "")), sample=sample, causal_genes=genes, unplaced=unplaced)
    if not causal:
        build.reason = "no placeable variant" + (f": {'; '.join(unplaced)}" if unplaced else "")
        return build

    records: dict[str, _Record] = {}
    for variant in causal:
        gt = genotype_for(variant.state, variant.chrom, sex)
        if variant.key in records:  # the same variant listed twice: both alleles
            if records[variant.key].gt == "0/1" and gt == "0/1":
                records[variant.key].gt = "1/1"
            continue
        if variant.alt.startswith("<"):  # a copy-number record: no scores, VEP names the allele by its kind
            csq = _csq("deletion" if variant.alt == "<DEL>" else "duplication", variant.derived, variant.gene, "",
                       "", "", _NO_SCORES)
        else:
            scores = draw_scores_with(variant.derived, rng, realism, causal=True)
            csq = _csq(vep_allele(variant.ref, variant.alt), variant.derived, variant.gene, variant.transcript,
                       variant.hgvsc, variant.hgvsp, scores)
        qual, dp, gq = _format_fields(rng)
        records[variant.key] = _Record(variant.chrom, variant.pos, variant.ref, variant.alt, gt, csq, qual, dp, gq)
        build.causal_variants.append(variant.key)
        build.causal_consequences.append(variant.derived.consequence)

    excluded = {g.upper() for g in genes}
    candidates = sorted({g for g in decoy_genes if g and g.upper() not in excluded})
    kinds: list[str] = []
    if realism.decoy_genes == "genome":
        kinds = genome_decoy_kinds(rng, realism.genome_lof)
        pool = [g for g in genome_genes if g.symbol.upper() not in excluded]
        picked = rng.choices(pool, weights=[g.exonic_length for g in pool], k=len(kinds))
        chosen = [g.symbol for g in picked]
        chromosomes = [g.chrom for g in picked]
    else:
        if n_decoys and not candidates:
            raise ValueError("no decoy genes left after removing the case's causal genes")
        if len(candidates) >= n_decoys:
            chosen = rng.sample(candidates, n_decoys)
        else:
            chosen = candidates + rng.choices(candidates, k=n_decoys - len(candidates))
        x_linked = set(x_linked_genes)
        chromosomes = [
            ("chrX" if gene in x_linked else _weighted_chromosome(rng, AUTOSOMES)) if x_linked
            else _weighted_chromosome(rng, DECOY_CHROMOSOMES)
            for gene in chosen
        ]
    occupied: dict[str, list[int]] = {}
    for variant in causal:
        bisect.insort(occupied.setdefault(variant.chrom, []), variant.pos)
    positions = _place_decoys(chromosomes, occupied, rng)
    decoys = []
    for index, (gene, chrom, pos) in enumerate(zip(chosen, chromosomes, positions, strict=True)):
        kind = kinds[index] if kinds else rng.choices(_DECOY_KINDS, weights=_DECOY_WEIGHTS)[0]
        ref, alt, derived, transcript, hgvsc, hgvsp = _decoy_variant(kind, gene, rng)
        gt = "1/1" if rng.random() < 0.05 else "0/1"
        if chrom == "chrX" and sex == "MALE":
            gt = "1"
        csq = _csq(vep_allele(ref, alt), derived, gene, transcript, hgvsc, hgvsp,
                   draw_scores_with(derived, rng, realism, causal=False))
        qual, dp, gq = _format_fields(rng)
        decoys.append(_Record(chrom, pos, ref, alt, gt, csq, qual, dp, gq))
    if structural:
        for gene in rng.sample(candidates, min(structural_decoys, len(candidates))):
            position = _place_decoys(["chr2"], occupied, rng)[0]
            qual, dp, gq = _format_fields(rng)
            decoys.append(_Record("chr2", position, "N", "<DEL>", "0/1",
                                  _csq("deletion", PARTIAL_CNV, gene, "", "", "", _NO_SCORES), qual, dp, gq))
    build.n_decoys = len(decoys)

    header = vcf_header(sample, ['##tailormed_benchmark="synthetic rare-disease case: causal variants from '
                                 'phenopacket-store among annotated decoys; benchmarks/rare_cases.py"'])
    _write_atomically(Path(out_path), header, sorted([*records.values(), *decoys], key=_sort_key))
    build.placeable = True
    if unplaced:
        build.reason = f"{len(unplaced)} causal variant(s) not placeable: {'; '.join(unplaced)}"
    return build


EXOME_MIX: list[tuple[str, float]] = [
    ("intron_variant", 0.30), ("synonymous_variant", 0.22), ("missense_variant", 0.22), ("3_prime_UTR_variant", 0.09),
    ("5_prime_UTR_variant", 0.04), ("splice_region", 0.05), ("upstream_gene_variant", 0.05),
    ("inframe_deletion", 0.01), ("stop_gained", 0.005), ("frameshift_variant", 0.005),
    ("splice_donor_variant", 0.005), ("splice_acceptor_variant", 0.005),
]


def build_exome_vcf(out_path: Path, genes: Sequence[str], n_records: int, rng: random.Random) -> None:
    """An exome-sized one-sample VEP-annotated VCF (plain text, or gzip when the name ends in .gz) for timing.

    85% of records are common (gnomADe_AF log-uniform on 1e-3..0.99, genotype 1/1 with probability p/(2-p),
    the share of carriers who are homozygous under Hardy-Weinberg), 15% rare (``draw_rare_af``, 97% 0/1).
    Consequence mix: 30% intron, 22% synonymous, 22% missense, 9% 3'UTR, 4% 5'UTR, 5% splice region,
    5% upstream, 1% inframe deletion, 2% LoF. Positions are spread over chr1..22 and chrX by length.
    """
    gene_list = sorted(set(genes))
    if not gene_list:
        raise ValueError("build_exome_vcf needs at least one gene symbol")
    kinds = [k for k, _ in EXOME_MIX]
    weights = [w for _, w in EXOME_MIX]
    total = sum(GRCH38_LENGTHS[c] for c in DECOY_CHROMOSOMES)
    counts = [n_records * GRCH38_LENGTHS[c] // total for c in DECOY_CHROMOSOMES]
    counts[0] += n_records - sum(counts)
    records: list[_Record] = []
    for chrom, count in zip(DECOY_CHROMOSOMES, counts, strict=True):
        positions = sorted(rng.sample(range(10_000, GRCH38_LENGTHS[chrom] - 10_000, 7), count))
        for pos in positions:
            kind = rng.choices(kinds, weights=weights)[0]
            gene = rng.choice(gene_list)
            if kind in _DECOY_KINDS:
                ref, alt, derived, transcript, hgvsc, hgvsp = _decoy_variant(kind, gene, rng)
            else:
                transcript = _gene_identity(gene)[0]
                ref = rng.choice(BASES)
                alt = _random_base(rng, ref)
                hgvsc = ""
                if kind.endswith("UTR_variant"):
                    where = "*" if kind.startswith("3") else "-"
                    hgvsc = f"{transcript}:c.{where}{rng.randint(1, 400)}{ref}>{alt}"
                hgvsp = ""
                derived = DerivedConsequence((kind,))
            scores = draw_scores(derived, rng)
            if rng.random() < 0.85:
                af = 10 ** rng.uniform(-3, math.log10(0.99))
                scores["gnomADe_AF"] = f"{af:.3g}"
                gt = "1/1" if rng.random() < af / (2 - af) else "0/1"
            else:
                gt = "1/1" if rng.random() < 0.03 else "0/1"
            csq = _csq(vep_allele(ref, alt), derived, gene, transcript, hgvsc, hgvsp, scores)
            qual, dp, gq = _format_fields(rng)
            records.append(_Record(chrom, pos, ref, alt, gt, csq, qual, dp, gq))
    header = vcf_header("EXOME", ['##tailormed_benchmark="synthetic exome-sized VCF for timing; '
                                  'benchmarks/rare_cases.py"'])
    _write_atomically(Path(out_path), header, records)


# --------------------------------------------------------------------------- command line


def _genes_beside(phenopacket_path: Path) -> list[str]:
    folder = phenopacket_path.resolve().parent.parent
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phenopacket", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=None, help="case VCF to write (default: <case id>.vcf)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--decoys", type=int, default=200)
    parser.add_argument("--genes", type=Path, default=None, help="decoy gene symbols, one a line")
    parser.add_argument("--exome", type=Path, default=None, help="write an exome-sized VCF here instead")
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    genes: list[str] = []
    if args.genes is not None:
        genes = [line.strip() for line in args.genes.read_text().splitlines() if line.strip()]
    if args.exome is not None:
        if not genes and args.phenopacket is not None:
            genes = _genes_beside(args.phenopacket)
        if not genes:
            print("--exome needs --genes FILE (or a phenopacket whose sibling folders name genes)", file=sys.stderr)
            return 2
        build_exome_vcf(args.exome, genes, args.records, rng)
        print(f"wrote {args.records} records to {args.exome}")
        return 0
    if args.phenopacket is None:
        parser.error("a phenopacket JSON file is required (or --exome)")
    try:
        phenopacket = json.loads(args.phenopacket.read_text())
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read phenopacket {args.phenopacket}: {error}", file=sys.stderr)
        return 2
    if not genes:
        genes = _genes_beside(args.phenopacket)
    out = args.out or Path(f"{sanitise_sample(str(phenopacket.get('id', 'case')))}.vcf")
    build = build_case_vcf(phenopacket, out, genes, rng, args.decoys)
    if not build.placeable:
        print(f"{build.case_id}: {build.reason}")
        return 1
    print(f"{build.case_id}: wrote {out} (sample {build.sample}, {build.n_decoys} decoys)")
    for key, consequence in zip(build.causal_variants, build.causal_consequences, strict=True):
        print(f"  causal {key}  {consequence}  genes {', '.join(sorted(build.causal_genes))}")
    if build.reason:
        print(f"  note: {build.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
