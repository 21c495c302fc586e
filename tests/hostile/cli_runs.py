"""Run many ``tailormed`` command lines through ``forked_cli.py``: real processes, each with its own exit code,
stdout and stderr, forked from one warm interpreter so the imports are paid once. Both hostile-input suites use
it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FORKED_CLI = Path(__file__).resolve().parent / "forked_cli.py"


def run_all(requests: dict[str, tuple[list[str], Path]], env: dict[str, str],
            timeout: float) -> dict[str, tuple[int, str, str]]:
    """Run each ``id -> (arguments, folder)``; the folder receives its ``stdout`` and ``stderr`` files.
    Returns ``id -> (exit code, stdout, stderr)``; a case killed after ``timeout`` seconds has code -9."""
    lines = "".join(json.dumps({"id": case_id, "args": args, "stdout": str(folder / "stdout"),
                                "stderr": str(folder / "stderr")}) + "\n"
                    for case_id, (args, folder) in requests.items())
    done = subprocess.run([sys.executable, str(FORKED_CLI), "--timeout", str(timeout)], input=lines,
                          capture_output=True, text=True, timeout=timeout * 4, env=env, check=False)
    assert done.returncode == 0, done.stderr
    codes = {result["id"]: result["code"] for result in map(json.loads, done.stdout.splitlines())}
    assert set(codes) == set(requests), done.stderr
    return {case_id: (codes[case_id], (folder / "stdout").read_text(encoding="utf-8", errors="replace"),
                      (folder / "stderr").read_text(encoding="utf-8", errors="replace"))
            for case_id, (_, folder) in requests.items()}
