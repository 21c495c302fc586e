"""Run many ``tailormed`` command lines as real processes, paying the start-up imports once.

Started as a script by the hostile-input tests: it imports the command line and the pipelines once, then
reads one JSON request per line on stdin (``{"id", "args", "stdout", "stderr"}``) and runs each request in
a process forked from that warm state, a few at a time. A child's stdout and stderr are its own file
descriptors, written to the files the request names; its exit code is what ``tailormed`` would return,
and an exception the command line does not handle is printed as a traceback with exit code 1, as the
``tailormed`` script does. One JSON line ``{"id", "code", "seconds"}`` is written per finished request
(``code`` -9: killed after ``--timeout`` seconds).

Nothing runs on import: the module is only a script.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from typing import Any


def _child(request: dict[str, Any]) -> None:
    """In the forked process: run the command line with stdout/stderr on the request's files; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, name in ((1, request["stdout"]), (2, request["stderr"])):
            target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        from tailormed.cli import app

        try:
            app(request["args"], prog_name="tailormed")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # what the interpreter would print for an unhandled exception
            sys.excepthook(*sys.exc_info())
            code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the child is exiting either way
                stream.flush()
        os._exit(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=120.0)
    options = parser.parse_args()
    import tailormed.cli  # noqa: F401 - warm the imports every child shares
    import tailormed.pipelines.analyze  # noqa: F401
    import tailormed.pipelines.onco  # noqa: F401
    import tailormed.pipelines.pgx  # noqa: F401
    import tailormed.pipelines.rare  # noqa: F401
    import tailormed.pipelines.risk  # noqa: F401

    pending = [json.loads(line) for line in sys.stdin if line.strip()]
    pending.reverse()
    running: dict[int, tuple[str, float]] = {}
    while pending or running:
        while pending and len(running) < options.jobs:
            request = pending.pop()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(request)
            running[pid] = (request["id"], time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for late, (_, started) in list(running.items()):
                if now > started + options.timeout:
                    os.kill(late, 9)
            time.sleep(0.005)
            continue
        request_id, started = running.pop(pid)
        print(json.dumps({"id": request_id, "code": os.waitstatus_to_exitcode(status),
                          "seconds": round(time.monotonic() - started, 3)}), flush=True)


if __name__ == "__main__":
    main()
