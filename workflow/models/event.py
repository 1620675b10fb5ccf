from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from workflow.extensions import db
from workflow.models.event_kinds import PERSONAL_TEXT_KEYS
from workflow.models.types import UTC, UTCDateTime, utcnow

if TYPE_CHECKING:
    from workflow.models.application import Application
    from workflow.models.user import User

TEXT_REF = "$text"  # {"$text": "<commitment>"} stands in the payload for a text held outside it


class Event(db.Model):
    """Something that happened to an application: who, when, from, to, what was recorded.

    Append-only: the ORM refuses to change or delete a stored event (see the listener below).
    Tamper-evident: each event carries the hash of its predecessor in its chain (the events of one
    application; events of no application form one chain per alliance) and its own hash over its
    content; `flask --app wsgi verify-log` checks every chain. Two events can never claim the same
    predecessor (unique prev_hash), so concurrent writers cannot fork a chain.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_application_id_id", "application_id", "id"),
        # The deadlines read "the latest submit_sketch / submit_long_form / open_vote of this
        # application" for every row of a list (services/deadlines.py): one index seek each.
        sa.Index("ix_events_application_id_trigger_id", "application_id", "trigger", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the system
    kind: Mapped[str] = mapped_column(sa.String(32))
    trigger: Mapped[str | None] = mapped_column(sa.String(64))
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str | None] = mapped_column(sa.String(32))
    # The payload as chained: personal texts replaced by {"$text": commitment} (see `data`).
    stored: Mapped[dict] = mapped_column("data", sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor = relationship("User", lazy="joined")

    @hybrid_property
    def data(self) -> dict:
        """What was recorded, personal texts in place (as they stand: redacted after an erasure).
        In SQL, the stored payload."""
        stored = self.stored
        if not stored or not _has_refs(stored):
            return stored
        cached = self.__dict__.get("_resolved")
        if cached is not None and cached[0] is stored:
            return cached[1]
        resolved = _substitute(stored, _texts_for(self))
        self.__dict__["_resolved"] = (stored, resolved)
        return resolved

    @data.inplace.setter
    def _data_setter(self, value: dict) -> None:
        self.stored = value

    @data.inplace.expression
    @classmethod
    def _data_expression(cls):
        return cls.stored

    @data.inplace.bulk_dml
    @classmethod
    def _data_bulk(cls, mapping: dict, value: dict) -> None:
        mapping["stored"] = value

    def content_hash(self) -> str:
        """SHA-256 over everything recorded, and the predecessor's hash."""
        return content_hash(self)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.trigger} {self.from_state}->{self.to_state}>"


def content_hash(event) -> str:
    """The hash of an event (an Event, or a row of the events table with `data` as stored)."""
    stored = event.stored if isinstance(event, Event) else event.data
    content = {
        "alliance_id": event.alliance_id,
        "application_id": event.application_id,
        "actor_id": event.actor_id,
        "kind": event.kind,
        "trigger": event.trigger,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": stored or {},
        "created_at": event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def jsonable(value):
    """Recorded data as JSON: dates as ISO strings, amounts as integer cents already."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def log_event(
    application: Application | None,
    actor: User | None,
    kind: str,
    /,
    *,
    alliance_id: int | None = None,
    trigger: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    created_at: datetime | None = None,
    **data,
) -> Event:
    """Record that `kind` happened to `application` (an Application; None for an event of the
    alliance `alliance_id` as a whole), done by `actor` (a User; None: the system), with `data`.

    The one place an event is written: the session then chains it (see the listener below). The
    keyword names are columns, never keys of the data; `created_at` only where the event must bear
    the same moment as what it records (a ballot's `cast_at`)."""
    columns = {"created_at": created_at} if created_at is not None else {}
    event = Event(
        alliance_id=application.alliance_id if application is not None else alliance_id,
        application_id=application.id if application is not None else None,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        data=jsonable(data),
        **columns,
    )
    db.session.add(event)
    return event


class EventText(db.Model):
    """A personal text of an event, held outside its chained payload.

    The payload holds `commitment` = SHA-256 over a random salt and the text: the chain vouches for
    the text (verify-log recomputes it), and the salt keeps a short text (a name) from being guessed
    from the hash. Erasure replaces the text (the person's name and address taken out) and the salt,
    and records the new hash in a chained redaction event; the old salt is gone, so the commitment
    no longer reveals anything, and the chain still verifies."""

    __tablename__ = "event_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    commitment: Mapped[str] = mapped_column(sa.String(64), unique=True)
    salt: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event = relationship(Event)


def text_hash(salt: str, text: str) -> str:
    return hashlib.sha256(b"antragsweg-text\0" + salt.encode() + b"\0" + text.encode()).hexdigest()


def _has_refs(value) -> bool:
    if isinstance(value, dict):
        return TEXT_REF in value or any(_has_refs(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_refs(v) for v in value)
    return False


def is_ref(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(TEXT_REF), str)


def refs_in(value) -> list[str]:
    """The commitments a stored payload refers to (verify-log asks this of every event: a loop,
    not a recursion)."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if TEXT_REF in item and len(item) == 1 and isinstance(item[TEXT_REF], str):
                found.append(item[TEXT_REF])
            else:
                pending.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            pending.extend(v for v in item if isinstance(v, (dict, list)))
    return found


def _substitute(value, texts: dict[str, str | None]):
    if is_ref(value):
        return texts.get(value[TEXT_REF])  # None: the text is missing (verify-log names it)
    if isinstance(value, dict):
        return {k: _substitute(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, texts) for v in value]
    return value


_TEXTS = "event_texts"  # session.info: commitment -> text, read once per session


def _texts_for(event: Event) -> dict[str, str | None]:
    """The texts `event` refers to; read for every event of its session at once (a history page
    resolves all its events with one query)."""
    session = object_session(event)
    known: dict[str, str | None] = session.info.setdefault(_TEXTS, {}) if session else {}
    wanted = [c for c in refs_in(event.stored) if c not in known]
    if wanted and session is not None:
        for other in list(session.identity_map.values()):
            if isinstance(other, Event) and other is not event and other.stored:
                wanted += [c for c in refs_in(other.stored) if c not in known]
        wanted = list(dict.fromkeys(wanted))
        for chunk in range(0, len(wanted), 1000):
            part = wanted[chunk : chunk + 1000]
            rows = session.execute(
                sa.select(EventText.commitment, EventText.text).where(EventText.commitment.in_(part))
            )
            known.update({c: None for c in part})
            known.update(dict(rows.all()))
    return known


def _externalise(session: Session, event: Event, value, key: str | None = None):
    """The payload to chain: each personal text becomes a reference to a new EventText."""
    if isinstance(value, dict):
        return {k: _externalise(session, event, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_externalise(session, event, v) if isinstance(v, (dict, list)) else v for v in value]
    if key in PERSONAL_TEXT_KEYS and isinstance(value, str) and value:
        salt = secrets.token_hex(16)
        commitment = text_hash(salt, value)
        session.add(EventText(event=event, commitment=commitment, salt=salt, text=value))
        session.info.setdefault(_TEXTS, {})[commitment] = value
        return {TEXT_REF: commitment}
    return value


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_texts(session):
    session.info.pop(_TEXTS, None)  # an erasure elsewhere may have redacted them meanwhile


class EventLogIsAppendOnly(Exception):
    pass


def chain_condition(application_id: int | None, alliance_id: int):
    """The events of one chain: one application's, or an alliance's events of no application."""
    if application_id is not None:
        return Event.application_id == application_id
    return sa.and_(Event.application_id.is_(None), Event.alliance_id == alliance_id)


@sa_event.listens_for(Session, "before_flush")
def _guard_and_chain_events(session, flush_context, instances):
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise EventLogIsAppendOnly(f"event {obj.id} may not be changed or deleted")
    new_events = [obj for obj in session.new if isinstance(obj, Event)]
    if not new_events:
        return
    last_hash: dict[tuple, str | None] = {}
    with session.no_autoflush:
        for event in sorted(new_events, key=lambda e: getattr(e, "_sequence", 0)):
            if event.created_at is None:
                event.created_at = utcnow()
            plain = event.stored or {}
            event.stored = _externalise(session, event, plain)
            event.__dict__["_resolved"] = (event.stored, plain)
            key = (event.application_id, None if event.application_id else event.alliance_id)
            if key not in last_hash:
                last_hash[key] = session.scalar(
                    sa.select(Event.hash)
                    .where(chain_condition(event.application_id, event.alliance_id))
                    .order_by(Event.id.desc())
                    .limit(1)
                )
            event.prev_hash = last_hash[key]
            event.hash = event.content_hash()
            last_hash[key] = event.hash


_counter = iter(range(1, 2**62))


@sa_event.listens_for(Event, "init")
def _remember_order(target, args, kwargs):
    # The order events were created in one request is the order of their chain.
    target._sequence = next(_counter)
