"""Regression guard on published cases: phenotype-only ranking of a fixed sample of ../shared phenopackets.

The full figures come from benchmarks/rare_phenopackets.py; this checks a 150-case sample stays near them
(thresholds a little under the measured values, so a real regression fails and noise does not).
"""

import json
import random

import pytest
from conftest import shared_path

from tailormed.io.phenopacket import phenopacket_to_profile
from tailormed.pipelines.rare import RareContext, rank_one

pytestmark = pytest.mark.validation


def test_phenotype_only_ranking_on_published_cases(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    folder = shared_path("rare", "phenopackets-dev")
    files = sorted(random.Random(7).sample(sorted(folder.rglob("*.json")), 150))
    context = RareContext.load()
    top10 = gene_top10 = 0
    for path in files:
        document = json.loads(path.read_text())
        profile = phenopacket_to_profile(document, source=str(path))
        result = rank_one(context, profile, source=str(path))
        top10 += any(c.disease_id == profile.known_diagnoses[0] for c in result.diseases[:10])
        gene_top10 += path.parent.name in {g.gene for g in result.genes[:10]}
    print(f"top10 disease {top10}/{len(files)}, gene {gene_top10}/{len(files)}")
    assert top10 / len(files) >= 0.55, top10
    assert gene_top10 / len(files) >= 0.55, gene_top10
