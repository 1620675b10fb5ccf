"""Webhooks: every event of the event log, pushed to the receivers the coordination registered, as
a JSON POST signed with HMAC-SHA256, retried with back-off, delivered only by `tick` (never inside
a person's request).

Signature: `X-Antragsweg-Signature: t=<unix time>,v1=<hex>` where v1 = HMAC-SHA256(secret,
"<t>.<body>"). A receiver recomputes it and refuses a timestamp older than a few minutes (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from http.client import HTTPException
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime
from workflow.lifecycle import STATES_BY_NAME, TRIGGERS_BY_NAME
from workflow.models import Application, Event, Organisation, User, WebhookDelivery, WebhookReceiver
from workflow.models.event_kinds import BALLOT_CAST, KINDS, SUBSCRIPTIONS, TRANSITION
from workflow.models.types import utcnow
from workflow.models.webhook import DELIVERED, FAILED, PENDING, RECEIVER_KINDS, TEAMS
from workflow.services import access, notifications
from workflow.services.errors import NotAllowed, NotFound, RuleViolation
from workflow.votes import mails as vote_mails
from workflow.votes.queries import ballot_as_seen

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Antragsweg-Signature"
TOLERANCE_SECONDS = 300
MAX_ATTEMPTS = 8
BATCH = 50
LEASE_SECONDS = 15 * 60  # longer than a batch of sends takes (BATCH × WEBHOOK_TIMEOUT at most)
USER_AGENT = "Antragsweg-Webhooks/1"

def event_type(event: Event) -> str:
    return event.trigger if event.kind == TRANSITION and event.trigger else event.kind


# -- signing ----------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (no replay)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# -- receivers --------------------------------------------------------------------------------------


def _only_coordinators(actor: User) -> None:
    if not access.may(actor, "coordinate"):
        raise NotAllowed(_l("Nur die Netzwerkkoordination verwaltet Webhooks."))


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 1000 or " " in url:
        raise RuleViolation(_l("Bitte geben Sie eine vollständige Adresse mit https:// an."), field="url")
    return url


def register_receiver(
    actor: User, *, name: str, url: str, kind: str, events: list[str], secret: str | None = None
) -> WebhookReceiver:
    """The coordination registers a receiver; it gets the events from now on."""
    _only_coordinators(actor)
    name = (name or "").strip()
    if not name:
        raise RuleViolation(_l("Bitte geben Sie einen Namen an."), field="name")
    if kind not in RECEIVER_KINDS:
        raise RuleViolation(_l("Unbekannte Art von Empfänger."), field="kind")
    unknown = [e for e in events if e not in SUBSCRIPTIONS]
    if unknown or not events:
        raise RuleViolation(_l("Bitte wählen Sie mindestens ein Ereignis."), field="events")
    secret = (secret or "").strip() or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise RuleViolation(_l("Das Geheimnis muss mindestens 16 Zeichen haben."), field="secret")
    receiver = WebhookReceiver(
        alliance_id=actor.alliance_id,
        name=name,
        url=_check_url(url),
        kind=kind,
        events=list(events),
        secret=secret,
        created_by_id=actor.id,
        last_event_id=db.session.scalar(sa.select(sa.func.max(Event.id))) or 0,
    )
    db.session.add(receiver)
    db.session.commit()
    return receiver


def receivers_of(actor: User) -> list[WebhookReceiver]:
    _only_coordinators(actor)
    return list(
        db.session.scalars(
            sa.select(WebhookReceiver)
            .where(WebhookReceiver.alliance_id == actor.alliance_id)
            .order_by(WebhookReceiver.id)
        )
    )


def receiver_for(actor: User, receiver_id: int) -> WebhookReceiver:
    _only_coordinators(actor)
    receiver = db.session.get(WebhookReceiver, receiver_id) if 0 < receiver_id < 2**31 else None
    if receiver is None or receiver.alliance_id != actor.alliance_id:
        raise NotFound(_l("Diesen Webhook gibt es nicht."))
    return receiver


def set_active(actor: User, receiver: WebhookReceiver, active: bool) -> None:
    _only_coordinators(actor)
    if active and not receiver.active:
        # Switched on again: from now on (what happened while it was off is not sent afterwards).
        receiver.last_event_id = db.session.scalar(sa.select(sa.func.max(Event.id))) or 0
    receiver.active = active
    db.session.commit()


def deliveries_of(receiver: WebhookReceiver, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.receiver_id == receiver.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# -- what is sent -----------------------------------------------------------------------------------


def _public_data(event: Event) -> dict:
    """What an event records, less what must stay secret: never how a partner voted. Which of
    its data goes out is the kind's `public` (models/event_kinds.py); an organisation by its name."""
    data = dict(event.data or {})
    if event.kind == BALLOT_CAST:  # a receiver is nobody in particular: who voted, never how
        data = ballot_as_seen(None, None, data)
    kind = KINDS.get(event.kind)
    if kind is None or kind.public is None:
        return data
    public = {}
    for key in kind.public:
        if key == "organisation_id":
            organisation = db.session.get(Organisation, data.get(key) or 0)
            public["organisation"] = organisation.name if organisation else None
        else:
            public[key] = data.get(key)
    return public


def payload(event: Event) -> dict:
    application = db.session.get(Application, event.application_id) if event.application_id else None
    kind = event_type(event)
    result = {
        "event": {
            "id": event.id,
            "type": kind,
            "label": SUBSCRIPTIONS.get(kind, kind),
            "at": event.created_at.isoformat(),
            "from_state": event.from_state,
            "to_state": event.to_state,
            "actor": event.actor.name if event.actor else None,
            "data": _public_data(event),
        },
        "application": None,
    }
    if application is not None:
        result["application"] = {
            "id": application.id,
            "reference": application.reference,
            "title": application.title,
            "state": application.state,
            "state_label": application.state_label,
            "applicant": application.applicant.name,
            "url": notifications.application_link(application),
        }
    return result


def _headline(event: Event, application: Application | None) -> tuple[str, str, str]:
    """(headline, text, button) of a Teams card, in German."""
    title = application.title if application else "Antragsweg"
    kind = event_type(event)
    data = event.data or {}
    if kind == "open_vote":
        if data.get("deadline"):
            when = f"bis {local_date(date.fromisoformat(str(data['deadline'])[:10]))}"
        elif data.get("session_date"):
            when = f"in der Sitzung am {local_date(str(data['session_date']))}"
        else:
            when = ""
        return (
            f"Neue Abstimmung: {title} {when} — Jetzt abstimmen".replace("  ", " "),
            (f"Die Langfassung „{title}“ steht zur Abstimmung der Bündnispartner."),
            "Jetzt abstimmen",
        )
    label = SUBSCRIPTIONS.get(kind, kind)
    if kind == "moved_to_session":
        return f"{label}: {title}", f"„{title}“: {label}.", "Zur Abstimmung"
    if event.kind == TRANSITION and event.to_state:
        text = f"„{title}“: {STATES_BY_NAME[event.to_state].label} ({TRIGGERS_BY_NAME[kind].label})."
    else:
        text = f"„{title}“: {label}."
    return f"{label}: {title}", text, "Antrag öffnen"


# What asks the partners to vote leads straight to the vote page; the rest to the application page.
VOTE_EVENTS = frozenset({"open_vote", "moved_to_session"})


def _card_link(event: Event, application: Application) -> str:
    if event_type(event) in VOTE_EVENTS:
        return vote_mails.vote_link(application)
    return notifications.application_link(application)


def teams_message(event: Event) -> dict:
    """A Microsoft Teams message with an Adaptive Card (incoming webhook or Workflows)."""
    application = db.session.get(Application, event.application_id) if event.application_id else None
    headline, text, button = _headline(event, application)
    facts = [{"title": "Zeit", "value": local_datetime(event.created_at)}]
    if application is not None:
        facts[:0] = [
            {"title": "Aktenzeichen", "value": application.reference or "—"},
            {"title": "Antragsteller", "value": application.applicant.name},
            {"title": "Status", "value": application.state_label},
        ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "lang": "de",
        "body": [
            {"type": "TextBlock", "text": headline, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": text, "wrap": True},
            {"type": "FactSet", "facts": facts},
        ],
        "actions": (
            [{"type": "Action.OpenUrl", "title": button, "url": _card_link(event, application)}]
            if application is not None
            else []
        ),
    }
    return {
        "type": "message",
        "summary": headline,
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def body_for(receiver: WebhookReceiver, event: Event) -> bytes:
    message = teams_message(event) if receiver.kind == TEAMS else payload(event)
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


# -- delivering (by `tick`) -------------------------------------------------------------------------


def enqueue() -> int:
    """A pending delivery for each new event a receiver subscribed to; returns how many."""
    created = 0
    receivers = db.session.scalars(
        sa.select(WebhookReceiver)
        .where(WebhookReceiver.active.is_(True))
        .order_by(WebhookReceiver.id)
        .with_for_update(skip_locked=True)
    ).all()
    for receiver in receivers:
        events = db.session.scalars(
            sa.select(Event)
            .where(Event.alliance_id == receiver.alliance_id, Event.id > receiver.last_event_id)
            .order_by(Event.id)
            .limit(500)
        ).all()
        for event in events:
            kind = event_type(event)
            if kind in receiver.events:
                db.session.add(WebhookDelivery(receiver_id=receiver.id, event_id=event.id, event_type=kind))
                created += 1
        if events:
            receiver.last_event_id = events[-1].id
    db.session.commit()
    return created


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a receiver answers itself, or it failed
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def _target_refused(url: str) -> str | None:
    """Receivers live on the internet; internal addresses only when the configuration allows it."""
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return None
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as error:
        return f"Adresse nicht auflösbar: {error}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"Interne Adresse ({address}) nicht erlaubt"
    return None


def _post(receiver: WebhookReceiver, delivery: WebhookDelivery, body: bytes) -> tuple[int | None, str | None]:
    refused = _target_refused(receiver.url)
    if refused:
        return None, refused
    if urlsplit(receiver.url).scheme not in ("http", "https"):
        return None, "Nur http:// und https:// sind erlaubt"
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
        receiver.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Antragsweg-Event": delivery.event_type,
            "X-Antragsweg-Delivery": str(delivery.id),
            SIGNATURE_HEADER: sign(receiver.secret, int(time.time()), body),
        },
    )
    try:
        with _OPENER.open(request, timeout=current_app.config.get("WEBHOOK_TIMEOUT", 10)) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, HTTPException, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:2000]


def _claim(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Take the due deliveries for this `tick` before sending any: their next attempt moves a lease
    ahead in one conditional UPDATE, committed at once, so a second `tick` at the same moment finds
    them no longer due. (SKIP LOCKED alone holds on PostgreSQL only; SQLite locks no rows, but its
    writers take turns and the UPDATE re-reads what the other committed.) A tick that dies while
    sending leaves its deliveries to be tried again when the lease ends."""
    due = sa.and_(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
    candidates = db.session.scalars(
        sa.select(WebhookDelivery.id)
        .where(due)
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        db.session.commit()
        return []
    lease = now + timedelta(seconds=LEASE_SECONDS)
    claimed = db.session.scalars(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(candidates), due)
        .values(next_attempt_at=lease)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.id.in_(claimed)).order_by(WebhookDelivery.id)
    ).all()


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send what is due; returns how many were delivered (2xx). Failures wait 1, 2, 4 … minutes."""
    now = now or utcnow()
    due = _claim(now, limit)
    delivered = 0
    for delivery in due:
        receiver = delivery.receiver
        clock = time.perf_counter()
        status, error = _post(receiver, delivery, body_for(receiver, delivery.event))
        delivery.attempts += 1
        delivery.last_attempt_at = utcnow()
        delivery.last_status_code = status
        if status is not None and 200 <= status < 300:
            delivery.status, delivery.delivered_at, delivery.last_error = DELIVERED, utcnow(), None
            delivered += 1
        else:
            delivery.last_error = error or f"HTTP {status}"
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = FAILED
            else:
                delivery.next_attempt_at = now + timedelta(minutes=2 ** (delivery.attempts - 1))
        # The receiver by id and host only: a Teams address carries its secret in the path.
        log.log(
            logging.INFO if delivery.status == DELIVERED else logging.WARNING,
            "webhook delivery",
            extra={
                "delivery_id": delivery.id,
                "receiver_id": receiver.id,
                "host": urlsplit(receiver.url).hostname,
                "event_type": delivery.event_type,
                "attempt": delivery.attempts,
                "status_code": status,
                "outcome": {DELIVERED: "delivered", FAILED: "failed"}.get(delivery.status, "retry"),
                "error": None if delivery.status == DELIVERED else (error or f"HTTP {status}")[:200],
                "duration_ms": round((time.perf_counter() - clock) * 1000),
            },
        )
    db.session.commit()
    return delivered


def enqueue_and_deliver() -> int:
    enqueue()
    return deliver_due()
