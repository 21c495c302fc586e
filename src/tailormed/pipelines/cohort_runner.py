"""The cohort runner: one way to run a cohort's units of work, on local processes (the default, nothing to set up)
or on a Dask distributed cluster (``--scheduler ADDRESS``, the optional extra ``tailormed[cohort]``).

A unit of work is a module-level function and a picklable argument; :meth:`CohortRunner.map` yields the results in
the order of the arguments, whatever order the workers finish in, so what a pipeline writes from them does not
depend on the number of workers or on the scheduler.

On a Dask cluster every worker must have TailorMed installed (the same version) and read the input files at the
paths given (a shared file system).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from tailormed.errors import InputError
from tailormed.pipelines.pgx import _worker_signals

T = TypeVar("T")
R = TypeVar("R")

DASK_CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler to answer before giving up."""

SCHEDULER_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::[0-9]{1,5})?/?$")
"""A scheduler address: optional protocol, host (or [IPv6]) and port."""


class CohortRunner:
    """Runs units of work and yields their results in order. Use as a context manager."""

    workers: int = 1
    description: str = "this process"

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (stops any still running)."""

    def __enter__(self) -> CohortRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class LocalProcesses(CohortRunner):
    """``workers`` forked processes (in this process when 1, or where ``fork`` is not available)."""

    def __init__(self, workers: int = 1) -> None:
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        self.workers = max(1, workers) if can_fork else 1
        self.description = "this process" if self.workers == 1 else f"{self.workers} local processes"
        self._pool: Any = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if self.workers == 1 or len(items) <= 1:
            yield from map(fn, items)
            return
        if self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_worker_signals)
        yield from self._pool.imap(fn, items)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()  # results are all in, or the run failed: either way stop the workers
            self._pool.join()
            self._pool = None


class DaskCluster(CohortRunner):
    """The workers of a running Dask distributed scheduler (``tcp://host:8786``)."""

    def __init__(self, address: str, timeout: str | None = None) -> None:
        if not SCHEDULER_ADDRESS.match(address):
            raise InputError(f"--scheduler {address[:200]!r} is not a Dask scheduler address; give one such as "
                             "tcp://host:8786 (or host:8786)")
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler needs Dask distributed: install TailorMed with the 'cohort' extra "
                             "(pip install 'tailormed[cohort]')") from None
        try:
            self._client: Any = Client(address, timeout=timeout or DASK_CONNECT_TIMEOUT, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot reach the Dask scheduler at {address!r} ({reason[:200]}); give the address "
                             "of a running scheduler, e.g. tcp://host:8786") from None
        n = len(self._client.nthreads())  # type: ignore[no-untyped-call]  # every worker
        self.workers = max(1, n)
        self.description = f"Dask scheduler {address} ({n} worker(s))"

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        futures = self._client.map(fn, list(items), pure=False)
        try:
            for future in futures:
                yield future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()


def default_workers(n_samples: int) -> int:
    """Local processes when ``--workers`` is not given: up to 4 (the CPUs there are) for 1,000 samples or more."""
    return min(4, os.cpu_count() or 1) if n_samples >= 1000 else 1


def open_runner(scheduler: str | None, workers: int | None, n_samples: int) -> CohortRunner:
    """A Dask runner for ``scheduler``, else local processes (``workers``, or :func:`default_workers`)."""
    if scheduler is not None:
        if workers is not None:
            raise InputError("--workers applies to local processes; with --scheduler the cluster's workers are used")
        return DaskCluster(scheduler)
    return LocalProcesses(workers if workers is not None else default_workers(n_samples))
