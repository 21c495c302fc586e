"""Provenance of a result: software version, knowledge versions, inputs, assumptions and the time it was made.

>>> p = make_provenance(["pgx-core 1.0 (2026-01-01)"], {"vcf": "a.vcf"}, [])
>>> (p.software, p.inputs)
('TailorMed', {'vcf': 'a.vcf'})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tailormed import __version__
from tailormed.model.common import Provenance


def make_provenance(knowledge: Sequence[str], inputs: Mapping[str, str], assumptions: Sequence[str]) -> Provenance:
    """One result's provenance, stamped now (UTC, seconds)."""
    return Provenance(software="TailorMed", software_version=__version__, knowledge=list(knowledge),
                      inputs=dict(inputs), assumptions=list(assumptions),
                      created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
