"""What the operators watch, read from the database at the moment they ask (so every node tells the
same): readiness (database, schema at the migrations' head, document store writable) and the
figures behind /metrics (open votes, the outbox, failing webhooks, the last successful `tick`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app

from workflow.extensions import db
from workflow.models import Alliance, JobRun, OutgoingMail, Vote, WebhookDelivery
from workflow.models.types import utcnow
from workflow.models.webhook import FAILED, PENDING
from workflow.services import storage
from workflow.services.mail import MAX_ATTEMPTS as MAIL_MAX_ATTEMPTS

# Readiness: each check's code when it fails, and what an operator reads (German, no paths,
# addresses or versions: the answer is public).
REASONS = {
    ("database", "unreachable"): "Die Datenbank antwortet nicht.",
    ("schema", "missing"): "Die Datenbank hat noch kein Schema: `flask --app wsgi init-db` ausführen.",
    ("schema", "behind"): (
        "Das Datenbankschema ist älter als diese Version der Anwendung: `flask --app wsgi init-db` ausführen."
    ),
    ("schema", "unknown"): (
        "Das Datenbankschema ist neuer als diese Version der Anwendung oder unbekannt: die passende "
        "Version der Anwendung einspielen."
    ),
    ("documents", "not_writable"): "Der Dokumentenspeicher ist nicht beschreibbar.",
}


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)  # check → "ok" or its failure code

    @property
    def ready(self) -> bool:
        return all(code == "ok" for code in self.checks.values())

    def as_json(self) -> dict:
        return {
            "status": "ready" if self.ready else "not_ready",
            "checks": self.checks,
            "reasons": [
                {"check": check, "code": code, "message": REASONS[(check, code)]}
                for check, code in self.checks.items()
                if code != "ok"
            ],
        }


@cache
def _script(directory: str) -> ScriptDirectory:
    return ScriptDirectory(directory)


def readiness() -> Readiness:
    result = Readiness()
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:  # noqa: BLE001 - whatever the driver raises, the database does not answer
        result.checks["database"] = "unreachable"
        result.checks["schema"] = "unknown"
    else:
        result.checks["database"] = "ok"
        result.checks["schema"] = _schema_state(current)
    result.checks["documents"] = "ok" if _store_writable() else "not_writable"
    return result


def _schema_state(current: set[str]) -> str:
    script = _script(current_app.extensions["migrate"].directory)
    if current == set(script.get_heads()):
        return "ok"
    if not current:
        return "missing"
    try:
        for revision in current:
            if script.get_revision(revision) is None:
                return "unknown"
    except CommandError:  # a revision this code does not have: the database is newer
        return "unknown"
    return "behind"


def _store_writable() -> bool:
    """The document store takes a write: a probe file in the folder, a rolled-back row in the
    database."""
    try:
        return storage.store().writable()
    except OSError:
        return False


# -- figures for /metrics ----------------------------------------------------------------------


@dataclass
class Figures:
    open_votes: dict[str, int]  # alliance slug → open votes
    outbox_pending: int
    outbox_given_up: int
    outbox_oldest_age_seconds: float
    webhooks_retrying: int
    webhooks_failed: int
    tick_last_success: datetime | None
    tick_last_run_failed: bool


def figures() -> Figures:
    session = db.session
    now = utcnow()
    open_votes = dict(
        session.execute(
            sa.select(Alliance.slug, sa.func.count(Vote.id))
            .join(Vote, Vote.alliance_id == Alliance.id)
            .where(Vote.closed_at.is_(None))
            .group_by(Alliance.slug)
        ).all()
    )
    unsent = OutgoingMail.sent_at.is_(None)
    waiting = unsent & (OutgoingMail.attempts < MAIL_MAX_ATTEMPTS)
    pending, oldest = session.execute(
        sa.select(sa.func.count(OutgoingMail.id), sa.func.min(OutgoingMail.created_at)).where(waiting)
    ).one()
    given_up = session.scalar(
        sa.select(sa.func.count(OutgoingMail.id)).where(unsent, OutgoingMail.attempts >= MAIL_MAX_ATTEMPTS)
    )
    retrying = session.scalar(
        sa.select(sa.func.count(WebhookDelivery.id)).where(
            WebhookDelivery.status == PENDING, WebhookDelivery.attempts > 0
        )
    )
    failed = session.scalar(
        sa.select(sa.func.count(WebhookDelivery.id)).where(WebhookDelivery.status == FAILED)
    )
    tick = session.get(JobRun, "tick")
    session.rollback()
    return Figures(
        open_votes=open_votes,
        outbox_pending=pending,
        outbox_given_up=given_up,
        outbox_oldest_age_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        webhooks_retrying=retrying,
        webhooks_failed=failed,
        tick_last_success=tick.succeeded_at if tick else None,
        tick_last_run_failed=bool(tick and tick.failed_at and tick.failed_at == tick.finished_at),
    )
