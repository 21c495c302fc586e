"""Tumour mutational burden from somatic calls.

Counting rule (our reading of the Friends of Cancer Research TMB Harmonization Project, Merino et al.
J Immunother Cancer 2020;8:e000147, whose reference TMB counts somatic non-synonymous coding SNVs and indels):

- counted: somatic missense, nonsense, frameshift, in-frame insertion/deletion, start-lost and stop-lost calls;
- not counted: synonymous, splice-site/region and non-coding calls, germline calls, calls below the VAF or
  depth filter (only applied when the input gives VAF/depth), and duplicate calls of the same change;
- TMB = counted calls / callable coding territory in Mb (from a BED file or the panel's stated size);
- 95% interval: exact Poisson (Garwood) interval of the count, divided by the territory;
- TMB-high at >= 10 mutations/Mb, the threshold of pembrolizumab's tumour-agnostic FDA approval (2020, on the
  FoundationOne CDx assay).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scipy.special import gammaincinv

from tailormed.errors import InputError
from tailormed.model.onco import SomaticVariant, TmbResult

TMB_COUNTED = frozenset({"missense", "nonsense", "frameshift", "inframe_deletion", "inframe_insertion", "start_lost",
                         "stop_lost"})
DEFAULT_THRESHOLD = 10.0


@dataclass(frozen=True)
class TmbSettings:
    """Filters and threshold of the TMB count."""

    min_vaf: float = 0.05
    min_depth: int = 25
    threshold: float = DEFAULT_THRESHOLD


def poisson_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) confidence interval of a Poisson count."""
    alpha = 1.0 - confidence
    # chi2.ppf(q, 2k) / 2 == gammaincinv(k, q); scipy.special loads far faster than scipy.stats.
    low = 0.0 if count == 0 else float(gammaincinv(count, alpha / 2))
    high = float(gammaincinv(count + 1, 1 - alpha / 2))
    return low, high


def _exclusion_reason(variant: SomaticVariant, settings: TmbSettings) -> str | None:
    if variant.origin != "somatic":
        return "germline"
    if variant.consequence not in TMB_COUNTED:
        return f"not counted: {variant.consequence}"
    if variant.vaf is not None and variant.vaf < settings.min_vaf:
        return f"VAF < {settings.min_vaf:g}"
    if variant.depth is not None and variant.depth < settings.min_depth:
        return f"depth < {settings.min_depth}"
    return None


def compute_tmb(variants: list[SomaticVariant], callable_mb: float, settings: TmbSettings | None = None) -> TmbResult:
    """Count eligible somatic coding mutations per callable megabase."""
    if callable_mb <= 0:
        raise InputError(f"callable territory must be positive (got {callable_mb} Mb)")
    settings = settings or TmbSettings()
    excluded: Counter[str] = Counter()
    seen: set[tuple[object, ...]] = set()
    counted = 0
    for variant in variants:
        reason = _exclusion_reason(variant, settings)
        key = (variant.gene, variant.chrom, variant.pos, variant.ref, variant.alt, variant.protein_change)
        if reason is None and key in seen:
            reason = "duplicate call"
        if reason is not None:
            excluded[reason] += 1
            continue
        seen.add(key)
        counted += 1
    low, high = poisson_interval(counted)
    tmb = counted / callable_mb
    return TmbResult(
        eligible_mutations=counted, callable_mb=callable_mb, tmb=round(tmb, 4), ci95_low=round(low / callable_mb, 4),
        ci95_high=round(high / callable_mb, 4), high=tmb >= settings.threshold, threshold=settings.threshold,
        rule=(f"somatic non-synonymous coding SNVs and indels ({', '.join(sorted(TMB_COUNTED))}); VAF >= "
              f"{settings.min_vaf:g} and depth >= {settings.min_depth} where given; per callable Mb; "
              "exact Poisson 95% CI"),
        excluded=dict(sorted(excluded.items())))


