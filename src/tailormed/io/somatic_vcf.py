"""Somatic VCF (tumour-only or tumour/normal) annotated by VEP or snpEff → :class:`SomaticVariant` list.

Annotation reading and file validation are :mod:`tailormed.io.annotated_vcf`'s. The transcript used is the
canonical one when flagged, else the first with a gene symbol. Only records with the tumour sample carrying
the ALT (or a FILTER of PASS/. in a sites-only-like tumour call) are kept; records failing FILTER are counted.
VAF comes from FORMAT/AF, else AD; depth from FORMAT/DP, else the sum of AD. Unannotated records at a known
hotspot coordinate (GRCh38, from the pack's ``genes.yaml``) are interpreted as that hotspot; other
unannotated records are kept out of matching and listed in a warning, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from cyvcf2 import VCF

from tailormed.documents import check_file
from tailormed.errors import InputError
from tailormed.io.annotated_vcf import read_annotated_vcf
from tailormed.io.genotypes import check_parsed_record, htslib_log
from tailormed.io.vcf import quiet_htslib
from tailormed.model.alterations import normalise_protein_change
from tailormed.model.common import Warning
from tailormed.model.genome import normalise_chrom, parsimonious, variant_key
from tailormed.model.onco import Consequence, SomaticVariant
from tailormed.model.rare import TranscriptConsequence, Variant

_SO_ORDER: list[tuple[str, Consequence]] = [
    ("stop_gained", "nonsense"), ("frameshift_variant", "frameshift"), ("splice_acceptor_variant", "splice_site"),
    ("splice_donor_variant", "splice_site"), ("start_lost", "start_lost"), ("stop_lost", "stop_lost"),
    ("inframe_deletion", "inframe_deletion"), ("disruptive_inframe_deletion", "inframe_deletion"),
    ("conservative_inframe_deletion", "inframe_deletion"), ("inframe_insertion", "inframe_insertion"),
    ("disruptive_inframe_insertion", "inframe_insertion"), ("conservative_inframe_insertion", "inframe_insertion"),
    ("protein_altering_variant", "missense"), ("missense_variant", "missense"),
    ("splice_region_variant", "splice_region"), ("synonymous_variant", "synonymous"),
    ("stop_retained_variant", "synonymous"),
]


@dataclass(frozen=True)
class KnownHotspot:
    """What the reader makes of an unannotated record at a known hotspot allele (looked up by its
    :func:`~tailormed.model.genome.variant_key`): the gene and protein change that allele encodes."""

    gene: str
    protein_change: str
    consequence: Consequence


@dataclass
class SomaticVcf:
    """What a somatic VCF gave: variants of the tumour sample and what was set aside."""

    path: Path
    tumour_sample: str
    variants: list[SomaticVariant] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)


def consequence_of(terms: Sequence[str]) -> Consequence:
    """The most severe of a transcript's SO terms, in our consequence classes."""
    for term, ours in _SO_ORDER:
        if term in terms:
            return ours
    return "noncoding"


def _pick(annotations: Sequence[TranscriptConsequence]) -> TranscriptConsequence | None:
    with_gene = [a for a in annotations if a.gene]
    canonical = [a for a in with_gene if a.canonical]
    chosen = canonical or with_gene
    return chosen[0] if chosen else None


def _number(text: str | None) -> int | None:
    if not text:
        return None
    head = text.split("/")[0].split("-")[0]
    return int(head) if head.isdigit() else None


_NOT_UTF8 = "not UTF-8 text: a sample name, chromosome or allele holds bytes that are not UTF-8"
_INT_MISSING = -2147483648  # htslib's missing integer ('.'); -2147483647 marks the end of a shorter vector


def _check_format(record: Any, path: Path, sample: str, ad: Any, af: Any, dp: Any) -> None:
    """Read counts are whole numbers >= 0 and allele fractions lie in 0-1 ('.' is unknown): anything else is an
    error naming the record, never a VAF above 1 or below 0."""
    where = {"source": str(path), "location": f"record {record.CHROM}:{record.POS}"}
    for name, values in (("AD", ad), ("DP", dp), ("AF", af)):
        if values is not None and values.dtype.kind not in "iuf":
            raise InputError(f"FORMAT/{name} is not declared as a number (Type=Integer or Float)", **where)
    for name, values in (("AD", ad), ("DP", dp)):
        if values is not None:
            bad = values[0][(values[0] < 0) & (values[0] > _INT_MISSING + 1)]
            if bad.size:
                raise InputError(f"FORMAT/{name} of {sample} is {bad[0]:g}: read counts must be whole numbers, "
                                 "0 or more ('.' when unknown)", **where)
    if af is not None:
        fractions = af[0][~np.isnan(af[0])]
        bad = fractions[(fractions < 0) | (fractions > 1)]
        if bad.size:
            raise InputError(f"FORMAT/AF of {sample} is {float(bad[0]):g}: an allele fraction must be 0-1 ('.' when "
                             "unknown)", **where)


def _refuse_half_parsed_records(path: Path) -> None:
    """One lazy pass that refuses, naming it, a record htslib could not parse but hands over anyway (on a contig
    the header does not declare, a bad POS or genotype): reading its fields would crash the process. Anything
    else wrong is left to :func:`read_annotated_vcf`, which says what and where."""
    with htslib_log() as htslib_error:
        try:
            reader: Any = VCF(str(path), lazy=True)
        except Exception:  # not a VCF at all: read_annotated_vcf explains
            return
        try:
            for number, record in enumerate(reader, 1):
                check_parsed_record(record, path, number, htslib_error())
        except InputError:
            raise
        except Exception:  # an error htslib reports by raising: read_annotated_vcf names the line
            return
        finally:
            reader.close()


def _format_values(path: Path, sample: str) -> dict[tuple[str, int, str, str], tuple[float | None, int | None]]:
    """(chrom, pos, ref, alt) in parsimonious form → (VAF, depth) of one sample, from FORMAT AF/AD/DP."""
    out: dict[tuple[str, int, str, str], tuple[float | None, int | None]] = {}
    with quiet_htslib():
        reader: Any = VCF(str(path), lazy=True, samples=[sample])
        formats = {h.info()["ID"] for h in reader.header_iter() if h.type == "FORMAT"}
        for number, record in enumerate(reader, 1):
            check_parsed_record(record, path, number)
            ad = record.format("AD") if "AD" in formats else None
            af = record.format("AF") if "AF" in formats else None
            dp = record.format("DP") if "DP" in formats else None
            _check_format(record, path, sample, ad, af, dp)
            depth_total = int(dp[0][0]) if dp is not None and dp[0][0] >= 0 else None
            for index, alt in enumerate(record.ALT):
                vaf: float | None = None
                depth = depth_total
                if af is not None and index < af.shape[1] and np.isfinite(af[0][index]):
                    vaf = float(af[0][index])
                if ad is not None and ad.shape[1] > index + 1 and ad[0][0] >= 0:
                    total = int(ad[0][ad[0] >= 0].sum())
                    depth = depth if depth is not None else total
                    if vaf is None and total > 0 and ad[0][index + 1] >= 0:
                        vaf = float(ad[0][index + 1]) / total
                pos, ref, trimmed = parsimonious(record.POS, record.REF, alt)
                out[(normalise_chrom(record.CHROM), pos, ref, trimmed)] = (vaf, depth)
        reader.close()
    return out


def _to_somatic(variant: Variant, sample: str, values: dict[tuple[str, int, str, str], tuple[float | None, int | None]],
                raw_key: tuple[str, int, str, str] | None, hotspots: dict[str, KnownHotspot]
                ) -> SomaticVariant | None:
    chrom = normalise_chrom(variant.chrom)
    vaf, depth = values.get(raw_key, (None, None)) if raw_key else (None, None)
    genotype = variant.genotypes.get(sample)
    if depth is None and genotype is not None:
        depth = genotype.depth
    annotation = _pick(variant.annotations)
    if annotation is None:
        known = hotspots.get(variant_key(chrom, variant.pos, variant.ref, variant.alt))
        if known is None:
            return None
        return SomaticVariant(gene=known.gene, protein_change=known.protein_change, consequence=known.consequence,
                              chrom=chrom, pos=variant.pos, ref=variant.ref, alt=variant.alt, vaf=vaf, depth=depth,
                              source=f"{variant.source} (unannotated; known hotspot by GRCh38 coordinate)")
    protein = annotation.hgvsp.split(":")[-1] if annotation.hgvsp else None
    clinvar = ",".join(annotation.clinvar) or None
    return SomaticVariant(
        gene=annotation.gene or "", protein_change=normalise_protein_change(protein) if protein else None,
        hgvsc=annotation.hgvsc, consequence=consequence_of(annotation.consequences), chrom=chrom, pos=variant.pos,
        ref=variant.ref, alt=variant.alt, exon=_number(annotation.exon), intron=_number(annotation.intron),
        vaf=vaf, depth=depth, clinical_significance=clinvar, source=variant.source)


def read_somatic_vcf(path: Path | str, *, tumour_sample: str | None = None,
                     hotspots: dict[str, KnownHotspot] | None = None) -> SomaticVcf:
    """Read the tumour sample's variants from a somatic VCF (one sample, or name ``tumour_sample``).

    ``hotspots`` maps the :func:`~tailormed.model.genome.variant_key` of known hotspot alleles (parsimonious
    form) to what they encode."""
    path = check_file(Path(path), "VCF")
    _refuse_half_parsed_records(path)
    try:
        content = read_annotated_vcf(path)
    except UnicodeDecodeError:  # htslib hands over sample names, CHROM, REF and ALT as bytes decoded as UTF-8
        raise InputError(_NOT_UTF8, source=str(path)) from None
    samples = content.samples
    if tumour_sample is None:
        if len(samples) != 1:
            raise InputError(f"the VCF has {len(samples)} samples ({', '.join(samples[:5])}): name the tumour "
                             "with --tumour-sample", source=str(path))
        tumour_sample = samples[0]
    if tumour_sample not in samples:
        raise InputError(f"sample {tumour_sample!r} is not in the VCF (samples: {', '.join(samples[:10])})",
                         source=str(path))
    try:
        values = _format_values(path, tumour_sample)
    except UnicodeDecodeError:
        raise InputError(_NOT_UTF8, source=str(path)) from None
    result = SomaticVcf(path=path, tumour_sample=tumour_sample, warnings=list(content.warnings))
    unannotated: list[str] = []
    filtered: list[str] = []
    for variant in content.variants:
        genotype = variant.genotypes.get(tumour_sample)
        if genotype is not None and genotype.alt_count == 0:
            continue
        if not variant.filter_pass:
            filtered.append(variant.source)
            continue
        key = (normalise_chrom(variant.chrom), variant.pos, variant.ref, variant.alt)
        somatic = _to_somatic(variant, tumour_sample, values, key, hotspots or {})
        if somatic is None:
            unannotated.append(variant.source)
        else:
            result.variants.append(somatic)
    if unannotated:
        result.warnings.append(Warning(code="unannotated_records", message=(
            f"{len(unannotated)} record(s) without VEP/snpEff annotation and not at a known hotspot were not "
            f"interpreted (first: {', '.join(unannotated[:3])}); annotate the VCF with VEP or snpEff")))
    if filtered:
        result.warnings.append(Warning(code="filtered_records", severity="info", message=(
            f"{len(filtered)} record(s) failing FILTER were not interpreted (first: {', '.join(filtered[:3])})")))
    return result
