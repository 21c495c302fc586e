"""The reports in a real browser: headless Debian Chromium driven by Playwright (no browser download).

For each report (integrated, PGx, rare, risk, oncology) of the demo patient and of a 1000 Genomes sample: no
console errors, no horizontal overflow at 1280 px and 390 px, the summary's top in the first screen, every
internal link resolving (fragments on the page; relative links to a file that exists and holds the fragment),
axe-core's accessibility rules (contrast AA, heading order, ...) without a serious or critical violation, and a
screenshot of the first screen at each width written under the test's temporary folder for review.

Skipped, with the reason, when Chromium or the Playwright package is not installed (``.ci/run`` installs Debian's
chromium; ``pip install -e '.[test]'`` brings Playwright).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from browser_cases import (
    DEMO,
    REPORT_KINDS,
    SUMMARY_SELECTORS,
    chromium,
    chromium_executable,
    kgp_manifest,
)

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
CASES = ("demo", "1kgp")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pytest.importorskip("playwright.sync_api", reason="the Playwright package is not installed (pip install "
                                                      "-e '.[test]')")
    if chromium_executable() is None:
        pytest.skip("Chromium is not installed (Debian package chromium; .ci/run installs it with apt)")
    with chromium() as context:
        yield context


@pytest.fixture(scope="module")
def analyses(tmp_path_factory: pytest.TempPathFactory, hpo_knowledge: Any) -> dict[str, Path]:
    from tailormed.pipelines.analyze import run_analyze

    found = {}
    demo = tmp_path_factory.mktemp("demo") / "out"
    run_analyze(DEMO, demo)
    found["demo"] = demo
    manifest = kgp_manifest(tmp_path_factory.mktemp("1kgp-inputs"))
    if manifest is not None:
        out = tmp_path_factory.mktemp("1kgp") / "out"
        run_analyze(manifest, out)
        found["1kgp"] = out
    return found


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def _internal_links(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"))


def _check_links(path: Path, hrefs: list[str], ids: set[str]) -> list[str]:
    """The links that do not resolve: a fragment missing on the page, a relative file missing or lacking the
    fragment. External (http, https, mailto) links are not followed (the network is closed)."""
    broken = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            continue
        if not parts.path:
            if unquote(parts.fragment) not in ids:
                broken.append(href)
            continue
        target = (path.parent / unquote(parts.path)).resolve()
        missing_fragment = target.is_file() and parts.fragment and target.suffix == ".html" and unquote(
            parts.fragment) not in _ids(target.read_text(encoding="utf-8"))
        if not target.is_file() or missing_fragment:
            broken.append(href)
    return broken


@pytest.mark.parametrize("kind", list(REPORT_KINDS))
@pytest.mark.parametrize("case", CASES)
def test_report_in_the_browser(browser: Any, analyses: dict[str, Path], case: str, kind: str,
                               tmp_path: Path) -> None:
    if case not in analyses:
        pytest.skip("the 1000 Genomes sample needs ../shared/data (pgx/1kgp-grch38, rare/phenopackets-dev, "
                    "onco/example-inputs)")
    path = analyses[case] / REPORT_KINDS[kind]
    html = path.read_text(encoding="utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        for name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(path.as_uri())
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{kind} page of {case} is {overflow} px wider than the {width} px window"
            top = page.eval_on_selector(SUMMARY_SELECTORS[kind], "e => e.getBoundingClientRect().top")
            assert 0 <= top < height - 40, f"the summary of the {kind} page starts at {top} px, below the first " \
                                           f"screen ({height} px) at {width} px"
            shot = tmp_path / f"{case}-{kind}-{name}.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 1000
        broken = _check_links(path, _internal_links(page), _ids(html))
        assert not broken, f"links that do not resolve: {broken[:10]}"
        assert not errors, f"console errors: {errors[:5]}"
    finally:
        page.close()


SERIOUS = ("serious", "critical")


@pytest.mark.parametrize("kind", list(REPORT_KINDS))
def test_report_accessibility(browser: Any, analyses: dict[str, Path], kind: str) -> None:
    """axe-core on the demo's pages: no serious or critical violation (colour contrast AA, heading order, names
    of images and links, document language, ...)."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="axe-playwright-python is not installed (pip install -e '.[test]')")
    page = browser.new_page()
    try:
        page.goto((analyses["demo"] / REPORT_KINDS[kind]).as_uri())
        results = axe_module.Axe().run(page)
        violations = [v for v in results.response["violations"]
                      if v.get("impact") in SERIOUS or v["id"] in ("heading-order", "color-contrast")]
        assert not violations, "\n".join(f"{v['id']} ({v.get('impact')}): {v['help']}: "
                                         f"{[n['target'] for n in v['nodes'][:3]]}" for v in violations)
    finally:
        page.close()


def test_print_layout_expands_collapsed_entries(browser: Any, analyses: dict[str, Path]) -> None:
    """Printed (the PDF too), the integrated page shows every collapsed drug's advice, except the usual-care drugs,
    listed by name (their advice is on the PGx page, which prints it all), and hides the navigation."""
    page = browser.new_page()
    try:
        for name, usual_care_by_name in (("report.html", True), ("pgx.html", False)):
            page.goto((analyses["demo"] / name).as_uri())
            page.emulate_media(media="print")
            heights = page.evaluate("""() => [...document.querySelectorAll('.compact > li > details > .detail-rows')]
                .map(d => [!!d.closest('.usual-care > .compact:first-of-type'), d.getBoundingClientRect().height])""")
            usual = [h for in_usual, h in heights if in_usual]
            others = [h for in_usual, h in heights if not in_usual]
            # 42 usual-care drugs (44 before DPWG's voriconazole and metoprolol rows moved those two among the
            # actionable drugs, tests/report/test_pgx_html.py)
            assert len(usual) == 42 and len(others) > 10
            assert all(h > 0 for h in others)
            assert all(h == 0 for h in usual) if usual_care_by_name else all(h > 0 for h in usual)
        page.goto((analyses["demo"] / "report.html").as_uri())
        page.emulate_media(media="print")
        assert page.evaluate("() => getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    finally:
        page.close()
