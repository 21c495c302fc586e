"""The pharmacogenomic page reads in one screen: the medication list and what to do first, then "genes called X/Y"
with the genes that were not, then the other drugs that change care; usual-care drugs collapsed; the evidence
below. Accessible: headings in order, AA contrast, words (not colour) for status, a print stylesheet that expands
the collapsed parts, one self-contained file."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import shared_path

from tailormed.io.outside_calls import read_outside_calls
from tailormed.io.patient import load_patient
from tailormed.model.common import Provenance
from tailormed.model.pgx import PgxResult
from tailormed.pgx.engine import build_result
from tailormed.pipelines.pgx import call_pgx
from tailormed.report.html import STATUS_ICONS, STATUS_LABELS, gene_call_summary, render_pgx_html

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient" / "patient.yaml"
PGX_FILES = ("pgx", "1kgp-grch38")


def _provenance(**inputs: str) -> Provenance:
    return Provenance(software="tailormed", software_version="test", knowledge=["pgx-core"], inputs=inputs,
                      created="2026-01-01T00:00:00Z")


def demo_result(kb) -> PgxResult:
    """The demo patient's document, made as ``tailormed analyze`` makes it."""
    patient = load_patient(DEMO)
    assert patient.germline is not None and patient.outside_calls is not None
    calls = read_outside_calls(patient.outside_calls, set(kb.genes))
    _, per_sample = call_pgx(patient.germline.vcf, kb, samples=[patient.germline.sample_id], outside_calls=calls)
    return build_result(kb, patient.id, dict(per_sample[0]), _provenance(), patient.medications)


def cohort_result(kb, files: list[Path], sample: str = "HG00096") -> PgxResult:
    _, per_sample = call_pgx(files, kb, samples=[sample], missing_as_reference=True)
    return build_result(kb, sample, dict(per_sample[0]), _provenance())


class _Outline(HTMLParser):
    """Headings in document order, element ids, and the ids hidden inside a closed <details>."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.ids: list[str] = []
        self.details_stack: list[bool] = []
        self.collapsed_ids: set[str] = set()
        self.scripts = 0
        self.external: list[str] = []
        self._heading: int | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading, self._text = int(tag[1]), []
        if a.get("id"):
            self.ids.append(a["id"] or "")
            if self.details_stack and not all(self.details_stack):
                self.collapsed_ids.add(a["id"] or "")
        if tag == "details":
            self.details_stack.append("open" in a)
        if tag == "script":
            self.scripts += 1
        if (tag == "link" and a.get("rel") == "stylesheet") or (tag in ("img", "script", "iframe") and a.get("src")):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.details_stack.pop()
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._text.append(data)


def _outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


def _first_screen_order(html: str) -> list[int]:
    return [html.index(f'id="{anchor}"') for anchor in ("pgx-h-meds", "pgx-h-genes-called", "pgx-h-actionable",
                                                        "pgx-h-usual", "pgx-h-details")]


def test_demo_first_screen_is_medications_then_genes_called_then_other_drugs(kb):
    result = demo_result(kb)
    html = render_pgx_html(result)
    positions = _first_screen_order(html)
    assert positions == sorted(positions)
    outline = _outline(html)
    assert [text for level, text in outline.headings if level == 2][:3] == [
        "The patient's medications: what to do", "Genes called: 22/22",
        "Other drugs where the genotype changes usual care (39)"]
    medications = html[positions[0]:positions[1]]
    for drug in ("abacavir", "clopidogrel", "codeine", "paroxetine", "simvastatin"):
        assert f'id="drug-{drug}"' in medications
    # the phenoconversion notes stay visible next to the advice they change
    assert "Phenoconversion (CYP2D6):" in medications
    assert "Phenotype adjusted for medications:</strong> paroxetine, a strong CYP2D6 inhibitor" in medications
    codeine = medications[medications.index('id="drug-codeine"'):]
    assert "Change from usual care" in codeine[:codeine.index("</tr>")]
    # other actionable drugs after the genes line, none of the medication list among them
    actionable = html[positions[2]:positions[3]]
    assert 'id="drug-tramadol"' in actionable and 'id="drug-codeine"' not in actionable
    # voriconazole: CPIC keeps the usual dose for this CYP2C19 intermediate metabolizer, DPWG asks for concentration
    # monitoring; a guideline that changes care puts the drug here, with both rows shown (metoprolol likewise: DPWG
    # limits the dose of this CYP2D6 intermediate metabolizer when a gradual heart-rate fall is wanted)
    voriconazole = actionable[actionable.index('id="drug-voriconazole"') + 1:]
    voriconazole = voriconazole[:voriconazole.find('id="drug-')]
    assert '<span class="gl-body">DPWG</span> <strong>differs from CPIC:</strong>' in voriconazole
    assert '<span class="gl-body">CPIC</span>' in voriconazole


def test_usual_care_drugs_are_collapsed_and_named(kb):
    result = demo_result(kb)
    html = render_pgx_html(result)
    outline = _outline(html)
    usual = sorted({d.drug for d in result.drugs if d.status == "standard" and not d.in_medication_list
                    and all(r.status == "standard" for r in result.drugs if r.drug == d.drug)})
    assert len(usual) == 42  # 44 before DPWG's voriconazole and metoprolol rows moved them among the actionable drugs
    for drug in usual:
        anchor = "drug-" + re.sub(r"[^a-z0-9]+", "-", drug).strip("-")
        assert anchor in outline.ids, drug
        assert anchor not in outline.collapsed_ids  # the anchor is the <details> itself, so its name stays visible
    section = html[html.index('id="pgx-h-usual"'):html.index('id="pgx-h-details"')]
    # usual care, then the two without a recommendation (venlafaxine left them: DPWG advises against it for this
    # CYP2D6 intermediate metabolizer, where CPIC makes no recommendation)
    assert section.count("<details id=") == 42 + 2
    assert "<details open" not in section
    # what shows before anything is opened
    outside = re.sub(r"<li><details id=.*?</details></li>", "", section, flags=re.S)
    for row in result.drugs:
        if row.drug in usual and row.recommendation:
            assert row.recommendation not in outside and row.recommendation in section, row.drug


def test_genes_called_counts_and_names_the_rest(kb):
    summary = gene_call_summary(demo_result(kb).genes)
    assert (summary.text, summary.not_tested, summary.not_called) == ("Genes called: 22/22", [], [])


@pytest.mark.validation
def test_cohort_sample_with_one_gene_file(kb):
    """HG00096 from the CYP2C19 file alone: one gene called, the other 21 named as not tested on the first screen."""
    result = cohort_result(kb, [shared_path(*PGX_FILES, "CYP2C19.vcf.gz")])
    html = render_pgx_html(result)
    summary = gene_call_summary(result.genes)
    assert summary.text == "Genes called: 1/22" and summary.called == ["CYP2C19"] and len(summary.not_tested) == 21
    genes_line = html[html.index('id="pgx-h-genes-called"'):html.index('id="pgx-h-actionable"')]
    assert "Genes called: 1/22" in genes_line
    assert "Not tested (21): ABCG2, CACNA1S, CFTR, CYP2B6, CYP2C9, CYP2D6" in genes_line
    assert "No medication list was given" in html
    assert "Drugs that could not be assessed (80)" in html
    assert "HLA-B not tested:" in html and "abacavir</span> <span class=\"nt\">(test before prescribing)" in html


@pytest.mark.validation
def test_cohort_sample_with_every_gene_file(kb):
    files = sorted(shared_path(*PGX_FILES).glob("*.vcf.gz"))
    summary = gene_call_summary(cohort_result(kb, files).genes)
    assert summary.text == "Genes called: 17/22"
    assert summary.not_tested == ["DPYD", "HLA-A", "HLA-B", "IFNL3", "MT-RNR1"]


def test_headings_in_order_status_in_words_and_self_contained(kb):
    html = render_pgx_html(demo_result(kb))
    outline = _outline(html)
    levels = [level for level, _ in outline.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), outline.headings
    assert outline.scripts == 0 and outline.external == []
    for status in ("actionable", "standard", "no_recommendation"):
        assert (f'<span class="status s-{status}"><span class="i" aria-hidden="true">{STATUS_ICONS[status]}</span> '
                f"{STATUS_LABELS[status]}</span>") in html
    assert len(set(STATUS_ICONS.values())) == len(STATUS_ICONS)


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(fg: str, bg: str) -> float:
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _long_hex(colour: str) -> str:
    return colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])


def test_every_text_colour_meets_aa_contrast_on_every_background(kb):
    """WCAG AA (4.5:1 for normal text), checked for every text colour against every light background the
    stylesheet uses (not only the pairs that happen to meet), and for every rule that sets both its text colour
    and a dark background (a badge with white text). Dark fills that hold no text (chart bars) are not text
    backgrounds; tests/report/test_report_browser.py checks the rendered pairs with axe-core as well."""
    html = render_pgx_html(demo_result(kb))
    css = html[html.index("<style>"):html.index("</style>")]
    text = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css))
    backgrounds = set(re.findall(r"background:\s*(#[0-9a-fA-F]{6})", css)) | {"#ffffff"}
    light = {bg for bg in backgrounds if _luminance(bg) > 0.5}
    assert len(text) >= 5 and len(light) >= 5
    for fg in text:
        for bg in light:
            assert _contrast(fg, bg) >= 4.5, (fg, bg)
    for rule in re.findall(r"\{([^{}]*)\}", css):
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b", rule)
        bg = re.search(r"background:\s*(#[0-9a-fA-F]{6})", rule)
        if fg and bg and _luminance(bg.group(1)) <= 0.5:
            assert _contrast(_long_hex(fg.group(1)), bg.group(1)) >= 4.5, rule


def test_print_stylesheet_expands_collapsed_parts(kb):
    html = render_pgx_html(demo_result(kb))
    css = html[html.index("<style>"):html.index("</style>")]
    print_css = css[css.index("@media print"):]
    assert re.search(r"details::details-content\s*\{[^}]*content-visibility:\s*visible", print_css)
