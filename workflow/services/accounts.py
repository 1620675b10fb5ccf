"""People and organisations: logging in, creating accounts."""

from __future__ import annotations

import sqlalchemy as sa

from workflow.extensions import db
from workflow.lifecycle import ROLES
from workflow.models import Alliance, Organisation, User
from workflow.models.organisation import KIND_FOR_ROLE
from workflow.passwords import dummy_verify, hash_password, verify_password
from workflow.services import security
from workflow.services.errors import NotFound, RuleViolation


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_active_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        dummy_verify(password)
        return None
    return user if verify_password(user.password_hash, password) else None


def get_or_create_organisation(alliance: Alliance, name: str, kind: str) -> Organisation:
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.alliance_id == alliance.id, Organisation.name == name)
    )
    if organisation is None:
        organisation = Organisation(alliance_id=alliance.id, name=name, kind=kind)
        db.session.add(organisation)
        db.session.flush()
    elif organisation.kind != kind:
        raise RuleViolation(
            f"Die Organisation „{name}“ ist als {organisation.kind_label} erfasst; "
            f"Personen der Rolle „{kind}“ gehören zu einer anderen Art von Organisation."
        )
    return organisation


def create_user(
    *, email: str, name: str, role: str, organisation: str, password: str, alliance_slug: str
) -> User:
    """Create an account (and its organisation, of the kind that fits the role, if new)."""
    if role not in ROLES:
        raise RuleViolation(f"Unbekannte Rolle: {role}")
    email = normalise_email(email)
    if "@" not in email:
        raise RuleViolation("Bitte geben Sie eine gültige E-Mail-Adresse an.")
    problem = security.password_problem(password, email=email, name=name)
    if problem:
        raise RuleViolation(problem, field="password")
    alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == alliance_slug))
    if alliance is None:
        raise NotFound(f"Es gibt kein Bündnis mit dem Kürzel „{alliance_slug}“.")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise RuleViolation(f"Es gibt bereits ein Konto für {email}.")
    org = get_or_create_organisation(alliance, organisation, KIND_FOR_ROLE[role])
    user = User(
        email=email,
        name=name or email,
        role=role,
        organisation_id=org.id,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.commit()
    return user
