"""Polygenic-score variant matching: TailorMed's matcher against the PGS Catalog's own (pgscatalog.match).

Usage:
    .venv/bin/python benchmarks/prs_pgsc_match.py [--pgsc-venv /tmp/pgsc-venv]
        [--data ../shared/data/risk/pgsc-examples] [--target-build GRCh37] [--workdir DIR] [--show N]

pgscatalog.match is the matcher pgsc_calc runs. Install it in a venv of its own (the project's venv stays
untouched):

    python3 -m venv /tmp/pgsc-venv && /tmp/pgsc-venv/bin/pip install pgscatalog-match

The benchmark skips (exit 0, saying why) when the example data or the pgscatalog tools are absent.

What is compared. Every scoring file of the examples' scorefiles/ that has a variant on the target's chromosomes
is matched against the chr22 example target twice, as a .pgen/.pvar and as a .bed/.bim (pgscatalog-match reads
.pvar and .bim only; pgsc_calc converts a VCF with plink2 first, so the .vcf.gz is not compared):

* ours: ``tailormed risk prs --scores FILE --genotypes TARGET --out DIR --override-overlap`` with the default
  rules (ambiguous and multi-allelic sites excluded, min overlap 0.75; ``--override-overlap`` only makes the CLI
  write its report for a score below the threshold, the ``passes`` column still says whether it passed), read
  from DIR/match_report.json. Per-row statuses come from ``tailormed.risk.matching.match_variants`` (the CLI's
  function) on the same inputs.
* theirs: ``pgscatalog-format -s FILE -t BUILD -o DIR`` (the renamed ``pgscatalog-combine``) then
  ``pgscatalog-match --dataset bench --scorefiles NORMALISED --target TARGET.pvar|.bim --min_overlap 0.75
  --outdir OUT`` with its default rules (``--keep_ambiguous``, ``--keep_multiallelic``, ``--keep_first_match``,
  ``--ignore_strand_flips`` not given), read from OUT/bench_summary.csv (counts) and OUT/bench_log.csv.gz
  (one line per match candidate; the best candidate of each scoring row gives its outcome).
  pgscatalog-format requires ``#pgs_id``, ``#trait_reported`` and ``#genome_build`` header lines. When a file
  lacks only the first two, it is retried on a copy in the work directory with ``#pgs_id=<#pgs_name or file
  name>`` and ``#trait_reported=unknown`` added (variant rows unchanged); the table marks such rows with
  "header+". Files it still refuses are listed with its error. When every score of a file is below min_overlap,
  pgscatalog-match stops (ZeroMatchesError) before writing its logs; it is then rerun with --min_overlap 0 for the
  counts and the scores are marked as not passing.

Per score: total rows, matched rows, rows excluded as ambiguous / multi-allelic / duplicate (a row with several
reasons counts once, under the first of these, as ours does), unmatched rows (pgscatalog does not distinguish
"position absent" from "alleles do not fit": ours ``unmatched_alleles`` + ``not_in_target``), and whether the
score passes min_overlap. A score is *equal* on a target when all of these agree and every scoring row has the
same outcome in both (same status; for matched rows the same target variant ID, the same effect-allele letter and
the same strand-flip flag). Match-type names are compared separately ("types" column): on a .bim, pgscatalog
reads column 5 (A1) as REF while we read A2 as REF (plink2's convention), so refalt/altref swap there without any
change in the allele counted. A score counts as equal in the last line when it is equal on every target.
Differing rows are listed with the cause when it is a known one (rsID-only rows, which only we match by ID;
lower-case alleles, which only we upper-case; pgscatalog's duplicate check skipping rows with a tied best match).

Exit status: 0 when every score is equal (or the benchmark was skipped), 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REASONS = ("ambiguous", "multiallelic", "duplicate")
TARGETS = {"pgen": ".pvar", "bed": ".bim"}  # our genotype file -> the variant file pgscatalog-match reads
DATASET = "bench"
MIN_OVERLAP = 0.75


@dataclass
class Outcome:
    """One tool's view of one score on one target."""

    score_id: str
    total: int = 0
    matched: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # ambiguous, multiallelic, duplicate, unmatched, other
    passes: bool | None = None
    types: dict[str, int] = field(default_factory=dict)  # matched rows per match type
    rows: dict[int, tuple[str, ...]] = field(default_factory=dict)  # row index -> outcome tuple
    keys: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # row -> (chrom, pos, EFFECT) to align rows
    effect_as_read: dict[int, str] = field(default_factory=dict)  # row -> effect allele as the tool read it
    tied: set[int] = field(default_factory=set)  # rows whose best match was a tie between target rows (pgscatalog)


# ------------------------------------------------------------------------------------------------ setup

def parse_args() -> argparse.Namespace:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pgsc-venv", type=Path, default=Path("/tmp/pgsc-venv"),
                        help="venv holding pgscatalog-match (default: /tmp/pgsc-venv)")
    parser.add_argument("--data", type=Path, default=here.parent / "shared" / "data" / "risk" / "pgsc-examples",
                        help="pgsc_calc's example folder (scorefiles/, target_genomes/)")
    parser.add_argument("--target-build", choices=("GRCh37", "GRCh38"), default="GRCh37",
                        help="the target's genome build, given to pgscatalog-format (pgsc_calc's examples: GRCh37)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the files here (default: a temp dir)")
    parser.add_argument("--show", type=int, default=10, help="differing rows listed per score (default 10)")
    return parser.parse_args()


def find_pgsc_tools(venv: Path) -> tuple[dict[str, Path], str] | str:
    """The pgscatalog executables and their versions, or the reason they cannot be used."""
    bin_dir = venv / "bin"
    tools = {"format": bin_dir / "pgscatalog-format", "match": bin_dir / "pgscatalog-match"}
    if not tools["format"].exists() and (bin_dir / "pgscatalog-combine").exists():
        tools["format"] = bin_dir / "pgscatalog-combine"  # older releases: same program, old name
    missing = [str(path) for path in tools.values() if not path.exists()]
    if missing:
        return (f"pgscatalog tools not found ({', '.join(missing)}); install them with: python3 -m venv {venv} && "
                f"{bin_dir / 'pip'} install pgscatalog-match")
    code = ("import importlib.metadata as m\nfor p in ('pgscatalog.match', 'pgscatalog.core', 'polars'):\n"
            "    print(p + ' ' + m.version(p))")
    done = subprocess.run([str(bin_dir / "python"), "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        return f"cannot query the pgscatalog versions in {venv}: {done.stderr.strip()[-300:]}"
    return tools, ", ".join(done.stdout.split("\n")[:3]).strip(", ")


def example_files(data: Path) -> tuple[list[Path], Path] | str:
    """The example scoring files and the target's path prefix, or why they are missing."""
    prefix = data / "target_genomes" / "cineca_synthetic_subset"
    needed = [data / "scorefiles"] + [prefix.with_suffix(s) for s in (".pgen", ".pvar", ".psam", ".bed", ".bim",
                                                                       ".fam")]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        return f"example data not found: {', '.join(missing)}"
    return sorted(p for p in (data / "scorefiles").iterdir() if p.is_file()), prefix


def tailormed_cli() -> Path | str:
    """The tailormed console script beside this interpreter, or why it is unusable."""
    try:
        import tailormed  # noqa: F401
    except ImportError:
        return f"tailormed is not importable from {sys.executable}: run this with the project's venv"
    cli = Path(sys.executable).parent / "tailormed"
    return cli if cli.exists() else f"the tailormed command is not installed beside {sys.executable}"


# ------------------------------------------------------------------------------------------------ ours

def type_names() -> list[str]:
    from tailormed.risk.matching import MATCH_TYPES
    return list(MATCH_TYPES)


def our_reason(status: str) -> str:
    """Our row status -> the comparison's category."""
    if status in ("matched", "matched_flip"):
        return "matched"
    if status in ("unmatched_alleles", "not_in_target"):
        return "unmatched"
    return status.removeprefix("excluded_")


def run_ours(cli: Path, scorefile: Path, genotypes: Path, out: Path) -> tuple[list[dict[str, Any]], float]:
    """Run `tailormed risk prs` and return its match_report.json entries and the wall time."""
    command = [str(cli), "risk", "prs", "--scores", str(scorefile), "--genotypes", str(genotypes),
               "--out", str(out), "--min-overlap", str(MIN_OVERLAP), "--override-overlap", "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"tailormed failed: {(done.stderr or done.stdout).strip()[-400:]}")
    return json.loads((out / "match_report.json").read_text()), seconds


def our_outcomes(scorefile: Path, genotypes: Path, report: list[dict[str, Any]]) -> dict[str, Outcome]:
    """Per score: counts from the CLI's report, per-row outcomes from the library's match_variants."""
    import numpy as np

    from tailormed.io.genotypes import open_target
    from tailormed.io.scoring_file import read_scoring_file
    from tailormed.risk.matching import has_other_allele, match_variants

    scoring = read_scoring_file(scorefile)
    with open_target(genotypes) as target:
        variants = target.variants
        match = match_variants(scoring, variants, min_overlap=MIN_OVERLAP)
    names = type_names()
    has_oa = has_other_allele(scoring)
    weights = np.asarray(scoring.weights)
    outcomes: dict[str, Outcome] = {}
    for k, entry in enumerate(report):
        outcome = Outcome(score_id=entry["score_id"], total=entry["total"], matched=entry["matched"],
                          passes=bool(entry["passes"]))
        outcome.reasons = {reason: entry[f"status_excluded_{reason}"] for reason in REASONS}
        outcome.reasons["unmatched"] = entry["status_unmatched_alleles"] + entry["status_not_in_target"]
        outcome.types = {name: entry[f"type_{name}"] for name in names if entry[f"type_{name}"]}
        members = range(scoring.n_variants) if weights.shape[1] == 1 else np.flatnonzero(weights[:, k] != 0)
        for i in members:
            status = str(match.status[i])
            position = str(scoring.pos[i]) if scoring.pos[i] > 0 else ""
            outcome.keys[int(i)] = (str(scoring.chrom[i]), position, str(scoring.effect_allele[i]))
            if our_reason(status) != "matched":
                outcome.rows[int(i)] = (our_reason(status),)
                continue
            t = int(match.target_index[i])
            alt = bool(match.effect_is_alt[i])
            flipped = bool(match.strand_flipped[i])
            kind = names[(0 if has_oa[i] else 4) + int(alt) + 2 * int(flipped)]
            allele = str(variants.alt[t] if alt else variants.ref[t])
            outcome.rows[int(i)] = ("matched", str(variants.variant_id[t]), allele, str(flipped).lower(), kind)
        outcomes[entry["score_id"]] = outcome
    return outcomes


# ------------------------------------------------------------------------------------------------ theirs

def tool_error(text: str) -> str:
    """A one-line summary of a pgscatalog traceback: the exception line and any missing pydantic fields."""
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b.*", line)]
    missing = [lines[i - 1].strip() for i in range(1, len(lines)) if lines[i].strip().startswith("Field required")]
    if errors:
        name, sep, rest = errors[-1].partition(":")
        message = name.rsplit(".", 1)[-1] + sep + rest  # drop the exception's module path
    else:
        message = lines[-1] if lines else "no output"
    return message + (f" (missing header fields: {', '.join(missing)})" if missing else "")


def read_text(path: Path) -> str:
    """A scoring file's text, plain or gzip (recognised from its first bytes)."""
    raw = path.read_bytes()
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()


def header_fields(text: str) -> dict[str, str]:
    """The `#key=value` header lines of a scoring file's text."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition("=")
        if sep:
            fields[key] = value
    return fields


def with_identity_header(path: Path, work: Path) -> Path | None:
    """A copy with #pgs_id / #trait_reported added, when those are all the file lacks for pgscatalog-format."""
    text = read_text(path)
    fields = header_fields(text)
    if "genome_build" not in fields or ("pgs_id" in fields and "trait_reported" in fields):
        return None
    added = []
    if "pgs_id" not in fields:
        added.append(f"#pgs_id={fields.get('pgs_name') or path.stem}\n")
    if "trait_reported" not in fields:
        added.append("#trait_reported=unknown\n")
    copy = work / "header_added" / path.name.removesuffix(".gz")
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text("".join(added) + text)
    return copy


def pgsc_format(tools: dict[str, Path], scorefile: Path, build: str, work: Path) -> tuple[Path, bool] | str:
    """Normalise one scoring file with pgscatalog-format; (normalised file, header added?) or its error."""
    attempts = [(scorefile, False)]
    error = ""
    while attempts:
        source, added = attempts.pop(0)
        out = work / ("format_header_added" if added else "format")
        out.mkdir(parents=True, exist_ok=True)
        command = [str(tools["format"]), "-s", str(source), "-t", build, "-o", str(out), "-l", "format_log.json"]
        done = subprocess.run(command, capture_output=True, text=True)
        produced = sorted(out.glob("normalised_*"))
        if done.returncode == 0 and produced:
            return produced[0], added
        error = error or tool_error(done.stderr + done.stdout)
        copy = None if added else with_identity_header(scorefile, work)
        if copy is not None:
            attempts.append((copy, True))
    return error


def run_theirs(tools: dict[str, Path], normalised: Path, variants: Path, out: Path) -> tuple[Path, float, str]:
    """Run pgscatalog-match with its default rules: (output folder, wall time, note).

    When every score is below min_overlap, pgscatalog-match stops (ZeroMatchesError) before writing its logs; it is
    then rerun with --min_overlap 0 for the counts, and the note says so (the scores are marked as failing).
    """
    def once(min_overlap: float, folder: Path) -> tuple[subprocess.CompletedProcess[str], float]:
        folder.mkdir(parents=True, exist_ok=True)
        command = [str(tools["match"]), "--dataset", DATASET, "--scorefiles", str(normalised), "--target",
                   str(variants), "--min_overlap", str(min_overlap), "--outdir", str(folder)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        return done, time.perf_counter() - start

    done, seconds = once(MIN_OVERLAP, out)
    if (out / f"{DATASET}_summary.csv").exists():
        return out, seconds, ""
    error = tool_error(done.stderr + done.stdout)
    if "fail to meet match threshold" not in error:
        raise RuntimeError(f"pgscatalog-match wrote no summary: {error}")
    done, more = once(0.0, out / "min_overlap_0")
    if not (out / "min_overlap_0" / f"{DATASET}_summary.csv").exists():
        raise RuntimeError(f"pgscatalog-match wrote no summary: {tool_error(done.stderr + done.stdout)}")
    return out / "min_overlap_0", seconds + more, error


def their_reason(row: dict[str, str]) -> str:
    """pgscatalog's match_status and flags -> the comparison's category (same precedence as ours).

    Valid for the default rules used here: with --keep_multiallelic, an excluded multi-allelic row would be a
    duplicate, not a multi-allelic exclusion.
    """
    status = row["match_status"]
    if status in ("matched", "unmatched"):
        return status
    if row["ambiguous"] == "true":
        return "ambiguous"
    if row["is_multiallelic"] == "true":
        return "multiallelic"
    if row["duplicate_ID"] == "true":
        return "duplicate"
    return "other"


def their_outcomes(out: Path) -> dict[str, Outcome]:
    """Per accession: counts from the summary CSV, per-row outcomes from the best candidates in the log."""
    outcomes: dict[str, Outcome] = {}
    with (out / f"{DATASET}_summary.csv").open() as handle:
        for row in csv.DictReader(handle):
            outcome = outcomes.setdefault(row["accession"], Outcome(score_id=row["accession"]))
            count = int(row["count"])
            outcome.total += count
            reason = their_reason(row)
            if reason == "matched":
                outcome.matched += count
            else:
                outcome.reasons[reason] = outcome.reasons.get(reason, 0) + count
            outcome.passes = row["score_pass"] == "true"
    with gzip.open(out / f"{DATASET}_log.csv.gz", "rt") as handle:
        for row in csv.DictReader(handle):
            if row["match_status"] not in ("matched", "excluded", "unmatched"):
                continue  # not_best candidates
            outcome = outcomes[row["accession"]]
            index = int(row["row_nr"])
            outcome.keys[index] = (row["chr_name"], row["chr_position"], row["effect_allele"].upper())
            outcome.effect_as_read[index] = row["effect_allele"]
            if row["duplicate_best_match"] == "true":
                outcome.tied.add(index)
            reason = their_reason(row)
            if reason != "matched":
                outcome.rows[index] = (reason,)
                continue
            outcome.rows[index] = ("matched", row["ID"], row["matched_effect_allele"], row["match_flipped"],
                                   row["match_type"])
            outcome.types[row["match_type"]] = outcome.types.get(row["match_type"], 0) + 1
    return outcomes


# ------------------------------------------------------------------------------------------------ compare

@dataclass
class Comparison:
    """One score on one target: both outcomes and what differs."""

    scorefile: str
    target: str
    ours: Outcome
    theirs: Outcome
    note: str = ""
    counts_equal: bool = False
    differing_rows: list[int] = field(default_factory=list)
    misaligned: bool = False
    types: str = ""

    @property
    def equal(self) -> bool:
        return self.counts_equal and not self.differing_rows and not self.misaligned


def swapped(types: dict[str, int]) -> dict[str, int]:
    """Match-type counts with REF and ALT exchanged (refalt <-> altref, no_oa_ref <-> no_oa_alt, flips alike)."""
    exchange = {"refalt": "altref", "altref": "refalt", "ref": "alt", "alt": "ref"}
    return {"_".join(exchange.get(part, part) for part in name.split("_")): count for name, count in types.items()}


def compare(scorefile: str, target: str, ours: Outcome, theirs: Outcome, note: str) -> Comparison:
    """Counts, pass flags, per-row outcomes (type names aside) and type-name agreement."""
    result = Comparison(scorefile, target, ours, theirs, note)
    keys = set(REASONS) | {"unmatched", "other"}
    result.counts_equal = (ours.total == theirs.total and ours.matched == theirs.matched
                           and ours.passes == theirs.passes
                           and all(ours.reasons.get(k, 0) == theirs.reasons.get(k, 0) for k in keys))
    aligned = [i for i in ours.rows if theirs.keys.get(i) == ours.keys[i]]
    result.misaligned = len(aligned) != len(ours.rows) or len(theirs.rows) != len(ours.rows)
    result.differing_rows = [i for i in aligned if ours.rows[i][:4] != theirs.rows[i][:4]]
    if ours.types == theirs.types:
        result.types = "same"
    elif target.endswith(".bim") and swapped(ours.types) == theirs.types:
        result.types = "ref/alt swapped"
    else:
        result.types = "differ"
    return result


# ------------------------------------------------------------------------------------------------ report

def pair(ours: int | bool | None, theirs: int | bool | None) -> str:
    return f"{ours}/{theirs}" if ours == theirs else f"{ours}/{theirs} *"


def print_table(comparisons: list[Comparison]) -> None:
    """One line per score and target: ours/theirs per column (a '*' marks a difference)."""
    header = ["scoring file", "score_id", "target", "ours m/t", "theirs m/t", "ambig o/t", "multi o/t", "dup o/t",
              "unmatched o/t", "passes o/t", "rows diff", "types", "equal"]
    lines = [header]
    for c in comparisons:
        o, t = c.ours, c.theirs
        lines.append([c.scorefile + c.note, o.score_id, c.target, f"{o.matched}/{o.total}", f"{t.matched}/{t.total}",
                      *(pair(o.reasons[k], t.reasons.get(k, 0)) for k in (*REASONS, "unmatched")),
                      pair(o.passes, t.passes), "misaligned" if c.misaligned else str(len(c.differing_rows)),
                      c.types, "yes" if c.equal else "no"])
    widths = [max(len(line[k]) for line in lines) for k in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) if k < 3 else cell.rjust(w)
                        for k, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))


def explain(c: Comparison, i: int) -> str:
    """The cause of a differing row, when it is one of the known ones (else '')."""
    ours, theirs = c.ours.rows[i], c.theirs.rows[i]
    if ours[0] == "matched" and theirs[0] == "unmatched":
        if not c.ours.keys[i][1]:
            return ("the row has no position: we match it on the target's variant ID (docs/prs-matching.md rule 8), "
                    "pgscatalog matches on position only")
        as_read = c.theirs.effect_as_read.get(i, "")
        if as_read != as_read.upper():
            return f"pgscatalog keeps the lower-case allele {as_read!r} and finds no allele match; we upper-case it"
    if ours[0] == "duplicate" and theirs[0] == "matched":
        sharing = [j for j, row in c.theirs.rows.items() if j != i and row[:2] == ("matched", theirs[1])]
        tied = sorted(c.theirs.tied & {i, *sharing})
        if sharing and tied and len(tied) < len(sharing) + 1:
            return (f"pgscatalog also matched row(s) {', '.join(map(str, sharing))} to {theirs[1]} without flagging "
                    f"duplicate_ID: row(s) {', '.join(map(str, tied))} had a tied best match (duplicate_best_match) "
                    "and its _label_duplicate_id groups by (accession, ID, best_match, duplicate_best_match), so "
                    "tied and untied rows are never grouped; we exclude every row sharing a target row (rule 6)")
        if sharing:
            return f"pgscatalog also matched row(s) {', '.join(map(str, sharing))} to {theirs[1]} (no duplicate_ID)"
    return ""


def print_details(comparisons: list[Comparison], show: int) -> None:
    """For each difference: the rows concerned, and the type counts where their names differ."""
    for c in comparisons:
        if c.types != "same":
            print(f"\n{c.scorefile} on {c.target}: matched rows per type, ours {c.ours.types}, "
                  f"pgscatalog {c.theirs.types}")
            if c.types == "ref/alt swapped":
                print("  pgscatalog reads .bim column 5 (A1) as REF, we (like plink2) read column 6 (A2) as REF: the "
                      "names refalt/altref swap; the effect allele counted is compared per row (rows diff).")
        if c.theirs.reasons.get("other"):
            print(f"\n{c.scorefile} on {c.target}: {c.theirs.reasons['other']} rows excluded by pgscatalog for "
                  f"another reason (flip filter or ID filter)")
        if c.misaligned:
            print(f"\n{c.scorefile} on {c.target}: rows could not be aligned by index (ours {len(c.ours.rows)}, "
                  f"pgscatalog {len(c.theirs.rows)} rows; chrom/position/effect allele differ at some index)")
        if not c.differing_rows:
            continue
        print(f"\n{c.scorefile} on {c.target}: {len(c.differing_rows)} rows differ "
              f"(row: chrom:pos effect | ours | pgscatalog)")
        for i in c.differing_rows[:show]:
            chrom, pos, effect = c.ours.keys[i]
            print(f"  {i}: {chrom}:{pos} {effect} | {' '.join(c.ours.rows[i])} | {' '.join(c.theirs.rows[i])}")
            reason = explain(c, i)
            if reason:
                print(f"      why: {reason}")
        if len(c.differing_rows) > show:
            print(f"  ... and {len(c.differing_rows) - show} more")


def agreement(comparisons: list[Comparison]) -> tuple[int, int]:
    """(scores equal on every target, scores compared)."""
    by_score: dict[tuple[str, str], bool] = {}
    for c in comparisons:
        key = (c.scorefile, c.ours.score_id)
        by_score[key] = by_score.get(key, True) and c.equal
    return sum(by_score.values()), len(by_score)


# ------------------------------------------------------------------------------------------------ main

def on_target_chromosomes(scorefile: Path, chromosomes: set[str]) -> bool | str:
    """Whether the file has a row on one of the target's chromosomes, or why our reader refuses it."""
    from tailormed.errors import InputError
    from tailormed.io.scoring_file import read_scoring_file

    try:
        scoring = read_scoring_file(scorefile)
    except InputError as exc:
        return f"our reader refuses it: {exc}"
    return bool(set(scoring.chrom.tolist()) & chromosomes)


def compare_file(scorefile: Path, prefix: Path, build: str, tools: dict[str, Path], cli: Path, work: Path,
                 timings: dict[str, float]) -> list[Comparison] | str:
    """Both matchers on one scoring file and both target formats; comparisons, or why it was not compared."""
    formatted = pgsc_format(tools, scorefile, build, work)
    if isinstance(formatted, str):
        return f"pgscatalog-format refuses it: {formatted}"
    normalised, header_added = formatted
    comparisons = []
    for fmt, suffix in TARGETS.items():
        genotypes = prefix.with_suffix(f".{fmt}")
        try:
            report, seconds = run_ours(cli, scorefile, genotypes, work / f"ours_{fmt}")
        except RuntimeError as exc:
            return str(exc)
        timings["ours"] += seconds
        ours = our_outcomes(scorefile, genotypes, report)
        try:
            out, seconds, failed = run_theirs(tools, normalised, prefix.with_suffix(suffix), work / f"theirs_{fmt}")
        except RuntimeError as exc:
            return str(exc)
        timings["pgscatalog"] += seconds
        theirs = their_outcomes(out)
        for outcome in theirs.values() if failed else ():
            outcome.passes = False  # pgscatalog-match refused them all (rerun at min_overlap 0 for the counts)
        for score_id, outcome in ours.items():
            accession = score_id if score_id in theirs else (next(iter(theirs)) if len(ours) == len(theirs) == 1
                                                             else None)
            if accession is None:
                return f"score {score_id} not in pgscatalog's output ({', '.join(theirs)})"
            comparisons.append(compare(scorefile.name, prefix.with_suffix(suffix).name, outcome, theirs[accession],
                                       " (header+)" if header_added else ""))
    return comparisons


def main() -> int:
    args = parse_args()
    found = example_files(args.data)
    if isinstance(found, str):
        print(f"skipped: {found}")
        return 0
    tools = find_pgsc_tools(args.pgsc_venv)
    if isinstance(tools, str):
        print(f"skipped: {tools}")
        return 0
    cli = tailormed_cli()
    if isinstance(cli, str):
        print(f"skipped: {cli}")
        return 0
    scorefiles, prefix = found
    executables, versions = tools
    print(f"pgscatalog: {versions} ({args.pgsc_venv})")
    print(f"ours: {cli} (python {sys.version.split()[0]})")
    print(f"target: {prefix}.pvar / .bim ({args.target_build}); default rules on both sides (ambiguous and "
          f"multi-allelic excluded, min overlap {MIN_OVERLAP})\n")
    from tailormed.io.genotypes import open_target

    with open_target(prefix.with_suffix(".pgen")) as target:
        chromosomes = set(target.variants.chrom.tolist())
    comparisons: list[Comparison] = []
    skipped: list[str] = []
    timings = {"ours": 0.0, "pgscatalog": 0.0}
    with tempfile.TemporaryDirectory(prefix="prs_pgsc_match_") as temp:
        work = args.workdir or Path(temp)
        for scorefile in scorefiles:
            overlap = on_target_chromosomes(scorefile, chromosomes)
            if overlap is not True:
                reason = overlap if isinstance(overlap, str) else (
                    f"no variant on the target's chromosomes ({', '.join(sorted(chromosomes))})")
                skipped.append(f"{scorefile.name}: {reason}")
                continue
            result = compare_file(scorefile, prefix, args.target_build, executables, cli, work / scorefile.name,
                                  timings)
            if isinstance(result, str):
                skipped.append(f"{scorefile.name}: {result}")
            else:
                comparisons.extend(result)
    print_table(comparisons)
    print_details(comparisons, args.show)
    if skipped:
        print("\nnot compared:")
        for line in skipped:
            print(f"  {line}")
    print(f"\nwall time for all runs: ours {timings['ours']:.1f} s (CLI, includes scoring), "
          f"pgscatalog-match {timings['pgscatalog']:.1f} s")
    equal = sum(c.equal for c in comparisons)
    print(f"(score, target) comparisons equal: {equal} of {len(comparisons)}")
    k, n = agreement(comparisons)
    print(f"pgsc_match_agreement: {k} of {n} scores equal")
    return 0 if k == n else 1


if __name__ == "__main__":
    sys.exit(main())
