"""Drift of pgx-core's gene knowledge from PharmCAT's current definitions and CPIC's function assignments.

Usage:
    python benchmarks/pgx_kb_drift.py [--pharmcat ../shared/data/pgx/pharmcat] [--kb pgx-core] [--details]

For every gene of the pack, compares allele names, defining positions and bases with PharmCAT's
definition/alleles/<GENE>_translation.json (its SOURCE file names the release) and each allele's function and
activity value with CPIC's assignment in PharmCAT's phenotype/<GENE>.json, then sorts every difference into
'deliberate' or 'gap' (documented, with reasons, in the pack's pharmcat-differences.yaml) or 'drift' (to fix).
Columns: alleles ours/theirs; same = named alike and defined alike; renamed = same definition, other name;
redefined = same name, other definition; function = function label or activity value differs; only ours / only
theirs = alleles one side names; deliberate / gap / drift = differences by status. Exit status 1 when there is
undocumented drift or a deliberate entry no longer applies.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from tailormed.kb.importers.pharmcat_drift import load_differences, pharmcat_drift, stale_entries
from tailormed.kb.pack import find_pack, load_knowledge_base


def main() -> int:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pharmcat", type=Path, default=here / ".." / "shared" / "data" / "pgx" / "pharmcat")
    parser.add_argument("--kb", default="pgx-core")
    parser.add_argument("--details", action="store_true", help="list every drift and documented difference")
    args = parser.parse_args()
    if not (args.pharmcat / "definition" / "alleles").is_dir():
        print(f"PharmCAT data not found: {args.pharmcat}", file=sys.stderr)
        return 2
    kb = load_knowledge_base(args.kb)
    documented = load_differences(find_pack(args.kb))
    source = (args.pharmcat / "SOURCE").read_text().strip() if (args.pharmcat / "SOURCE").is_file() else "?"
    results = pharmcat_drift(kb.genes, args.pharmcat, documented)
    print(f"pack: {kb.version_label}; PharmCAT: {source}")
    if documented is not None:
        print(f"documented differences last checked against: {documented.checked_against}")
    header = ["gene", "PharmCAT data", "alleles ours/theirs", "same", "renamed", "redefined", "function",
              "only ours", "only theirs", "deliberate", "gap", "drift"]
    rows = []
    totals: Counter[str] = Counter()
    for g in results:
        kinds = Counter(d.kind for d in g.found)
        statuses = Counter(entry.status for _, entry in g.documented if _.kind != "site_only_in_theirs")
        redefined = kinds["allele_definition"]
        renamed = kinds["allele_name"]
        only_ours = kinds["allele_only_in_ours"]
        same = g.ours - only_ours - renamed - redefined - int(kinds["gene_only_in_ours"] > 0) * g.ours
        row = [g.gene, g.source_version or "(none)", f"{g.ours}/{g.theirs}", str(max(same, 0)), str(renamed),
               str(redefined), str(kinds["allele_function"] + kinds["activity_value"]), str(only_ours),
               str(kinds["allele_only_in_theirs"]), str(statuses["deliberate"]), str(statuses["gap"]),
               str(len(g.drift))]
        rows.append(row)
        totals.update({"genes": 1, "drift": len(g.drift), "deliberate": statuses["deliberate"],
                       "gap": statuses["gap"], "same": max(same, 0), "ours": g.ours})
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"\n{totals['genes']} genes; {totals['same']} of {totals['ours']} pgx-core alleles named and defined as "
          f"PharmCAT does; documented: {totals['deliberate']} deliberate, {totals['gap']} gap; "
          f"undocumented drift: {totals['drift']}")
    stale = stale_entries(documented, results) if documented else []
    for entry in stale:
        print(f"no longer differs ({entry.status}; correct pharmcat-differences.yaml): {entry.gene} {entry.kind} "
              f"{entry.items}")
    if args.details:
        for g in results:
            for d in g.drift:
                print(f"DRIFT {d.gene} {d.kind} {d.item}: ours {d.ours!r} / PharmCAT {d.theirs!r}")
            for d, entry in g.documented:
                if d.kind != "site_only_in_theirs" and entry.items != "*":
                    print(f"{entry.status} {d.gene} {d.kind} {d.item}: ours {d.ours!r} / PharmCAT {d.theirs!r}")
    return 1 if totals["drift"] or any(e.status == "deliberate" for e in stale) else 0


if __name__ == "__main__":
    sys.exit(main())
