"""Figures for the core layering: import graph health, demo outputs against an earlier commit, hostile corpus.

    .venv/bin/python benchmarks/core_architecture.py [--before GIT_REF [--after GIT_REF]] [--suite]

Prints a table of:

- the import graph of ``tailormed`` (grimp): modules, import edges, package-level cycles and imports that go
  up the declared layer order (both should be 0), and whether ``lint-imports`` keeps every contract;
- with ``--before REF``: ``tailormed analyze`` of the demo patient run by this checkout and by REF (the
  earlier code run from a temporary ``git worktree`` with this venv's dependencies), file by file, with
  timestamps masked (``created`` / ``finished`` stamps); the marker file ``.tailormed-output.json`` is new
  and listed apart;
- the hostile-input corpus under ``tests/hostile/``: data files, tests, and tracebacks seen (must be 0);
- with ``--suite``: the wall time of the whole test suite (``pytest -q``), for the note; tests never time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-patient" / "patient.yaml"
LAYERS = [["cli"], ["pipelines"], ["report"], ["io", "pgx", "onco", "rare", "risk"], ["kb"], ["model"],
          ["output", "documents"], ["errors"]]
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def import_graph_figures() -> list[tuple[str, str]]:
    graph = grimp.build_graph("tailormed")
    modules = sorted(graph.modules)
    edges = [(a, b) for a in modules for b in graph.find_modules_directly_imported_by(a)]
    level = {name: depth for depth, names in enumerate(LAYERS) for name in names}
    upward = [(a, b) for a, b in edges
              if _package(a) in level and _package(b) in level and level[_package(b)] < level[_package(a)]]
    sideways = [(a, b) for a, b in edges if _package(a) != _package(b) and _package(a) in level
                and _package(b) in level and level[_package(b)] == level[_package(a)]]
    packages: dict[str, set[str]] = {}
    for a, b in edges:
        if _package(a) != _package(b):
            packages.setdefault(_package(a), set()).add(_package(b))
    cycles = _cycles(packages)
    lint = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True)
    kept = re.search(r"Contracts: (\d+) kept, (\d+) broken", lint.stdout)
    return [("modules in tailormed", str(len(modules))), ("direct imports between modules", str(len(edges))),
            ("package-level import cycles", str(len(cycles)) + (f" {cycles}" if cycles else "")),
            ("imports up the layer order", str(len(upward)) + (f" e.g. {upward[:3]}" if upward else "")),
            ("imports between io and engines, or engine to engine", str(len(sideways))),
            ("lint-imports contracts kept / broken", f"{kept.group(1)} / {kept.group(2)}" if kept else "not run")]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def _analyze(src: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src), "TAILORMED_HPO": str(ROOT / ".data" / "hpo")}
    code = "import sys; from tailormed.cli import app; sys.argv = ['tailormed'] + sys.argv[1:]; app()"
    subprocess.run([sys.executable, "-c", code, "analyze", str(DEMO), "--out", str(out), "-q"], env=env,
                   check=True, cwd=ROOT)


def _files(folder: Path) -> dict[str, object]:
    """Each output file with timestamps masked; JSON parsed (so key order does not count)."""
    files: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = STAMP.sub("<time>", path.read_text(encoding="utf-8"))
            files[str(path.relative_to(folder))] = json.loads(text) if path.suffix == ".json" else text
    return files


def _json_paths(a: object, b: object, where: str = "") -> list[str]:
    """Where two JSON values differ (up to a few paths)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in sorted(set(a) | set(b)) for p in _json_paths(a.get(k), b.get(k), f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _json_paths(x, y, f"{where}[{i}]")]
    return [] if a == b else [where or "."]


def demo_comparison(ref: str, after: str | None = None, runs: int = 3) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": ref} | ({"after": after} if after else {})
        for name, commit in trees.items():
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(Path(tmp) / name), commit], cwd=ROOT,
                           check=True)
        try:
            befores = []
            for run in range(runs):
                _analyze(Path(tmp) / "before" / "src", Path(tmp) / f"out-before-{run}")
                befores.append(_files(Path(tmp) / f"out-before-{run}"))
            _analyze(Path(tmp) / "after" / "src" if after else ROOT / "src", Path(tmp) / "out-now")
            now = _files(Path(tmp) / "out-now")
        finally:
            for name in trees:
                subprocess.run(["git", "worktree", "remove", "--force", str(Path(tmp) / name)], cwd=ROOT, check=True)
    before = befores[0]
    unstable = {name for name in before if any(other.get(name) != before[name] for other in befores[1:])}
    marker = ".tailormed-output.json"
    same = [name for name in before if now.get(name) == before[name]]
    rows = [(f"demo files of {after or 'this checkout'} identical to {ref} (timestamps masked, JSON key order ignored)",
             f"{len(same)} of {len(before)}")]
    for name in before:
        if name in now and now[name] != before[name]:
            paths = _json_paths(before[name], now[name]) if name.endswith(".json") else ["text"]
            note = f"; it also varied between {runs} runs of {ref}" if name in unstable else ""
            rows.append((f"  differs: {name}", f"{len(paths)} place(s), e.g. {', '.join(paths[:3])}{note}"))
    rows += [("files only before", ", ".join(sorted(set(before) - set(now))) or "none"),
             ("files only now", ", ".join(sorted(set(now) - set(before) - {marker})) or "none"),
             ("new marker file", marker if marker in now else "absent")]
    return rows


def hostile_corpus() -> list[tuple[str, str]]:
    folder = ROOT / "tests" / "hostile"
    if not folder.is_dir():
        return [("hostile corpus", "tests/hostile/ not found")]
    data = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                          cwd=ROOT, capture_output=True, text=True)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-200:]
    return [("hostile corpus data files", str(len(data))), ("hostile tests", summary),
            ("tracebacks in the hostile run's output", str(done.stdout.count("Traceback (most recent")))]


def suite_time() -> list[tuple[str, str]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ,
                                                               "TAILORMED_HPO": str(ROOT / ".data" / "hpo")})
    seconds = time.perf_counter() - start
    return [("test suite", done.stdout.strip().splitlines()[-1]), ("test suite wall time", f"{seconds:.0f} s")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="git ref whose demo outputs to compare with (e.g. 0d36473)")
    parser.add_argument("--after", help="git ref to compare with --before instead of this checkout")
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite")
    args = parser.parse_args()
    rows = import_graph_figures() + hostile_corpus()
    if args.before:
        rows += demo_comparison(args.before, args.after)
    if args.suite:
        rows += suite_time()
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
