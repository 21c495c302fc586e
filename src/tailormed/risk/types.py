"""Columnar types passed between the PRS readers, the matcher and the scorer.

Scores and targets can hold millions of variants, so these are dataclasses of numpy arrays (validated on
construction), not one pydantic object per variant. Genomic positions are 1-based; chromosome names are
normalised without a ``chr`` prefix ('1'..'22', 'X', 'Y', 'MT').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

GenomeBuild = Literal["GRCh37", "GRCh38"]


def normalise_chrom(name: str) -> str:
    """'chr1' -> '1', 'chrM'/'M' -> 'MT', 'X' stays 'X'."""
    bare = name.removeprefix("chr").removeprefix("CHR")
    return "MT" if bare in ("M", "MT") else bare


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
