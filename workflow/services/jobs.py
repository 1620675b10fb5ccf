"""Periodic work, run by `flask --app wsgi tick` (from cron, every few minutes), and the guard that
makes each piece of it happen exactly once.

The jobs and their order: the table `TICK` in workflow/effects.py; each job commits its own work.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from workflow.extensions import db
from workflow.models.dispatch import Dispatch
from workflow.models.job_run import JobRun
from workflow.models.types import utcnow

log = logging.getLogger(__name__)

def run_all() -> dict[str, int]:
    """Run the tick's jobs; one failing job does not stop the others. The run is logged and
    recorded (JobRun "tick"), so that every node's /metrics knows when it last succeeded."""
    # The table is read here and not imported on top: its jobs claim their work through this module.
    from workflow.effects import TICK

    started, clock = utcnow(), time.perf_counter()
    results: dict[str, int] = {}
    for name, job in TICK:
        try:
            results[name] = job()
        except Exception:  # noqa: BLE001 - reported, and the next tick tries again
            db.session.rollback()
            results[name] = -1
            log.exception("tick job %s failed", name, extra={"job": name})
    duration_ms = round((time.perf_counter() - clock) * 1000)
    failed = sorted(name for name, count in results.items() if count < 0)
    log.log(
        logging.ERROR if failed else logging.INFO,
        "tick",
        extra={"results": results, "failed": failed, "duration_ms": duration_ms},
    )
    _record_run("tick", started, results, failed, duration_ms)
    return results


def _record_run(name: str, started, results: dict, failed: list, duration_ms: int) -> None:
    now = utcnow()
    try:
        run = db.session.get(JobRun, name, with_for_update=True)
        if run is None:
            try:
                with db.session.begin_nested():
                    db.session.add(run := JobRun(name=name, started_at=started, finished_at=now))
            except IntegrityError:  # another tick recorded its first run at the same moment
                run = db.session.get(JobRun, name, with_for_update=True, populate_existing=True)
        run.started_at, run.finished_at, run.duration_ms, run.results = started, now, duration_ms, results
        if failed:
            run.failed_at = now
        else:
            run.succeeded_at = now
        db.session.commit()
    except Exception:  # noqa: BLE001 - the work is done; only its record is missing
        db.session.rollback()
        log.exception("recording the %s run failed", name)


def claim(key: str) -> bool:
    """True exactly once per key, across processes: the first caller inserts the key (in its own
    savepoint) and wins; everyone after gets False. Commit with the work it guards."""
    try:
        with db.session.begin_nested():
            db.session.add(Dispatch(key=key))
    except IntegrityError:
        return False
    return True


def claimed(key: str) -> bool:
    return db.session.scalar(sa.select(Dispatch.id).where(Dispatch.key == key)) is not None
