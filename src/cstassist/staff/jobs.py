"""Background work started from the console, with progress any host can read.

A job is a row in ``staff_jobs`` (queued -> running -> done | failed, a progress fraction and a stage line) and a
function run by one of this process's worker threads. Each kind of work has its own single worker: index writes
(uploads, re-indexing, retiring) run one at a time in submission order, and an evaluation never waits for them.

    jobs = Jobs(db)
    job_id = jobs.submit("ingest", actor, lambda progress: {"chunks": 12}, queue="index")
    jobs.get(job_id).status   # queued | running | done | failed
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..database import Database, DatabaseUnavailable, staff_jobs
from ..errors import CSTAssistError, NotFound

log = logging.getLogger("cstassist.staff")
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    status: str
    progress: float
    stage: str
    error: str | None
    result: dict[str, Any]
    actor: str
    created_at: float
    updated_at: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Jobs:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queues: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()  # one worker per queue, however many requests arrive at once

    def submit(self, kind: str, actor: str, work: Callable[[Progress], dict[str, Any]], queue: str) -> str:
        """Record a queued job and run ``work(progress)`` on ``queue``'s worker; its return value is the result.

        ``work`` reports with ``progress(fraction, stage)``; an exception fails the job, with the message of a
        ``CSTAssistError`` (a one-line reason) or a generic line for anything else (logged with its trace)."""
        job_id, now = secrets.token_hex(8), time.time()
        with self.db.begin() as conn:
            conn.execute(
                staff_jobs.insert().values(
                    job_id=job_id,
                    kind=kind,
                    status="queued",
                    progress=0.0,
                    stage="queued",
                    actor=actor,
                    created_at=now,
                    updated_at=now,
                )
            )
        with self._lock:
            if queue not in self._queues:
                self._queues[queue] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cstassist-{queue}")
            pool = self._queues[queue]
        pool.submit(self._run, job_id, work)
        return job_id

    def _run(self, job_id: str, work: Callable[[Progress], dict[str, Any]]) -> None:
        def progress(fraction: float, stage: str) -> None:
            self._set(job_id, status="running", progress=round(max(0.0, min(1.0, fraction)), 3), stage=stage[:300])

        try:
            progress(0.0, "started")
            result = work(progress)
        except CSTAssistError as exc:
            self._set(job_id, status="failed", error=str(exc)[:500], stage="failed")
        except Exception as exc:  # noqa: BLE001 - a job fails with a line for staff; the trace goes to the log
            log.exception("job %s failed", job_id)
            self._set(
                job_id, status="failed", error=f"unexpected error ({type(exc).__name__}); see the service log", stage="failed"
            )
        else:
            self._set(job_id, status="done", progress=1.0, stage="done", result=json.dumps(result or {}, default=str))

    def _set(self, job_id: str, **values: Any) -> None:
        try:
            with self.db.begin() as conn:
                conn.execute(update(staff_jobs).where(staff_jobs.c.job_id == job_id).values(updated_at=time.time(), **values))
        except DatabaseUnavailable:
            log.warning("database unavailable: job %s progress not recorded", job_id)

    def get(self, job_id: str) -> Job:
        rows = self._select(staff_jobs.c.job_id == job_id, 1)
        if not rows:
            raise NotFound(f"no job {job_id[:40]!r}")
        return rows[0]

    def recent(self, kind: str | None = None, limit: int = 50) -> list[Job]:
        return self._select(staff_jobs.c.kind == kind if kind else None, limit)

    def _select(self, where: Any, limit: int) -> list[Job]:
        c = staff_jobs.c
        query = select(c.job_id, c.kind, c.status, c.progress, c.stage, c.error, c.result, c.actor, c.created_at, c.updated_at)
        if where is not None:
            query = query.where(where)
        with self.db.begin() as conn:
            rows = conn.execute(query.order_by(c.created_at.desc()).limit(limit)).all()
        return [Job(*r[:6], json.loads(r[6] or "{}"), *r[7:]) for r in rows]  # type: ignore[misc]

    def abandon_unfinished(self) -> int:
        """Fail every job still queued or running: for a service starting on a database only it uses (embedded
        mode), where such a job belonged to a process that stopped before finishing it. Returns how many."""
        c = staff_jobs.c
        with self.db.begin() as conn:
            done = conn.execute(
                update(staff_jobs)
                .where(c.status.in_(("queued", "running")))
                .values(
                    status="failed",
                    stage="failed",
                    error="interrupted: the service stopped before it finished; start it again",
                    updated_at=time.time(),
                )
            )
        return done.rowcount

    def shutdown(self) -> None:
        """Stop taking work: an index write under way finishes (the data directory lock is released after it),
        an evaluation is abandoned; queued jobs are dropped (their rows stay ``queued``)."""
        for name, pool in self._queues.items():
            pool.shutdown(wait=name == "index", cancel_futures=True)
