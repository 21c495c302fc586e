"""Germline genotypes as the pharmacogenomics engine sees them: codes of many samples at one gene's defining
positions (filled by ``io/vcf.py``), and calls made outside TailorMed (read by ``io/outside_calls.py``).

The engine depends on these types, never on a reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from tailormed.model.pack import VariantDefinition

#: Allele codes beside 0 (reference) and 1.. (the pack's alternate alleles at a position).
MISSING = -1
UNEXPECTED = -2
ABSENT = -3

PositionStatus = Literal["called", "missing", "assumed_reference"]


@dataclass
class GeneGenotypes:
    """Genotypes of many samples at one gene's defining positions."""

    gene: str
    variants: list[VariantDefinition]
    codes: npt.NDArray[np.int8]  # (samples, positions, 2)
    phased: npt.NDArray[np.bool_]  # (samples, positions)
    phase_set: npt.NDArray[np.int64]  # (samples, positions); 0 = none given
    position_status: list[PositionStatus]  # per position
    unexpected_alleles: dict[int, list[str]] = field(default_factory=dict)  # position index -> undefined VCF alleles
    filtered: dict[int, str] = field(default_factory=dict)  # position index -> FILTER value when not PASS
    ref_mismatch: dict[int, str] = field(default_factory=dict)  # position index -> REF seen in the VCF
    records_in_window: int = 0  # records near the gene: 0 means the file does not cover it


@dataclass(frozen=True)
class OutsideCall:
    """One gene's call from outside TailorMed."""

    gene: str
    diplotype: str | None
    phenotype: str | None
    activity_score: float | None
    sample: str | None
    source: str
    note: str | None = None  # what the outside tool said about its call (e.g. a filter), shown as a warning


@dataclass(frozen=True)
class CopyNumberCall:
    """A gene's total copy number in one sample (CYP2D6: 2 on most genomes, 1 with a *5, 3+ with a duplication)."""

    gene: str
    copies: int
    sample: str | None  # None: every sample analysed
    source: str  # "file:line"
