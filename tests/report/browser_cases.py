"""The reports the browser checks open: ``tailormed analyze`` of the demo patient and of a 1000 Genomes sample
(its 20 pharmacogene files cut to one sample, a phenopacket-store case, the demo risk profile and an
OncoKB-annotator example tumour), and the headless Chromium they are opened in.

Also used by ``benchmarks/report_pages.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-patient" / "patient.yaml"
SHARED = ROOT.parent / "shared" / "data"
KGP_SAMPLE = "HG00096"
KGP_PHENOPACKET = SHARED / "rare" / "phenopackets-dev" / "NF1" / "PMID_17160901_family_A_individual_1.json"
REPORT_KINDS = {"integrated": "report.html", "pgx": "pgx.html", "rare": "rare/report.html",
                "risk": "risk/report.html", "onco": "onco/report.html"}
SUMMARY_SELECTORS = {"integrated": "#now", "pgx": "#pgx-h-meds", "rare": "#rare-top", "risk": "#risk-estimates",
                     "onco": "#onco-summary"}
"""What a clinician must see without scrolling on each page: the element whose top is in the first screen."""

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
"""As root Chromium needs --no-sandbox; the rest keep it from calling out (the closed network refuses it)."""


def chromium_executable() -> str | None:
    """Debian's Chromium (``TAILORMED_CHROMIUM`` to choose another build); None when there is none."""
    for candidate in (os.environ.get("TAILORMED_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium context (Playwright driving the system browser, a fresh profile folder)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    if executable is None:
        raise RuntimeError("no Chromium found (Debian package chromium, or TAILORMED_CHROMIUM)")
    profile = tempfile.mkdtemp(prefix="tailormed-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": width, "height": height})
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def one_sample_vcf(folder: Path, sample: str, out: Path) -> Path:
    """The sample's genotypes from every gene file of ``folder`` as one small VCF (variant sites only, as the
    cohort files are; analyse it with missing_as_reference)."""
    from cyvcf2 import VCF

    records: list[str] = []
    contigs: dict[str, str] = {}
    for path in sorted(folder.glob("*.vcf.gz")):
        vcf = VCF(str(path), samples=[sample], lazy=True)
        for line in vcf.raw_header.splitlines():
            if line.startswith("##contig=<ID="):
                contigs.setdefault(line.split("ID=", 1)[1].split(",", 1)[0].rstrip(">"), line)
        for v in vcf:
            *alleles, phased = v.genotypes[0]
            gt = ("|" if phased else "/").join("." if a < 0 else str(a) for a in alleles)
            records.append("\t".join([v.CHROM, str(v.POS), v.ID or ".", v.REF, ",".join(v.ALT) or ".", ".", "PASS",
                                      ".", "GT", gt]))
        vcf.close()
    lines = ["##fileformat=VCFv4.2", *contigs.values(),
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample])]
    out.write_text("\n".join(lines + records) + "\n", encoding="utf-8")
    return out


def kgp_manifest(folder: Path) -> Path | None:
    """A manifest for the 1000 Genomes sample, or None when ../shared is absent."""
    genes = SHARED / "pgx" / "1kgp-grch38"
    tumour = SHARED / "onco" / "example-inputs" / "example_maf_grch38.txt"
    if not (genes.is_dir() and KGP_PHENOPACKET.is_file() and tumour.is_file()):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    vcf = one_sample_vcf(genes, KGP_SAMPLE, folder / f"{KGP_SAMPLE}.vcf")
    demo = DEMO.parent
    risk = yaml.safe_load((demo / "risk-profile.yaml").read_text(encoding="utf-8"))
    risk.update({"sex": "male", "age": 52, "fhir_bundle": str(demo / "observations.json")})
    (folder / "risk-profile.yaml").write_text(yaml.safe_dump(risk), encoding="utf-8")
    manifest = {
        "id": KGP_SAMPLE, "demographics": {"sex": "male", "age_years": 52},
        "germline": {"vcf": str(vcf), "sample_id": KGP_SAMPLE}, "missing_as_reference": True,
        "medications": ["warfarin", "clopidogrel", "simvastatin", "omeprazole", "tamoxifen"],
        "phenopacket": str(KGP_PHENOPACKET),
        "risk_profile": str(folder / "risk-profile.yaml"),
        "tumour_type": "LUAD", "tumour_sample": "TCGA-05-4417-01",
        "tumour_files": {"maf": str(tumour), "trials": str(demo.parent / "trials" / "demo-trials.yaml")},
    }
    path = folder / "patient.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return path
