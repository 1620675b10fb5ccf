"""GDPR: what Antragsweg holds about a person (export), and erasure on request.

Erasure anonymises the person (name, e-mail address, password, notifications, queued mail) but keeps
the decision records the retention rules require (events, ballots, documents: they refer to the
anonymised account). Retention: DATA_RETENTION_YEARS after the end of the funding period (default 10).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from workflow.extensions import db
from workflow.models import Ballot, Document, Event, Notification, OutgoingMail, User
from workflow.models.types import utcnow
from workflow.passwords import hash_password
from workflow.services.lifecycle import jsonable


def export_person(user: User) -> dict:
    """Everything stored about `user`, as plain JSON-ready data."""
    return jsonable(
        {
            "exported_at": utcnow(),
            "account": {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "organisation": user.organisation.name,
                "active": user.active,
                "created_at": user.created_at,
            },
            "events": [
                {
                    "id": e.id,
                    "application_id": e.application_id,
                    "kind": e.kind,
                    "trigger": e.trigger,
                    "from": e.from_state,
                    "to": e.to_state,
                    "data": e.data,
                    "at": e.created_at,
                }
                for e in db.session.scalars(
                    sa.select(Event).where(Event.actor_id == user.id).order_by(Event.id)
                )
            ],
            "ballots": [
                {"vote_id": b.vote_id, "choice": b.choice, "comment": b.comment, "cast_at": b.cast_at}
                for b in db.session.scalars(sa.select(Ballot).where(Ballot.cast_by_id == user.id))
            ],
            "documents": [
                {
                    "id": d.id,
                    "application_id": d.application_id,
                    "kind": d.kind,
                    "filename": d.filename,
                    "uploaded_at": d.uploaded_at,
                }
                for d in db.session.scalars(sa.select(Document).where(Document.uploaded_by_id == user.id))
            ],
            "notifications": [
                {"subject": n.subject, "body": n.body, "created_at": n.created_at, "read_at": n.read_at}
                for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
            ],
        }
    )


def erase_person(user: User) -> None:
    """Anonymise `user`; the records of decisions stay, attributed to the anonymised account."""
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(sa.delete(OutgoingMail).where(OutgoingMail.to_address == user.email))
    user.name = f"Gelöschte Person {user.id}"
    user.email = f"geloescht-{user.id}@invalid.invalid"
    user.password_hash = hash_password(secrets.token_urlsafe(32))  # nobody knows it
    user.active = False
    db.session.commit()
