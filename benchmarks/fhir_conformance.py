"""FHIR conformance figures (Genomics Reporting IG STU3 3.0.0, FHIR R4):

1. every resource exported for the demo patient (`tailormed analyze` of examples/demo-patient) and for a few
   1000 Genomes samples (PGx, ../shared/data/pgx/1kgp-grch38, --missing-as-ref) passes the IG check;
2. the checker reports 0 errors on the IG's own examples that declare a profile;
3. it catches every case of the mutation suite (benchmarks/fhir_mutations.py);
4. the IG's PGx example bundles import (lab genotypes as outside calls) and re-export: the genotypes come back
   unchanged; what the re-export does not carry is listed.

Needs `make fhir-data` (and `make hpo-data` for the demo's rare-disease section). Prints Markdown tables.

    .venv/bin/python benchmarks/fhir_conformance.py [--samples 5] [--analysis DEMO_OUTPUT_DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from fhir_mutations import MUTATIONS, load_example, mutated  # noqa: E402

from tailormed.ehr.fhir_check import CheckReport, FhirChecker  # noqa: E402
from tailormed.ehr.fhir_export import DOCUMENTS, analysis_bundle  # noqa: E402

IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
SHARED = REPO.parent / "shared" / "data" / "pgx" / "1kgp-grch38"
PGX_EXAMPLES = ("Bundle-bundle-pgxexample.json", "Bundle-bundle-CYP2C19.json")


def _profiles(bundle: dict[str, Any]) -> Counter[str]:
    found: Counter[str] = Counter()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        profiles = [p.rsplit("/", 1)[-1] for p in resource.get("meta", {}).get("profile", [])]
        found[profiles[0] if profiles else resource["resourceType"]] += 1
    return found


def _row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def demo_documents(analysis: Path | None) -> dict[str, Any]:
    if analysis is None:
        from tailormed.pipelines.analyze import run_analyze

        analysis = Path(tempfile.mkdtemp()) / "demo"
        run_analyze(REPO / "examples" / "demo-patient" / "patient.yaml", analysis)
    return {n: json.loads((analysis / n).read_text()) for n in DOCUMENTS if (analysis / n).exists()}


def exported_figures(checker: FhirChecker, analysis: Path | None, samples: int) -> None:
    print("## Exported resources against the IG\n")
    _row("export", "resources", "by profile", "errors", "warnings", "check s")
    _row("---", "---", "---", "---", "---", "---")
    bundle = analysis_bundle(demo_documents(analysis))
    _report_bundle("demo patient (analyze: pgx, rare, onco, risk)", bundle, checker)
    if not SHARED.is_dir():
        print(f"\n1000 Genomes samples skipped: {SHARED} not present")
        return
    from tailormed.io.vcf import VcfFile
    from tailormed.kb.pack import load_knowledge_base
    from tailormed.pgx.engine import build_result
    from tailormed.pipelines.pgx import MISSING_AS_REF_ASSUMPTION, call_pgx, pgx_provenance

    kb = load_knowledge_base("pgx-core")
    vcfs = sorted(SHARED.glob("*.vcf.gz"))
    with VcfFile(vcfs[0]) as handle:
        everyone = list(handle.all_samples)
    step = max(1, len(everyone) // samples)
    chosen = everyone[::step][:samples]
    ids, per_sample = call_pgx(vcfs, kb, samples=chosen, missing_as_reference=True)
    for sample, genes in zip(ids, per_sample, strict=True):
        result = build_result(kb, sample, dict(genes), pgx_provenance(kb, {"vcf": "1kgp-grch38/*.vcf.gz"},
                                                                      [MISSING_AS_REF_ASSUMPTION]))
        bundle = analysis_bundle({"analysis.json": {"patient": sample}, "pgx.json": result.model_dump(mode="json")})
        _report_bundle(f"1000 Genomes {sample} (pgx)", bundle, checker)


def _report_bundle(name: str, bundle: dict[str, Any], checker: FhirChecker) -> CheckReport:
    start = time.perf_counter()
    report = checker.check(bundle)
    elapsed = time.perf_counter() - start
    profiles = ", ".join(f"{k} {v}" for k, v in sorted(_profiles(bundle).items()))
    _row(name, len(bundle["entry"]), profiles, len(report.errors), len(report.warnings), f"{elapsed:.2f}")
    for issue in report.errors[:5]:
        print(f"    {issue}")
    return report


def example_figures(checker: FhirChecker) -> None:
    examples = checker.definitions.ig_examples
    assert examples is not None
    files = errors = declaring = 0
    failing = []
    not_checked: set[str] = set()
    for path in sorted(examples.glob("*.json")):
        document = json.loads(path.read_text())
        files += 1
        declared = document.get("meta", {}).get("profile") or any(
            e.get("resource", {}).get("meta", {}).get("profile") for e in document.get("entry", [])
            if isinstance(e, dict))
        if not declared:
            continue
        declaring += 1
        report = checker.check(document)
        not_checked |= report.not_checked
        if report.errors:
            errors += len(report.errors)
            failing.append(f"{path.name}: {report.errors[0]}")
    print("\n## The IG's own examples\n")
    _row("examples in the package", "declaring a profile", "errors", "files with errors")
    _row("---", "---", "---", "---")
    _row(files, declaring, errors, len(failing))
    for line in failing[:10]:
        print(f"    {line}")
    print("\nNot checked (the packages cannot enumerate these value sets): " + ", ".join(sorted(not_checked)))


def mutation_figures(checker: FhirChecker) -> None:
    examples = checker.definitions.ig_examples
    assert examples is not None
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed = []
    for mutation in MUTATIONS:
        total[mutation.rule] += 1
        errors = [str(i) for i in checker.check(mutated(examples, mutation)).errors]
        if any(mutation.expect in e for e in errors):
            caught[mutation.rule] += 1
        else:
            missed.append(mutation.name)
    print("\n## Mutation suite (one rule broken per case; caught = an error naming that fault)\n")
    _row("rule", "cases", "caught")
    _row("---", "---", "---")
    for rule in sorted(total):
        _row(rule, total[rule], caught[rule])
    _row("**all**", sum(total.values()), sum(caught.values()))
    for name in missed:
        print(f"    missed: {name}")


def round_trip_figures(checker: FhirChecker) -> None:
    from tailormed.errors import InputError
    from tailormed.pipelines.fhir import pgx_bundle_from_fhir

    examples = checker.definitions.ig_examples
    assert examples is not None
    print("\n## The IG's PGx example bundles: import, re-analyse, re-export\n")
    _row("bundle", "genotypes in", "genotypes out", "same", "re-export errors", "not carried over")
    _row("---", "---", "---", "---", "---", "---")
    for name in PGX_EXAMPLES:
        source = load_example(examples, name)
        before = _genotypes(source)
        try:
            bundle = pgx_bundle_from_fhir(examples / name)
        except InputError as exc:
            lost = ", ".join(f"{k} {v}" for k, v in sorted(_profiles(source).items()))
            _row(name, len(before), 0, "-", "-", f"nothing to re-analyse ({exc.message}); in the bundle: {lost}")
            continue
        after = _genotypes(bundle)
        report = checker.check(bundle)
        kept = set(_profiles(bundle))
        lost = ", ".join(f"{k} {v}" for k, v in sorted(_profiles(source).items()) if k not in kept)
        _row(name, len(before), len(after), "yes" if before == after else f"no: {before} vs {after}",
             len(report.errors), lost)


def _genotypes(bundle: dict[str, Any]) -> set[tuple[str, str]]:
    from tailormed.io.fhir_patient import patient_from_fhir

    record = patient_from_fhir(bundle, source="bundle")
    return {(g.gene, g.diplotype or "") for g in record.genotypes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=5, help="1000 Genomes samples to export (default 5)")
    parser.add_argument("--analysis", type=Path, help="an existing `analyze` output of the demo patient")
    args = parser.parse_args()
    checker = FhirChecker()
    exported_figures(checker, args.analysis, args.samples)
    example_figures(checker)
    mutation_figures(checker)
    round_trip_figures(checker)


if __name__ == "__main__":
    main()
