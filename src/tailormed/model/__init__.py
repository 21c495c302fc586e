"""Typed patient and result models (pydantic v2): everything that crosses a module boundary."""

from tailormed.model.common import Citation, Evidence, Provenance, Warning
from tailormed.model.patient import Demographics, Patient, Sample
from tailormed.model.pgx import (
    PGX_SCHEMA_VERSION,
    Diplotype,
    DrugRecommendation,
    GeneBasis,
    GeneResult,
    PgxResult,
    PhenoconversionEffect,
    PositionGenotype,
)

__all__ = [
    "PGX_SCHEMA_VERSION",
    "Citation",
    "Demographics",
    "Diplotype",
    "DrugRecommendation",
    "Evidence",
    "GeneBasis",
    "GeneResult",
    "Patient",
    "PgxResult",
    "PhenoconversionEffect",
    "PositionGenotype",
    "Provenance",
    "Sample",
    "Warning",
]
