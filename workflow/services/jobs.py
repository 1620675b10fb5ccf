"""Periodic work, run by `flask --app wsgi tick` (from cron, every few minutes), and the guard that
makes each piece of it happen exactly once.

Domain modules register their jobs with @periodic; each job commits its own work.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from workflow.extensions import db
from workflow.models.dispatch import Dispatch

Job = Callable[[], int]  # returns how many things it did
_JOBS: list[tuple[str, Job]] = []
_LAST: list[tuple[str, Job]] = []  # after every other job (sending what they queued)


def periodic(name: str, last: bool = False) -> Callable[[Job], Job]:
    def register(fn: Job) -> Job:
        (_LAST if last else _JOBS).append((name, fn))
        return fn

    return register


def run_all() -> dict[str, int]:
    """Run every registered job; one failing job does not stop the others."""
    results: dict[str, int] = {}
    for name, job in (*_JOBS, *_LAST):
        try:
            results[name] = job()
        except Exception:  # noqa: BLE001 - reported, and the next tick tries again
            db.session.rollback()
            results[name] = -1
            import logging

            logging.getLogger(__name__).exception("tick job %s failed", name)
    return results


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
