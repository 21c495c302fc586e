"""Concordance with PharmCAT on its own test VCFs and example reports.

Usage:
    python benchmarks/pgx_concordance.py [--pharmcat ../shared/data/pgx/pharmcat] [--kb pgx-core]

Three parts, each printed as a table of differences and a summary line:
  A. tests/haplotype/**.vcf whose expected diplotype is in the file name (e.g. cyp2c19/s1s17.vcf = *1/*17);
  B. examples/*.vcf against PharmCAT's own diplotypes (examples/*.match.json);
  C. examples/*.vcf drug recommendations against examples/*.report.json (CPIC guideline annotations).
Run it with --kb pgx-core (our curated pack) and with a pack imported from the same PharmCAT folder
(`tailormed kb import pharmcat DIR --dest PACK`) to separate matcher differences from knowledge differences.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from tailormed.errors import TailorMedError
from tailormed.io.outside_calls import read_outside_calls
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.pgx import GeneResult
from tailormed.pgx.recommend import recommend
from tailormed.pipelines.pgx import call_pgx

QUALIFIERS = re.compile(r"(rs\d+\w*|missing\w*|het\w*|hom\w*|only|more|call|unphased|phased|_t1|offdata)", re.I)


# --------------------------------------------------------------------------- expected diplotypes from names


def _unassessed(row) -> bool:  # type: ignore[no-untyped-def]
    """A summary row saying a gene was not tested or not callable (no guideline row applied)."""
    return row.status in ("no_result", "not_tested") and row.recommendation is None


def expected_from_name(gene: str, stem: str) -> list[tuple[str, str]] | None:
    """Expected diplotype(s) encoded in a PharmCAT test file name, or None when the name encodes none."""
    special = {
        ("VKORC1", "-1639A-1639A"): [("rs9923231:T", "rs9923231:T")],
        ("VKORC1", "-1639G-1639A"): [("REF", "rs9923231:T")],
        ("VKORC1", "-1639G-1639G"): [("REF", "REF")],
        ("IFNL3", "rs12979860CC"): [("REF", "REF")],
        ("IFNL3", "rs12979860CT"): [("REF", "rs12979860:T")],
        ("IFNL3", "rs12979860TT"): [("rs12979860:T", "rs12979860:T")],
        ("NUDT15", "refref"): [("REF", "REF")],
        ("NUDT15", "s2ref"): [("REF", "*2")],
        ("NUDT15", "s3ref"): [("REF", "*3")],
        ("DPYD", "novariant"): [("REF", "REF")],
        ("DPYD", "c1156het"): [("REF", "c.1156G>T")],
        ("DPYD", "c2846het"): [("REF", "c.2846A>T")],
        ("DPYD", "c1679c1156"): [("c.1679T>G", "c.1156G>T")],
        ("DPYD", "c557c703"): [("c.557A>G", "c.703C>T")],
        ("DPYD", "c1129-5923c2846"): [("c.1129-5923C>G", "c.2846A>T")],
        ("DPYD", "s1s2b"): [("REF", "c.1905+1G>A")],
        ("TPMT", "het3a"): [("*1", "*3A")],
    }
    if (gene, stem) in special:
        return special[(gene, stem)]
    core = stem.replace(f"{gene}_", "").replace(f"{gene.lower()}_", "")
    core = QUALIFIERS.sub("", core).replace("_", "")
    tokens = re.findall(r"s(\d+[a-z]?s?)(?=s|$)", core, flags=re.I)
    if "".join(f"s{t}" for t in tokens).lower() != core.lower() or len(tokens) not in (2, 4):
        return None

    def first_name(token: str) -> str:
        if token.endswith("s") and len(token) > 1 and token[-2].isdigit() and gene != "TPMT":
            return token.rstrip("s")
        return token

    pairs = [(f"*{first_name(tokens[i])}", f"*{tokens[i + 1]}") for i in range(0, len(tokens), 2)]
    return [(a.upper(), b.upper()) for a, b in pairs]


def _canonical(gene: str, allele: str, kb: KnowledgeBase) -> str:
    """Comparable name: REF for the reference allele, 'rsID:base' for single-SNP genes, c.HGVS for DPYD, else star."""
    definition = kb.genes.get(gene)
    if definition is not None and allele == definition.reference_allele:
        return "REF"
    if re.fullmatch(r"rs\d+:[ACGT]+|REF", allele):
        return allele
    low = allele.lower()
    if "reference" in low or low in ("ref", "b (reference)"):
        return "REF"
    hgvs = re.search(r"c\.[0-9+_*-]+[ACGT]*(?:>[ACGT]+|del[ACGT]*|dup[ACGT]*)", allele)
    if hgvs:
        return hgvs.group(0)
    rs = re.match(r"(rs\d+)\s*(?:variant\s*)?\(?([ACGT])\)?", allele)
    if rs:
        return f"{rs.group(1)}:{rs.group(2)}"
    if definition is not None:
        named = next((a for a in definition.alleles if a.name == allele), None)
        if named is not None and len(named.defining) == 1 and gene in ("VKORC1", "IFNL3", "ABCG2"):
            (vid, base), = named.defining.items()
            return f"{vid}:{base}"
    return allele.upper()


def _loose(name: str) -> str:
    """Sub-allele suffixes dropped: *4B -> *4, *45.001 -> *45."""
    return re.sub(r"^(\*\d+)(?:[A-Z]|\.\d+)$", r"\1", name)


def compare_diplotypes(gene: str, ours: list[tuple[str, ...]], expected: list[tuple[str, str]],
                       kb: KnowledgeBase) -> str:
    """'exact', 'tie' (expected among several tied calls), 'loose' (sub-allele naming) or 'differ'."""
    ours_c = [tuple(sorted(_canonical(gene, a, kb) for a in d)) for d in ours]
    exp_c = [tuple(sorted(_canonical(gene, a, kb) for a in d)) for d in expected]
    if ours_c and set(ours_c) == set(exp_c):
        return "exact"
    if any(e in ours_c for e in exp_c):
        return "tie"
    loose_ours = {tuple(sorted(_loose(a) for a in d)) for d in ours_c}
    if any(tuple(sorted(_loose(a) for a in e)) in loose_ours for e in exp_c):
        return "loose"
    return "differ"


# --------------------------------------------------------------------------- parts

def part_a(root: Path, kb: KnowledgeBase) -> tuple[dict[str, int], list[list[str]]]:
    counts = {"exact": 0, "tie": 0, "loose": 0, "differ": 0, "skipped": 0}
    rows = []
    for vcf in sorted((root / "tests" / "haplotype").glob("*/*.vcf")):
        gene = vcf.parent.name.upper()
        expected = expected_from_name(gene, vcf.stem)
        if expected is None or gene not in kb.genes:
            counts["skipped"] += 1
            continue
        try:
            _, results = call_pgx(vcf, kb, position_detail="none")
            result = results[0].get(gene)
            ours = [tuple(d.alleles) for d in result.diplotypes] if result else []
        except TailorMedError as exc:
            ours, result = [], None
            rows.append([f"{gene}/{vcf.name}", "/".join(expected[0]), f"error: {exc}", "differ"])
            counts["differ"] += 1
            continue
        verdict = compare_diplotypes(gene, ours, expected, kb)
        counts[verdict] += 1
        if verdict != "exact":
            rows.append([f"{gene}/{vcf.name}", " or ".join("/".join(e) for e in expected),
                         ", ".join("/".join(d) for d in ours) or "no call", verdict])
    return counts, rows


def _pharmcat_diplotypes(match_json: Path) -> dict[str, list[tuple[str, ...]]]:
    data = json.loads(match_json.read_text())
    out = {}
    for result in data["results"]:
        out[result["gene"]] = [tuple(d["name"].split("/")) for d in result["diplotypes"]]
    return out


def part_b(root: Path, kb: KnowledgeBase) -> tuple[dict[str, int], list[list[str]], dict[str, dict[str, GeneResult]]]:
    counts = {"exact": 0, "tie": 0, "loose": 0, "differ": 0, "not_in_kb": 0}
    rows: list[list[str]] = []
    calls_by_example: dict[str, dict[str, GeneResult]] = {}
    for match_json in sorted((root / "examples").glob("*.match.json")):
        stem = match_json.name.replace(".match.json", "")
        vcf = root / "examples" / f"{stem}.vcf"
        outside_path = root / "examples" / f"{stem}.outsideCall.tsv"
        outside = read_outside_calls(outside_path, set(kb.genes)) if outside_path.is_file() else []
        _, results = call_pgx(vcf, kb, outside_calls=outside, position_detail="none")
        calls_by_example[stem] = results[0]
        for gene, theirs in _pharmcat_diplotypes(match_json).items():
            if gene not in kb.genes:
                counts["not_in_kb"] += 1
                rows.append([stem, gene, ", ".join("/".join(d) for d in theirs), "(gene not in pack)", "not_in_kb"])
                continue
            result = results[0].get(gene)
            ours = [tuple(d.alleles) for d in result.diplotypes] if result else []
            expected = [(d[0], d[-1]) for d in theirs]
            verdict = compare_diplotypes(gene, ours, expected, kb) if theirs else ("exact" if not ours else "differ")
            counts[verdict] += 1
            if verdict != "exact":
                rows.append([stem, gene, ", ".join("/".join(d) for d in theirs) or "no call",
                             ", ".join("/".join(d) for d in ours) or "no call", verdict])
    return counts, rows, calls_by_example


VOCABULARY = {"ivacaftor non-responsive in cf patients": "ivacaftor non-responsive",
              "ivacaftor responsive in cf patients": "ivacaftor responsive",
              # CPIC's "No Result" key (a gene not tested) is pgx-core's "Not tested"
              "no result": "not tested"}


def _reason(drug: str, theirs: set[str], their_keys: dict[str, str], mine: set[str],
            my_keys: dict[str, set[str]], kb: KnowledgeBase) -> str:
    """Why a drug row differs, or 'agree' when it differs only in how the match is written."""
    common = set(their_keys) & set(my_keys)
    keys_agree = all(their_keys[g] in my_keys[g] for g in common)
    if theirs == mine and keys_agree:
        return "agree"
    by_key = {_drug_key(name): d for name, d in kb.drugs.items()}
    genes = by_key[_drug_key(drug)].genes if _drug_key(drug) in by_key else []
    if their_keys.get("CYP2D6") == "not tested" or ("CYP2D6" in genes and not their_keys and "CYP2D6" in my_keys):
        return ("documented: PharmCAT calls CYP2D6 only from an outside call; "
                "TailorMed calls it from the VCF (provisional: structural variation not assessed)")
    if drug == "warfarin":
        return "documented: PharmCAT reports CPIC's warfarin flowchart without a classification"
    if "IFNL3" in genes and theirs == {"No recommendation"}:
        return "open: PharmCAT 2025 gives no CPIC row for IFNL3 drugs; pgx-core follows the 2013 guideline"
    return "differ"


def part_c(root: Path, kb: KnowledgeBase,
           calls: dict[str, dict[str, GeneResult]]) -> tuple[dict[str, int], list[list[str]]]:
    counts: dict[str, int] = {"agree": 0, "documented": 0, "open": 0, "differ": 0, "drug_not_in_kb": 0}
    rows: list[list[str]] = []
    for stem, results in calls.items():
        report = json.loads((root / "examples" / f"{stem}.report.json").read_text())
        ours = recommend(kb, dict(results))
        by_drug: dict[str, list] = {}
        for row in ours:
            if row.guideline_body == "CPIC":  # DPWG rows are compared with CPIC's in the pack, not with PharmCAT's CPIC
                by_drug.setdefault(_drug_key(row.drug), []).append(row)
        for drug, info in sorted(report["drugs"].get("CPIC Guideline Annotation", {}).items()):
            annotations = [a for g in info.get("guidelines", []) for a in g.get("annotations", [])]
            key = _drug_key(drug)
            if key not in by_drug:
                counts["drug_not_in_kb"] += 1
                rows.append([stem, drug, "; ".join(a.get("classification", "") for a in annotations),
                             "(drug not in pack)", "drug_not_in_kb"])
                continue
            theirs = {(a.get("classification") or "No recommendation") for a in annotations} or {"No recommendation"}
            mine = {(r.strength or "No recommendation") for r in by_drug[key] if not _unassessed(r)}
            mine = mine or {"No recommendation"}
            their_keys = {g: VOCABULARY.get(_key(v), _key(v)) for a in annotations
                          for lk in a.get("lookupKey", []) for g, v in lk.items()}
            my_keys: dict[str, set[str]] = {}
            for r in by_drug[key]:
                for b in r.basis:
                    if _unassessed(r):
                        continue
                    values = my_keys.setdefault(b.gene, set())
                    values.add(_key(b.matched_on))
                    if b.activity_score is not None:
                        values.add(_key(str(b.activity_score)))
            verdict = _reason(drug, theirs, their_keys, mine, my_keys, kb)
            bucket = verdict.split(":")[0]
            counts[bucket] += 1
            if bucket != "agree":
                their_text = ", ".join(f"{g}={v}" for g, v in sorted(their_keys.items()))
                my_text = ", ".join(f"{g}={sorted(v)[0]}" for g, v in sorted(my_keys.items()))
                rows.append([stem, drug, f"{'; '.join(sorted(theirs))} [{their_text}]",
                             f"{'; '.join(sorted(mine))} [{my_text}]", verdict])
    return counts, rows


def _drug_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _key(value: str) -> str:
    """Lookup keys compared without case and with scores as numbers (2.0 == 2)."""
    value = value.replace("activity score ", "")
    try:
        return f"{float(value):g}"
    except ValueError:
        return value.lower()


def _table(header: list[str], rows: list[list[str]]) -> None:
    if not rows:
        print("(no differences)")
        return
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_pharmcat = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pgx" / "pharmcat"
    parser.add_argument("--pharmcat", type=Path, default=default_pharmcat)
    parser.add_argument("--kb", default="pgx-core", help="pack name or folder")
    args = parser.parse_args()
    if not args.pharmcat.is_dir():
        print(f"PharmCAT data not found at {args.pharmcat}", file=sys.stderr)
        return 2
    kb = load_knowledge_base(args.kb)
    print(f"# PharmCAT concordance with {kb.version_label}\n")
    counts, rows = part_a(args.pharmcat, kb)
    print("## A. Named test VCFs (expected diplotype in the file name)\n")
    _table(["file", "expected", "TailorMed", "verdict"], rows)
    compared = counts["exact"] + counts["tie"] + counts["loose"] + counts["differ"]
    print(f"\nA: {compared} compared: exact {counts['exact']}, expected among tied calls {counts['tie']}, "
          f"sub-allele naming only {counts['loose']}, differ {counts['differ']}; skipped (no diplotype in name or gene "
          f"not in pack) {counts['skipped']}\n")
    counts_b, rows_b, calls = part_b(args.pharmcat, kb)
    print("## B. Example VCFs: diplotypes vs PharmCAT match.json\n")
    _table(["example", "gene", "PharmCAT", "TailorMed", "verdict"], rows_b)
    print(f"\nB: {sum(counts_b.values())} gene calls: " + ", ".join(f"{k} {v}" for k, v in counts_b.items()) + "\n")
    counts_c, rows_c = part_c(args.pharmcat, kb, calls)
    print("## C. Example VCFs: CPIC recommendations vs PharmCAT report.json\n")
    _table(["example", "drug", "PharmCAT classification [lookup]", "TailorMed strength [basis]", "verdict"], rows_c)
    print(f"\nC: {sum(counts_c.values())} drugs: " + ", ".join(f"{k} {v}" for k, v in counts_c.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
