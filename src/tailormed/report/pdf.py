"""PDF from the same HTML as the page (WeasyPrint, the optional ``pdf`` extra; Debian's fonts and Pango).

The page's print stylesheet does the layout: A4, collapsed entries expanded, each domain section from a new page,
rows and cards kept whole, table headers repeated, "page N of M" in the footer.
"""

from __future__ import annotations

import logging
from importlib.util import find_spec
from pathlib import Path

from tailormed.errors import OutputError

PDF_EXTRA_HINT = ("install the optional extra: pip install 'tailormed[pdf]' (WeasyPrint; it needs Pango, e.g. Debian "
                  "libpango-1.0-0)")


def check_pdf_available() -> None:
    """Raise :class:`OutputError` unless WeasyPrint can be imported (checked before any work is done)."""
    if find_spec("weasyprint") is None:
        raise OutputError(f"--pdf needs WeasyPrint, which is not installed; {PDF_EXTRA_HINT}")
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # the Python package is there, its system libraries (Pango) are not
        raise OutputError(f"--pdf: WeasyPrint cannot load its libraries ({exc}); {PDF_EXTRA_HINT}") from None


def html_to_pdf(html: str, base: Path) -> bytes:
    """The PDF of one page; ``base`` is the folder relative links and images resolve against."""
    check_pdf_available()
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=str(base))
    result: bytes = document.write_pdf()
    return result
