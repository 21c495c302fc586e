"""High-level MET amplification in NSCLC (onco-core): matched at 10 copies or more, never over-called from a lower copy
number or from a call without one, cited to guideline and trial evidence (no FDA label), and as a resistance
mechanism to EGFR TKIs beside an EGFR-sensitising mutation. Runs `tailormed onco interpret` on small inputs."""

from pathlib import Path

import pytest
from test_onco_caveats import interpret

from tailormed.errors import InputError
from tailormed.kb.onco import load_onco_knowledge
from tailormed.model.alterations import CopyNumberLevel, parse_alteration

MET_RECORDS = {"nsclc-met-amplification-capmatinib-guideline": "capmatinib",
               "nsclc-met-amplification-crizotinib-guideline": "crizotinib",
               "nsclc-met-amplification-tepotinib-study": "tepotinib"}
TP53 = [("TP53", "Missense_Mutation", "p.R273H")]
EX19DEL = [("EGFR", "In_Frame_Del", "p.E746_A750del")]


def with_cna(tmp_path: Path, variants: list[tuple[str, str, str]], cna: str, tumour: str = "LUAD"):  # type: ignore[no-untyped-def]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cna.tsv").write_text(cna)
    return interpret(tmp_path, tumour, variants, None, "--cna", str(tmp_path / "cna.tsv"))


def met_options(result):  # type: ignore[no-untyped-def]
    return {o.record_id: o for o in result.therapies if o.record_id in MET_RECORDS}


def test_copy_number_level_language() -> None:
    pattern = parse_alteration("MET amplification >= 10 copies")
    assert pattern.alternatives == (CopyNumberLevel("MET", 10.0),) and pattern.genes == {"MET"}
    for bad in ("MET amplification >= 2 copies", "germline MET amplification >= 10 copies"):
        with pytest.raises(InputError):
            parse_alteration(bad)


def test_high_level_met_amplification_is_matched_with_guideline_evidence(tmp_path: Path) -> None:
    result, out = with_cna(tmp_path, TP53, "gene\tcopy_number\nMET\t14\n")
    options = met_options(result)
    assert set(options) == set(MET_RECORDS)
    assert {o.evidence for o in options.values()} <= {"guideline", "clinical-study"}  # no FDA label for this use
    assert options["nsclc-met-amplification-capmatinib-guideline"].tier == "I-A"  # NCCN-listed: AMP level A
    assert options["nsclc-met-amplification-tepotinib-study"].tier == "II-C"  # one phase 2 cohort
    for option in options.values():
        assert not option.unknown_requirements
        assert [m.satisfied_by for m in option.matched if not m.inferred] == [["MET amplification"]]
        assert "not FDA-labelled" in (option.setting or "")
    met = next(a for a in result.alterations if a.label == "MET amplification")
    assert met.tier == "I-A" and met.copy_number == 14 and set(met.therapies) == set(MET_RECORDS)
    assert "capmatinib" in (out / "report.html").read_text()


def test_met_amplification_records_cite_guideline_and_trials() -> None:
    knowledge = load_onco_knowledge("onco-core")
    records = {c.record.id: c.record for c in knowledge.records}
    cited = {rid: " ".join(knowledge.sources[s].citation for s in records[rid].sources) for rid in MET_RECORDS}
    assert "NCCN" in cited["nsclc-met-amplification-capmatinib-guideline"]
    assert "GEOMETRY mono-1" in cited["nsclc-met-amplification-capmatinib-guideline"]
    assert "PROFILE 1001" in cited["nsclc-met-amplification-crizotinib-guideline"]
    assert "VISION Cohort B" in cited["nsclc-met-amplification-tepotinib-study"]
    for rid in MET_RECORDS:
        assert all(knowledge.sources[s].version or knowledge.sources[s].date for s in records[rid].sources)
        assert records[rid].approval_date is None  # not an approved indication


@pytest.mark.parametrize("cna", ["gene\tcopy_number\nMET\t7\n", "gene\tcall\nMET\tgain\n"])
def test_low_level_met_gain_is_not_over_called(tmp_path: Path, cna: str) -> None:
    result, _ = with_cna(tmp_path, TP53, cna)
    assert met_options(result) == {}
    assert all(a.tier == "III" for a in result.alterations if a.gene == "MET")


@pytest.mark.parametrize(("cna", "says"), [
    ("gene\tcall\nMET\tamplification\n", "without a copy number"),
    ("gene\tlog2\nMET\t1.9\n", "log2 ratio +1.90"),
])
def test_amplification_of_unknown_level_is_conditional_and_says_so(tmp_path: Path, cna: str, says: str) -> None:
    result, _ = with_cna(tmp_path, TP53, cna)
    options = met_options(result)
    assert set(options) == set(MET_RECORDS)
    for option in options.values():
        [undecided] = option.unknown_requirements
        assert undecided.requirement == "MET amplification >= 10 copies" and says in undecided.missing
        assert "whether it reaches 10 copies is not known" in undecided.missing
        assert undecided.concerns == ["MET amplification"]
    met = next(a for a in result.alterations if a.label == "MET amplification")
    assert met.tier == "III" and set(met.therapies) == set(MET_RECORDS)  # listed, not tiered on an open question


def test_log2_ratio_high_enough_for_ten_copies_at_any_purity_meets_it(tmp_path: Path) -> None:
    result, _ = with_cna(tmp_path, TP53, "gene\tlog2\nMET\t2.5\n")  # 2 * 2**2.5 = 11.3 copies as a lower bound
    assert all(not o.unknown_requirements for o in met_options(result).values()) and met_options(result)


def test_met_amplification_resists_egfr_tkis_beside_an_egfr_mutation(tmp_path: Path) -> None:
    result, out = with_cna(tmp_path, EX19DEL, "gene\tcopy_number\nMET\t12\n")
    assert met_options(result) == {}  # the MET-inhibitor monotherapy records are for EGFR wild-type tumours
    resistant = {o.record_id: o for o in result.therapies if o.response == "resistant"}
    assert {"nsclc-egfr-met-amplification-osimertinib-resistance", "nsclc-egfr-met-amplification-gefitinib-resistance",
            "nsclc-egfr-met-amplification-erlotinib-resistance"} <= set(resistant)
    assert all(resistant[r].resistance_level == "R2" for r in resistant if "met-amplification" in r)
    first_line = next(o for o in result.therapies if o.record_id == "nsclc-egfr-ex19del-l858r-osimertinib-first-line")
    assert first_line.resistance_level == "R2"
    assert first_line.resisted_by == ["nsclc-egfr-met-amplification-osimertinib-resistance"]
    assert any("also carries MET amplification" in c for c in first_line.caveats)
    assert not any("conflict" in c for o in result.therapies for c in o.caveats)  # the EGFR mutation is context
    html = (out / "report.html").read_text()
    assert "predicted by MET amplification (" in html  # not by the EGFR mutation the record only requires
    # Without the EGFR mutation, MET amplification resists nothing: the EGFR TKI records need it.
    alone, _ = with_cna(tmp_path / "alone", TP53, "gene\tcopy_number\nMET\t12\n")
    assert not any(o.response == "resistant" and "met-amplification" in o.record_id for o in alone.therapies)


def test_context_must_repeat_an_alteration_of_a_resistance_record() -> None:
    from pydantic import ValidationError

    from tailormed.kb.onco import EvidenceRecord
    base = dict(id="x", alterations=["MET amplification", "EGFR L858R"], tumour_types=["NSCLC"], therapy="osimertinib",
                drugs=["osimertinib"], evidence="clinical-study", summary="a resistance record", sources=["s"])
    assert EvidenceRecord(**base, response="resistant", context=["EGFR L858R"]).context == ["EGFR L858R"]
    for bad in ({"response": "resistant", "context": ["EGFR T790M"]},
                {"response": "sensitive", "context": ["EGFR L858R"]},
                {"response": "resistant", "context": ["MET amplification", "EGFR L858R"]}):
        with pytest.raises(ValidationError):
            EvidenceRecord(**base, **bad)
