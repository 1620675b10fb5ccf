"""Work from threads, each in its own app context, session and connection as in a real server."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from workflow.extensions import db
from workflow.services.errors import DomainError


def in_thread(app, call, outcomes: dict, key: str, hold=None) -> threading.Thread:
    """`call` in its own thread, app context and connection; `hold` runs just before it commits
    (its locks held)."""

    def worker():
        with app.app_context():
            if hold is not None:
                sa.event.listen(db.session(), "before_commit", lambda _session: hold())
            try:
                outcomes[key] = ("ok", call())
            except DomainError as error:
                outcomes[key] = ("refused", type(error).__name__)
            except Exception as error:  # noqa: BLE001 - reported by the assertions
                outcomes[key] = ("error", repr(error))
            finally:
                db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    return thread


def lock_waiters() -> int:
    """Backends of this database waiting for a lock (read on a connection of its own)."""
    with db.engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def second_while_first_holds(app, first, second, timeout: float = 10) -> dict:
    """Run `first` until just before its commit, then `second` beside it until that waits for a
    lock (or is done), then let `first` commit: {"first": outcome, "second": outcome}. Without a
    lock between them, `second` reads the database as it was before `first`."""
    import time

    outcomes: dict = {}
    ready, go = threading.Event(), threading.Event()

    def hold():
        db.session.flush()
        ready.set()
        go.wait(timeout=30)

    first_thread = in_thread(app, first, outcomes, "first", hold)
    if not ready.wait(timeout=30):
        go.set()
        first_thread.join(timeout=30)
        return outcomes
    second_thread = in_thread(app, second, outcomes, "second")
    deadline = time.monotonic() + timeout
    while second_thread.is_alive() and not lock_waiters() and time.monotonic() < deadline:
        time.sleep(0.05)
    go.set()
    first_thread.join(timeout=60)
    second_thread.join(timeout=60)
    return outcomes
