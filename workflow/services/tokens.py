"""Bearer tokens of the JSON API: created for a person (shown once), stored as a SHA-256 hash,
revoked by the person. A token acts with its user's role and rights, nothing more."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.models import ApiToken, User
from workflow.models.types import utcnow
from workflow.services.errors import NotFound, RuleViolation

PREFIX = "aw_"
NAME_MAX = 100
MAX_ACTIVE = 20
# Writing "last used" on every request would make every API call a write; once a minute is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the record and the token itself (never stored)."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation(_l("Bitte geben Sie dem Token einen Namen."), field="name")
    if len(name) > NAME_MAX or "\x00" in name:
        raise RuleViolation(
            _l("Der Name darf höchstens %(limit)s Zeichen haben.", limit=NAME_MAX), field="name"
        )
    if len(active_of(user)) >= MAX_ACTIVE:
        raise RuleViolation(
            _l(
                "Sie haben bereits %(limit)s aktive Tokens. Bitte widerrufen Sie zuerst eines.",
                limit=MAX_ACTIVE,
            ),
            field="name",
        )
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(plain))
    db.session.add(token)
    db.session.commit()
    return token, plain


def active_of(user: User) -> list[ApiToken]:
    return [t for t in all_of(user) if t.is_active]


def all_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke(user: User, token_id: int) -> ApiToken:
    """Only the token's owner revokes it; a revoked token stays listed (with the time it was revoked)."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None or token.user_id != user.id:
        raise NotFound(_l("Dieses Token gibt es nicht."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def authenticate(plain: str) -> User | None:
    """The active user of an active token, or None (unknown, revoked, deactivated account)."""
    if not plain or not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(plain)))
    if token is None or not token.is_active or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user
