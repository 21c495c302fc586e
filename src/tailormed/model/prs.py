"""Columnar types passed between the PRS readers, the matcher and the scorer.

Scores and targets can hold millions of variants, so these are dataclasses of numpy arrays (validated on
construction), not one pydantic object per variant. Genomic positions are 1-based; chromosome names are
normalised by :func:`tailormed.model.genome.normalise_chrom` ('1'..'22', 'X', 'Y', 'MT', no ``chr`` prefix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

GenomeBuild = Literal["GRCh37", "GRCh38"]


@dataclass
class ScoringFile:
    """One scoring file: one or more scores over the same variant rows.

    ``weights[i, k]`` is the weight of the effect allele of row ``i`` in score ``k``. ``pos`` is -1 where the
    file has no usable position (rsID-only rows). ``other_allele`` is '' when the file gives none.
    ``is_dominant``/``is_recessive`` follow the PGS Catalog columns of the same names.
    """

    path: str
    score_ids: list[str]
    genome_build: GenomeBuild | None
    harmonized: bool
    metadata: dict[str, str]
    chrom: npt.NDArray[np.str_]
    pos: npt.NDArray[np.int64]
    rsid: npt.NDArray[np.object_]
    effect_allele: npt.NDArray[np.object_]
    other_allele: npt.NDArray[np.object_]
    weights: npt.NDArray[np.float64]
    is_dominant: npt.NDArray[np.bool_]
    is_recessive: npt.NDArray[np.bool_]
    line: npt.NDArray[np.int64]  # 1-based line of each row in the file, for messages

    def __post_init__(self) -> None:
        n = len(self.chrom)
        for name in ("pos", "rsid", "effect_allele", "other_allele", "is_dominant", "is_recessive", "line"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"ScoringFile.{name} has {len(getattr(self, name))} rows, expected {n}")
        if self.weights.shape != (n, len(self.score_ids)):
            raise ValueError(f"ScoringFile.weights has shape {self.weights.shape}, expected {(n, len(self.score_ids))}")

    @property
    def n_variants(self) -> int:
        return len(self.chrom)


@dataclass
class TargetVariants:
    """The variant table of a target genotype file (one row per biallelic record or per ALT of a split one)."""

    path: str
    format: Literal["vcf", "bed", "pgen"]
    samples: list[str]
    chrom: npt.NDArray[np.str_]
    pos: npt.NDArray[np.int64]
    variant_id: npt.NDArray[np.object_]
    ref: npt.NDArray[np.object_]
    alt: npt.NDArray[np.object_]
    multiallelic: npt.NDArray[np.bool_]  # the record had more than one ALT
    genome_build: GenomeBuild | None = None

    @property
    def n_variants(self) -> int:
        return len(self.chrom)


MatchStatus = Literal["matched", "matched_flip", "excluded_ambiguous", "excluded_multiallelic", "excluded_duplicate",
                      "unmatched_alleles", "not_in_target"]


@dataclass
class ScoreMatch:
    """How every scoring-file row maps onto the target.

    ``target_index[i]`` is the matched target row or -1; ``effect_is_alt[i]`` says whether the score's
    effect allele is the target's ALT (dosage counts ALT copies) or its REF; ``status[i]`` is a
    :data:`MatchStatus`; ``strand_flipped[i]`` marks matches made on the reverse strand.
    """

    target_index: npt.NDArray[np.int64]
    effect_is_alt: npt.NDArray[np.bool_]
    strand_flipped: npt.NDArray[np.bool_]
    status: npt.NDArray[np.object_]
    rules: dict[str, str] = field(default_factory=dict)  # the options used, echoed in the match report


@dataclass
class ScoreResult:
    """Per-sample scores for every score of a file (plink2 --score semantics, documented in risk/scoring.py)."""

    samples: list[str]
    score_ids: list[str]
    sums: npt.NDArray[np.float64]  # (samples, scores)
    averages: npt.NDArray[np.float64]  # (samples, scores)
    allele_counts: npt.NDArray[np.int64]  # (samples, scores): non-missing alleles used, as plink2's ALLELE_CT
    matched: npt.NDArray[np.int64]  # (scores,) variants used
    total: npt.NDArray[np.int64]  # (scores,) variants in the file
    imputed: npt.NDArray[np.int64]  # (scores,) missing genotypes mean-imputed, summed over samples


#: Dosages with 0 at missing calls, and the (row, sample) coordinates of those missing calls.
MissingCalls = tuple[npt.NDArray[np.float64], npt.NDArray[np.intp], npt.NDArray[np.intp]]


class DosageSource(Protocol):
    """What the polygenic scorer needs from a genotype file set (``io/genotypes.py`` implements it for VCF,
    PLINK 1 and PLINK 2): the variant table, the samples with their sex, and dosages by variant row."""

    path: Path
    samples: list[str]
    sex: npt.NDArray[np.int8]  # 1 male, 2 female, 0 unknown (per sample)
    founders: npt.NDArray[np.bool_]
    has_sex: bool

    @property
    def variants(self) -> TargetVariants: ...

    @property
    def n_samples(self) -> int: ...

    def dosages_filled(self, rows: npt.ArrayLike, *, ref: bool = False) -> MissingCalls: ...

    def dosages_raw(self, rows: npt.ArrayLike) -> npt.NDArray[np.float64]: ...

    def reader_for_thread(self) -> DosageSource | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ReferenceDistribution:
    """A score's distribution in a named reference population (for z-scores and percentiles)."""

    panel: str
    population: str
    values: npt.NDArray[np.float64]

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def sd(self) -> float:
        return float(self.values.std(ddof=1))

    def z(self, value: float) -> float:
        return (value - self.mean) / self.sd if self.sd > 0 else math.nan

    def percentile(self, value: float) -> float:
        """Empirical percentile (share of the reference at or below the value, 0-100)."""
        return 100.0 * float(np.count_nonzero(self.values <= value)) / len(self.values)


@dataclass
class PersonScore:
    """One polygenic score of one person, placed on the reference population's distribution."""

    score_id: str
    file: str
    sum: float
    z: float
    percentile: float
    matched: int
    total: int
    reference: ReferenceDistribution
