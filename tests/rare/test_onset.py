"""Age of onset: reading it from phenopackets and the command line, and its likelihood ratio."""

import math

import numpy as np
import pytest

from tailormed.errors import InputError
from tailormed.io.phenopacket import hpo_ids_to_profile, phenopacket_to_profile
from tailormed.kb.rare_preset import load_preset
from tailormed.model.onset import ONSET_TERM_BINS, earliest, onset_term_for_age, onset_term_from_text
from tailormed.rare.engine import rank_case
from tailormed.rare.onset import disease_onset_terms, onset_log10_lr

META = {"phenopacketSchemaVersion": "2.0", "created": "2026-01-01T00:00:00Z", "resources": []}


@pytest.mark.parametrize(("age", "term"), [
    ("P0D", "HP:0003577"), ("PT12H", "HP:0003623"), ("P2W", "HP:0003623"), ("P1DT6H", "HP:0003623"),
    ("P3M", "HP:0003593"), ("P1Y6M", "HP:0011463"),
    ("P10Y", "HP:0003621"), ("P30Y", "HP:0011462"), ("P45Y", "HP:0003596"), ("P70Y", "HP:0003584"),
])
def test_ages_fall_in_the_hpo_onset_periods(age: str, term: str) -> None:
    assert onset_term_for_age(age, source="s", location="l") == term


@pytest.mark.parametrize("age", ["P", "2Y", "P1YT", "P-1Y", "PY"])
def test_malformed_ages_are_refused(age: str) -> None:
    with pytest.raises(InputError, match="not an ISO 8601 age"):
        onset_term_for_age(age, source="s", location="l")


def test_malformed_age_names_the_place() -> None:
    document = {"id": "c", "subject": {"id": "P"}, "metaData": META,
                "phenotypicFeatures": [{"type": {"id": "HP:0001250"}, "onset": {"age": {"iso8601duration": "2 yrs"}}}]}
    with pytest.raises(InputError, match=r"phenotypicFeatures\[0\]\.onset.*'2 yrs' is not an ISO 8601 age"):
        phenopacket_to_profile(document, source="case.json")


def test_earliest_onset_of_observed_features_and_the_disease() -> None:
    document = {"id": "c", "subject": {"id": "P"}, "metaData": META,
                "phenotypicFeatures": [
                    {"type": {"id": "HP:0001250"}, "onset": {"age": {"iso8601duration": "P4Y"}}},
                    {"type": {"id": "HP:0001263"}, "onset": {"ontologyClass": {"id": "HP:0003581"}}},
                    {"type": {"id": "HP:0000252"}, "excluded": True, "onset": {"ontologyClass": {"id": "HP:0003577"}}}],
                "diseases": [{"term": {"id": "MONDO:1"}, "onset": {"ontologyClass": {"id": "HP:0003593"}}}]}
    assert phenopacket_to_profile(document, source="c.json").onset == "HP:0003593"  # infantile, not the excluded one
    del document["diseases"]
    assert phenopacket_to_profile(document, source="c.json").onset == "HP:0011463"
    assert earliest(["HP:0003581", "HP:0410280"]) == "HP:0410280"
    assert earliest([]) is None


def test_onset_option_takes_a_term_or_an_age() -> None:
    assert onset_term_from_text("hp:0003593", source="--onset") == "HP:0003593"
    assert onset_term_from_text("P20Y", source="--onset") == "HP:0011462"
    with pytest.raises(InputError, match="not an HPO onset term"):
        onset_term_from_text("HP:0001250", source="--onset")


def test_onset_ratio_favours_diseases_of_that_period(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    annotated = disease_onset_terms(hpo_knowledge)
    congenital_only = [i for i, terms in enumerate(annotated) if terms == ["HP:0003577"]]
    adult_only = [i for i, terms in enumerate(annotated) if terms == ["HP:0003581"]]
    unannotated = [i for i, terms in enumerate(annotated) if not terms]
    assert congenital_only and adult_only and unannotated
    at_birth = onset_log10_lr(hpo_knowledge, "HP:0003577", 0.2)
    in_adulthood = onset_log10_lr(hpo_knowledge, "HP:0011462", 0.2)
    assert np.all(at_birth[congenital_only] > 0) and np.all(at_birth[adult_only] < 0)
    assert np.all(in_adulthood[adult_only] > 0) and np.all(in_adulthood[congenital_only] < 0)
    assert np.all(at_birth[unannotated] == 0)
    # the ratio is P(period | disease) / P(period | a disease with an onset): mismatch mass 0.2 over 9 periods
    background = float(np.mean([0.2 / 9 + 0.8 * (1 in {b for t in terms for b in ONSET_TERM_BINS[t]}) /
                                len({b for t in terms for b in ONSET_TERM_BINS[t]})
                                for terms in annotated if terms]))
    assert at_birth[congenital_only[0]] == pytest.approx(math.log10((0.2 / 9 + 0.8) / background))


def test_onset_is_explained_and_can_be_switched_off(hpo_knowledge, tmp_path) -> None:  # type: ignore[no-untyped-def]
    marfan = hpo_ids_to_profile(["HP:0001166", "HP:0001083", "HP:0002616"]).model_copy(update={"onset": "HP:0003577"})
    from tailormed.model.common import Provenance
    provenance = Provenance(software="t", software_version="0", knowledge=[], created="now")
    result = rank_case(marfan, hpo_knowledge, load_preset(None), source="t", provenance=provenance)
    onset_rows = [c for d in result.diseases for c in d.supporting_terms + d.contradicting_terms
                  if c.label.startswith("Age of onset")]
    assert onset_rows and {c.match for c in onset_rows} <= {"onset_fits", "onset_differs"}
    assert all(c.matched_term for c in onset_rows)  # names the disease's annotated onset
    off = tmp_path / "off.yaml"
    off.write_text("name: no-onset\nsteps:\n  - step: phenotype_prioritiser\n    onset_mismatch_rate: null\n")
    quiet = rank_case(marfan, hpo_knowledge, load_preset(off), source="t", provenance=provenance)
    assert not any(c.label.startswith("Age of onset") for d in quiet.diseases
                   for c in d.supporting_terms + d.contradicting_terms)


def test_cli_onset_option(hpo_knowledge, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from tailormed.cli import app
    runner = CliRunner()
    args = ["rare", "rank", "--hpo", "HP:0001166,HP:0001083,HP:0002616", "-q"]
    done = runner.invoke(app, [*args, "--onset", "P7Y", "--out", str(tmp_path / "ok")])
    assert done.exit_code == 0, done.output
    result = (tmp_path / "ok" / "result.json").read_text()
    assert '"onset":"HP:0003621"' in result.replace(" ", "") and "Age of onset: Juvenile onset" in result
    refused = runner.invoke(app, [*args, "--onset", "seven years", "--out", str(tmp_path / "bad")])
    assert refused.exit_code == 2 and "not an ISO 8601 age" in refused.output
    assert not (tmp_path / "bad").exists()
