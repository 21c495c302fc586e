"""DPWG recommendations beside CPIC's: matched like CPIC rows, each with its own source and a status from its own
content; differences from CPIC shown with both sides; pack validation names the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pack_edits import pack_with

from tailormed.errors import KnowledgeError
from tailormed.kb.pack import BUILTIN_PACKS_DIR, load_knowledge_base
from tailormed.model.genotypes import OutsideCall
from tailormed.model.pack import DrugGuidance
from tailormed.pgx.engine import result_from_outside_call
from tailormed.pgx.recommend import recommend_drug


def _call(kb, gene: str, diplotype: str):
    return result_from_outside_call(kb, OutsideCall(gene=gene, diplotype=diplotype, phenotype=None,
                                                    activity_score=None, sample=None, source="lab"))


def _rows(kb, drug: str, gene: str, diplotype: str):
    return recommend_drug(kb, kb.drugs[drug], {gene: _call(kb, gene, diplotype)})


def test_clopidogrel_poor_metabolizer_has_cpic_and_dpwg_rows_with_their_sources(kb):
    rows = _rows(kb, "clopidogrel", "CYP2C19", "*2/*2")
    cpic = [r for r in rows if r.guideline_body == "CPIC"]
    dpwg = [r for r in rows if r.guideline_body == "DPWG"]
    assert cpic and dpwg
    assert {r.guideline for r in cpic} == {"cpic-cyp2c19-clopidogrel-2022"}
    assert {r.guideline for r in dpwg} == {"dpwg-2011-update"}
    assert all(r.rule and r.rule.startswith("clopidogrel#dpwg") for r in dpwg)
    assert all(r.evidence and r.evidence.citations[0] == "dpwg-2011-update" for r in dpwg)
    # PCI/stroke/TIA: DPWG gives CPIC's action (avoid clopidogrel), so it is shown with CPIC's ACS/PCI row...
    acs = next(r for r in cpic if "ACS" in (r.population or ""))
    assert acs.agreeing_rules == ["clopidogrel#dpwg3"] and acs.agreeing_guidelines == ["dpwg-2011-update"]
    # ...while DPWG's differing advice for other indications (test platelet inhibition first) is a row of its own
    other = next(r for r in dpwg if r.population == "other indications")
    assert other.compared_with_cpic == "differs" and other.status == "actionable"
    assert "platelet" in (other.recommendation or "")


def test_difference_case_intermediate_metabolizer_double_dose(kb):
    """CPIC: avoid standard-dose clopidogrel, prefer prasugrel/ticagrelor; DPWG also accepts 150 mg/day. Both are
    shown, each actionable from its own content, and the DPWG row says how it differs."""
    rows = _rows(kb, "clopidogrel", "CYP2C19", "*1/*2")
    cpic_acs = next(r for r in rows if r.guideline_body == "CPIC" and "ACS" in (r.population or ""))
    dpwg_pci = next(r for r in rows if r.guideline_body == "DPWG" and "percutaneous" in (r.population or ""))
    assert cpic_acs.status == dpwg_pci.status == "actionable"
    assert dpwg_pci.compared_with_cpic == "differs"
    assert "150 mg/day" in (dpwg_pci.recommendation or "") and "150" not in (cpic_acs.recommendation or "")
    assert dpwg_pci.difference and "150 mg/day" in dpwg_pci.difference


def test_status_comes_from_each_rows_own_content(kb):
    """Tramadol poor metabolizer: CPIC says avoid (actionable); DPWG keeps it with watchful titration (usual care)."""
    rows = _rows(kb, "tramadol", "CYP2D6", "*4/*4")
    by_body = {r.guideline_body: r for r in rows}
    assert by_body["CPIC"].status == "actionable"
    assert by_body["DPWG"].status == "standard"
    assert by_body["DPWG"].compared_with_cpic == "differs"


def test_dpwg_rows_match_on_activity_score_bounds(kb):
    # *1/*1 (score 2): DPWG gives no recommendation for normal metabolizers: only CPIC's row, nothing agreeing
    rows = _rows(kb, "codeine", "CYP2D6", "*1/*1")
    assert [(r.guideline_body, r.agreeing_rules) for r in rows] == [("CPIC", [])]
    # *1/*4 (score 1.0): DPWG intermediate metabolizer, the same action as CPIC's (usual care, watch the effect)
    rows = _rows(kb, "codeine", "CYP2D6", "*1/*4")
    assert [(r.guideline_body, r.agreeing_rules) for r in rows] == [("CPIC", ["codeine#dpwg3"])]
    # *4/*4 (score 0): a poor metabolizer for both; DPWG agrees with CPIC (choose another analgesic)
    rows = _rows(kb, "codeine", "CYP2D6", "*4/*4")
    assert [(r.guideline_body, r.status, r.agreeing_rules) for r in rows] == [("CPIC", "actionable", ["codeine#dpwg2"])]


def test_an_agreeing_row_with_another_status_is_shown_on_its_own(kb):
    """tramadol *1/*4: CPIC keeps usual care and so does DPWG (agrees): merged. An 'agrees' row whose status no CPIC
    row has is never merged (checked on a modified drug)."""
    rows = _rows(kb, "tramadol", "CYP2D6", "*1/*4")
    assert [(r.guideline_body, r.agreeing_rules) for r in rows] == [("CPIC", ["tramadol#dpwg3"])]
    drug = kb.drugs["tramadol"]
    other = drug.other_guidelines[0]
    recs = [rec.model_copy(update={"changes_care": True}) if i == 2 else rec
            for i, rec in enumerate(other.recommendations)]
    flipped = other.model_copy(update={"recommendations": recs})
    modified = drug.model_copy(update={"other_guidelines": [flipped]})
    rows = recommend_drug(kb, modified, {"CYP2D6": _call(kb, "CYP2D6", "*1/*4")})
    assert [(r.guideline_body, r.status) for r in rows] == [("CPIC", "standard"), ("DPWG", "actionable")]
    assert rows[0].agreeing_rules == []


def test_untested_gene_gives_no_dpwg_advice(kb):
    rows = recommend_drug(kb, kb.drugs["clopidogrel"], {})
    assert [r.status for r in rows] == ["not_tested"]
    assert all(r.guideline_body == "CPIC" for r in rows)


def test_indeterminate_gives_no_dpwg_row(kb):
    rows = _rows(kb, "clopidogrel", "CYP2C19", "*1/*99Z")
    assert all(r.guideline_body == "CPIC" for r in rows)



def test_dpwg_row_for_unknown_phenotype_is_a_knowledge_error_naming_the_file(tmp_path):
    def edit(data):
        data["other_guidelines"][0]["recommendations"][0]["when"] = {"CYP2C19": {"phenotype": ["Slow Metabolizer"]}}
    pack = pack_with(tmp_path, "clopidogrel", edit)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_base(str(pack))
    text = str(info.value)
    assert "clopidogrel.yaml" in text and "Slow Metabolizer" in text and "DPWG" in text
    assert "other_guidelines.0.recommendations.0" in text


def test_dpwg_row_for_unknown_gene_is_a_knowledge_error_naming_the_file(tmp_path):
    def edit(data):
        data["other_guidelines"][0]["recommendations"][0]["when"] = {"CYP2D6": {"phenotype": ["Poor Metabolizer"]}}
    pack = pack_with(tmp_path, "clopidogrel", edit)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_base(str(pack))
    assert "clopidogrel.yaml" in str(info.value) and "CYP2D6" in str(info.value)


def test_a_difference_must_be_stated():
    data = yaml.safe_load((BUILTIN_PACKS_DIR / "pgx-core" / "drugs" / "clopidogrel.yaml").read_text())
    data["other_guidelines"][0]["recommendations"][0].pop("difference")
    with pytest.raises(ValueError, match="must say how"):
        DrugGuidance.model_validate(data)


def test_dpwg_source_must_be_declared(tmp_path):
    def edit(data):
        data["other_guidelines"][0]["guideline"] = "dpwg-nowhere"
    pack = pack_with(tmp_path, "clopidogrel", edit)
    with pytest.raises(KnowledgeError, match="dpwg-nowhere"):
        load_knowledge_base(str(pack))


def test_report_shows_both_guidelines_with_their_sources(tmp_path):
    """The demo patient (CYP2C19 *1/*2, takes clopidogrel): JSON rows of both bodies; the HTML labels each row with
    its body and says where DPWG differs."""
    import json

    from tailormed.pipelines.pgx import run_pgx_call

    demo = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"
    out = tmp_path / "out"
    run_pgx_call(demo / "demo.vcf", out, samples=["DEMO001"], outside_calls_path=demo / "outside-calls.tsv",
                 medications=["clopidogrel", "codeine", "paroxetine"], formats=["json", "html"], full_evidence=True)
    document = json.loads((out / "DEMO001.json").read_text())
    clopidogrel = [d for d in document["drugs"] if d["drug"] == "clopidogrel"]
    bodies = {d["guideline_body"] for d in clopidogrel}
    assert bodies == {"CPIC", "DPWG"}
    differs = [d for d in clopidogrel if d.get("compared_with_cpic") == "differs"]
    assert differs and all(d["guideline"] == "dpwg-2011-update" and d["difference"] for d in differs)
    cited = {c["id"] for c in document["citations"]}
    assert {"dpwg-2011-update", "cpic-cyp2c19-clopidogrel-2022"} <= cited
    html = (out / "DEMO001.html").read_text()
    section = html[html.index('id="drug-clopidogrel"'):]
    section = section[:section.index("</tbody>")] if "</tbody>" in section else section[:20000]
    assert '<span class="gl-body">DPWG</span> <strong>differs from CPIC:</strong>' in section
    assert '<span class="gl-body">CPIC</span>' in section
    assert "150 mg/day" in section
    # agreeing advice is shown with CPIC's row, with the DPWG source: codeine, a poor metabolizer with paroxetine
    codeine = [d for d in document["drugs"] if d["drug"] == "codeine"]
    assert [(d["guideline_body"], d["agreeing_rules"]) for d in codeine] == [("CPIC", ["codeine#dpwg2"])]
    assert codeine[0]["agreeing_guidelines"] == ["dpwg-cyp2d6-opioids-2021"]
    section = html[html.index('id="drug-codeine"'):]
    section = section[:section.index("</tr>")]
    assert '<span class="gl-body">DPWG</span> <span class="small">give the same action (' in section
    assert "Matic M et al." in section


def test_an_agreeing_dpwg_row_joins_only_a_cpic_row_on_its_own_genes(kb):
    """Carbamazepine for a carrier of HLA-A*31:01 and HLA-B*15:02: a DPWG row is shown "with" a CPIC row only when
    that row rests on the DPWG row's genes; otherwise it stays a row of its own."""
    calls = {gene: _call(kb, gene, diplotype) for gene, diplotype in
             (("HLA-A", "*31:01/*02:01"), ("HLA-B", "*15:02/*07:02"))}
    rows = recommend_drug(kb, kb.drugs["carbamazepine"], calls)
    dpwg_genes = {f"carbamazepine#dpwg{i + 1}": set(rec.when) for other in kb.drugs["carbamazepine"].other_guidelines
                  for i, rec in enumerate(other.recommendations)}
    attached = [(row, rule) for row in rows for rule in row.agreeing_rules]
    for row, rule in attached:
        assert dpwg_genes[rule] <= {b.gene for b in row.basis}, (rule, [b.gene for b in row.basis])
    shown = {rule for _, rule in attached} | {r.rule for r in rows if r.guideline_body == "DPWG"}
    assert any(g == {"HLA-A"} for rule, g in dpwg_genes.items() if rule in shown)  # the HLA-A advice is not lost
