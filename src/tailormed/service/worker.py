"""The worker pool: analyses run off the request path, from job rows in the database.

A submission is a job row (committed before the client hears 202) and a spool folder with its files. Workers
(threads in each server process) claim queued jobs, renew a lease while they run, and finish the job with the
stored result's id. A server killed mid-job leaves the job ``running`` with a lease that runs out; any worker then
claims it again, and storing is idempotent on the inputs, so a rerun never makes a second version.
"""

from __future__ import annotations

import logging
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from tailormed.errors import TailorMedError
from tailormed.pipelines.results import store_add

log = logging.getLogger("tailormed.service.jobs")
MANIFEST_NAME = "manifest.yaml"
MAX_ATTEMPTS = 3


class JobRunner:
    def __init__(self, store: Any, *, threads: int, lease_seconds: float, poll_seconds: float = 0.5) -> None:
        self.store = store
        self.threads = threads
        self.lease = timedelta(seconds=lease_seconds)
        self.poll = poll_seconds
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        for number in range(self.threads):
            worker = threading.Thread(target=self._loop, name=f"tailormed-job-{number}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.store.claim_job(lease=self.lease)
            except Exception as exc:  # noqa: BLE001 - the database may be briefly unavailable; keep polling
                log.warning("claiming a job failed: %s", type(exc).__name__)
                job = None
            if job is None:
                self._stop.wait(self.poll)
                continue
            self.run(job)

    def run(self, job: Any) -> None:
        spool = Path(job.spool)
        if job.attempts > MAX_ATTEMPTS:
            self.store.finish_job(job.id, error=f"gave up after {MAX_ATTEMPTS} attempts")
            shutil.rmtree(spool, ignore_errors=True)
            return
        done = threading.Event()

        def heartbeat() -> None:
            while not done.wait(self.lease.total_seconds() / 3):
                try:
                    self.store.renew_lease(job.id, self.lease)
                except Exception:  # noqa: BLE001, S112 - a missed renewal only risks a duplicate (idempotent) run
                    continue

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            outcome = store_add(spool / MANIFEST_NAME, store=self.store, tenant=job.tenant, actor=f"job:{job.id}")
            self.store.finish_job(job.id, result_id=outcome.result_id)
            log.info("job %s done", job.id)
        except TailorMedError as exc:
            self.store.finish_job(job.id, error=str(exc).replace(str(spool) + "/", "").replace(str(spool), ""))
            log.info("job %s failed: input error", job.id)
        except Exception as exc:  # noqa: BLE001 - any other failure is reported, not fatal to the worker
            self.store.finish_job(job.id, error="internal error while analysing")
            log.error("job %s failed: %s", job.id, type(exc).__name__)
        finally:
            done.set()
            beat.join(timeout=5)
        shutil.rmtree(spool, ignore_errors=True)
