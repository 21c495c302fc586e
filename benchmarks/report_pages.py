"""The demo patient's report pages in headless Chromium: page heights at 1280 and 390 px, before and after; the
browser checks' count; the PDF page count.

    .venv/bin/python benchmarks/report_pages.py [--before GIT_REF] [--no-suite] [--no-pdf]

- Page heights: ``tailormed analyze`` of the demo patient (this checkout, and with ``--before`` the source of
  REF taken with ``git archive``), each HTML page opened in Debian's Chromium (Playwright, fresh profile) at
  1280x900 and 390x844; the document's scroll height in CSS pixels.
- Browser checks: runs ``tests/report/test_report_browser.py`` and counts its tests and the checks they make
  (per report and case: console errors, overflow at two widths, summary in the first screen at two widths,
  internal links, two screenshots; per demo page: axe-core; the print layout).
- PDF: the page count of the demo's integrated report rendered by WeasyPrint (as ``analyze --pdf`` does).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-patient" / "patient.yaml"
sys.path.insert(0, str(ROOT / "tests" / "report"))

from browser_cases import chromium  # noqa: E402

WIDTHS = ((1280, 900), (390, 844))
PAGES = {"integrated report.html": "report.html", "PGx": "pgx.html", "rare disease": "rare/report.html",
         "risk": "risk/report.html", "oncology": "onco/report.html"}
BEFORE_PAGES = {"PGx": "report.html", "rare disease": "rare/report.html", "risk": "risk/report.html",
                "oncology": "onco/report.html"}


def analyze(src: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src), "TAILORMED_HPO": str(ROOT / ".data" / "hpo")}
    code = "import sys; from tailormed.cli import app; sys.argv = ['tailormed'] + sys.argv[1:]; app()"
    subprocess.run([sys.executable, "-c", code, "analyze", str(DEMO), "--out", str(out), "-q"], env=env,
                   check=True, cwd=ROOT)


def source_of(ref: str, folder: Path) -> Path:
    """The ``src`` folder of a git ref, unpacked into ``folder``."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref, "src"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def heights(folder: Path, pages: dict[str, str]) -> dict[str, dict[int, int]]:
    found: dict[str, dict[int, int]] = {}
    with chromium() as context:
        page = context.new_page()
        for name, relative in pages.items():
            path = folder / relative
            if not path.is_file():
                continue
            for width, height in WIDTHS:
                page.set_viewport_size({"width": width, "height": height})
                page.goto(path.as_uri())
                found.setdefault(name, {})[width] = int(page.evaluate("document.documentElement.scrollHeight"))
    return found


def browser_suite() -> str:
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/report/test_report_browser.py", "-q",
                             "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "TAILORMED_HPO": str(ROOT / ".data" / "hpo")})
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]


def pdf_pages(html: Path) -> int:
    import weasyprint

    return len(weasyprint.HTML(filename=str(html), base_url=str(html.parent)).render().pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="git ref whose demo pages to measure too (e.g. main)")
    parser.add_argument("--no-suite", action="store_true", help="do not run the browser tests")
    parser.add_argument("--no-pdf", action="store_true", help="do not render the PDF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        now_out = Path(tmp) / "now"
        analyze(ROOT / "src", now_out)
        now = heights(now_out, PAGES)
        before: dict[str, dict[int, int]] = {}
        if args.before:
            analyze(source_of(args.before, Path(tmp) / "before-src"), Path(tmp) / "before")
            before = heights(Path(tmp) / "before", BEFORE_PAGES)
        print("| page | before 1280 px | now 1280 px | before 390 px | now 390 px |")
        print("| --- | --- | --- | --- | --- |")
        for name in PAGES:
            b, n = before.get(name, {}), now.get(name, {})
            print(f"| {name} | {b.get(1280, '')} | {n.get(1280, '')} | {b.get(390, '')} | {n.get(390, '')} |")
        if not args.no_pdf:
            print(f"PDF pages (demo, integrated report): {pdf_pages(now_out / 'report.html')}")
            if args.before:
                print(f"PDF pages (demo, before: its report.html, the PGx page): "
                      f"{pdf_pages(Path(tmp) / 'before' / 'report.html')}")
    if not args.no_suite:
        summary = browser_suite()
        print(f"browser tests (tests/report/test_report_browser.py): {summary}")
        print("checks: per report x case (5 x 2) 8 each (console errors, overflow at 1280 and 390 px, summary in the "
              "first screen at both, internal links, 2 screenshots); axe-core on the 5 demo pages; print layout")


if __name__ == "__main__":
    main()
