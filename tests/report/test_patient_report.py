"""The integrated patient report of ``tailormed analyze`` (report.html): drawn from the analysis documents alone,
a first screen of what matters now whose items link to their sections, the risk and rare-disease sections' fixes,
and the PDF export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.pipelines.analyze import load_analysis_documents, patient_report_html, run_analyze
from tailormed.report.patient import render_patient_html

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, hpo_knowledge: Any) -> Path:
    out = tmp_path_factory.mktemp("analyze") / "out"
    run_analyze(DEMO / "patient.yaml", out)
    return out


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end, html.index(start))]


def test_the_page_is_a_function_of_the_documents(demo: Path) -> None:
    html = (demo / "report.html").read_text(encoding="utf-8")
    documents = load_analysis_documents(demo)
    assert set(documents) == {"analysis", "pgx", "rare", "risk", "onco"}
    assert render_patient_html(documents) == html
    # A service holding only the documents draws the same page without links to files it does not have.
    served = patient_report_html(json.loads(json.dumps(documents)))
    assert 'href="pgx.html"' in html and 'href="pgx.html"' not in served and 'href="rare/' not in served
    assert _section(served, 'id="now"', 'class="domain"') == _section(html, 'id="now"', 'class="domain"')
    # keyed by file name, as the FHIR export takes the documents: the same page
    by_file = {"analysis.json": documents["analysis"], "pgx.json": documents["pgx"],
               "rare/result.json": documents["rare"], "risk/risk.json": documents["risk"],
               "onco/actionability.json": documents["onco"]}
    assert patient_report_html(by_file) == served
    # The per-domain pages are still written beside it.
    analysis = json.loads((demo / "analysis.json").read_text())
    assert analysis["report"] == "report.html" and analysis["demographics"] == {"sex": "female", "age_years": 58.0,
                                                                                "ancestry": "not stated"}
    for section in analysis["sections"].values():
        assert (demo / section["html"]).is_file()
    assert "<h1>Pharmacogenomic report</h1>" in (demo / "pgx.html").read_text()


def test_what_matters_now_names_each_domain_and_links_to_its_section(demo: Path) -> None:
    html = (demo / "report.html").read_text(encoding="utf-8")
    assert "<title>Patient report: DEMO001</title>" in html and "Age <strong>58</strong>" in html
    assert "pgx-core" in html and "onco-core" in html and "HPO" in html
    now = _section(html, 'id="now"', 'class="domain"')
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', now)
    assert links and all(link in ids for link in links), [link for link in links if link not in ids]
    medications = _section(now, 'id="h-now-meds"', "</section>")
    # every listed medication, status in words (never by colour alone), the advice of the actionable ones
    for drug in ("abacavir", "clopidogrel", "codeine", "paroxetine", "simvastatin"):
        assert f'href="#drug-{drug}"' in medications
    assert medications.count("Change from usual care") == 5
    assert "Do not use abacavir" in medications
    assert "CYP2D6: Intermediate Metabolizer by genotype, Poor Metabolizer with paroxetine" in medications
    rare = _section(now, 'id="h-now-rare"', "</section>")
    assert 'href="#rare-c1">Marfan syndrome</a> (FBN1)' in rare  # the ranker orders the FBN1 diseases
    assert "decisive variant" in rare and "c.3037del" in rare and "Likely pathogenic" in rare
    onco = _section(now, 'id="h-now-onco"', "</section>")
    assert "Lung Adenocarcinoma" in onco and "osimertinib" in onco and "I-A" in onco
    assert "Resistance:" in onco and "EGFR T790M" in onco
    tier_one = re.findall(r"<strong>([^<]+)</strong>", onco.split("Resistance:")[0])
    assert tier_one and len(tier_one) == len(set(tier_one))  # one line per therapy, its indications counted
    # every osimertinib option carries R2 from the MET amplification (9 copies): named with its level, sorted last
    assert "osimertinib (R2)" in onco and "MET amplification" in onco
    assert "adjuvant/perioperative" not in onco  # the metastatic demo tumour's adjuvant options are set apart
    risk = _section(now, 'id="h-now-risk"', "</section>")
    assert "13.1%" in risk and "stop smoking" in risk
    missing = _section(now, 'id="h-now-missing"', "</section>")
    assert "c-MET IHC" in missing  # the onco option waiting on a status not given


def test_each_domain_section_is_the_domain_page_one_heading_level_down(demo: Path) -> None:
    html = (demo / "report.html").read_text(encoding="utf-8")
    own = (demo / "rare" / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="rare-top">Top candidates</h2>' in own and '<h3 id="rare-top">Top candidates</h3>' in html
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert len(re.findall(r'\bid="([^"]+)"', html)) == len(set(re.findall(r'\bid="([^"]+)"', html)))


def test_risk_section_shows_inputs_with_their_origin_and_orders_what_ifs_by_horizon(demo: Path) -> None:
    html = (demo / "risk" / "report.html").read_text(encoding="utf-8")
    inputs = _section(html, 'id="risk-inputs"', "</table>")
    blood_pressure = _section(inputs, "Systolic blood pressure", "</tr>")
    assert "146 mm Hg" in blood_pressure and "FHIR Observation</strong>, 2026-10-02" in blood_pressure
    assert "FHIR Observation" in _section(inputs, "Current smoker", "</tr>")
    assert "person file" in _section(inputs, "HDL cholesterol", "</tr>")
    what_ifs = html[html.index('id="risk-what-ifs"'):html.index('id="risk-advice"')]
    assert what_ifs.index('id="risk-what-ifs-10"') < what_ifs.index('id="risk-what-ifs-30"')
    for horizon in ("10", "30"):
        group = _section(what_ifs, f'id="risk-what-ifs-{horizon}"', 'class="hb-row hb-axis"')
        reductions = [float(x) for x in re.findall(r"\(&minus;([0-9.]+) percentage points\)", group)]
        assert len(reductions) >= 2 and reductions == sorted(reductions, reverse=True)
    assert "&minus;0.0" not in html and "−0.0" not in html and "0.0 percentage points" not in html
    assert "No change in the estimate at this precision: weight to BMI 24.9" in html
    # both charts carry a labelled percentage axis
    assert html.count('class="hb-row hb-axis"') == 3 and "absolute risk over the horizon" in html
    document = json.loads((demo / "risk" / "risk.json").read_text())
    assert document["input_dates"]["systolic_bp_mmhg"] == "2026-10-02"


def test_rare_section_has_one_variant_table_per_gene(demo: Path) -> None:
    html = (demo / "rare" / "report.html").read_text(encoding="utf-8")
    result = json.loads((demo / "rare" / "result.json").read_text())
    fbn1 = [c for c in result["diseases"][:10] if any(v["gene"] == "FBN1" for v in c["variants"])]
    assert len(fbn1) >= 3  # several diseases of one gene share the variant ...
    assert html.count('id="rare-gene-FBN1"') == 1  # ... shown in one table
    variants = _section(html, 'id="rare-variants"', 'id="rare-genes"')
    assert variants.count("ENST00000316623.10:c.3037del") == 1
    cards = _section(html, 'id="rare-candidates"', 'id="rare-variants"')
    assert cards.count('href="#rare-gene-FBN1"') >= 3 and "<th scope=\"col\">Criteria</th>" not in cards
    # for/against in words as well as colour
    assert "&#9650;</span> for" in cards and "&#9660;</span> against" in cards


def _weasyprint() -> Any:
    """WeasyPrint, or skip with the reason (not installed, or its system libraries, Pango, missing)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot be used ({exc}); the pdf extra and Debian libpango-1.0-0 bring it")
    return weasyprint


def test_pdf_paginates_each_domain_from_a_new_page(demo: Path) -> None:
    weasyprint = _weasyprint()
    html = (demo / "report.html").read_text(encoding="utf-8")
    document = weasyprint.HTML(string=html, base_url=str(demo)).render()
    assert len(document.pages) > 5
    bookmarks = {label: target for label, target, _, _ in document.make_bookmark_tree()[0][2]}
    starts = {}
    for title in ("Pharmacogenomics", "Rare-disease diagnostics", "Precision oncology", "Risk and prevention"):
        page, _, y = bookmarks[title]
        assert y < 120, f"{title} does not start at the top of a page"
        starts[title] = page
    assert sorted(starts.values()) == list(starts.values()) and len(set(starts.values())) == 4


RISK_ONLY = {"id": "R1", "demographics": {"sex": "female", "age_years": 58}}


def test_analyze_pdf_writes_report_pdf(tmp_path: Path) -> None:
    _weasyprint()
    manifest = tmp_path / "patient.yaml"
    manifest.write_text(yaml.safe_dump({**RISK_ONLY, "risk_profile": str(DEMO / "risk-profile.yaml")}))
    result = CliRunner().invoke(app, ["analyze", str(manifest), "--out", str(tmp_path / "out"), "--pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert json.loads((tmp_path / "out" / "analysis.json").read_text())["report_pdf"] == "report.pdf"


def test_analyze_pdf_without_weasyprint_fails_first_and_writes_nothing(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import tailormed.report.pdf as pdf

    monkeypatch.setattr(pdf, "find_spec", lambda name: None)
    manifest = tmp_path / "patient.yaml"
    manifest.write_text(yaml.safe_dump({**RISK_ONLY, "risk_profile": str(DEMO / "risk-profile.yaml")}))
    result = CliRunner().invoke(app, ["analyze", str(manifest), "--out", str(tmp_path / "out"), "--pdf"])
    assert result.exit_code == 4
    assert "WeasyPrint" in result.output and "tailormed[pdf]" in result.output
    assert not (tmp_path / "out").exists()
