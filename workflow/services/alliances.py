"""Alliances and their own settings: setting up a further alliance, the rules of procedure, the
committee's name, which funding objects need a statement, the partner organisations and their
representatives. Every change is an event of the alliance (application_id None)."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.lifecycle import COORDINATOR, PARTNER
from workflow.models import Alliance, Event, FundingObject, Organisation, User
from workflow.models.event import log_event
from workflow.passwords import hash_password
from workflow.rules.procedure import ProcedureRules
from workflow.services import access, accounts, security
from workflow.services.errors import NotAllowed, NotFound, RuleViolation

SETTINGS_CHANGED, PARTNER_ADDED, PARTNER_DEACTIVATED = (
    "settings_changed",
    "partner_added",
    "partner_deactivated",
)
REPRESENTATIVE_ADDED, REPRESENTATIVE_DEACTIVATED = "representative_added", "representative_deactivated"
ALLIANCE_CREATED = "alliance_created"
FUNDING_OBJECTS = (
    (1, "Strukturprojekte"),
    (2, "Projekte für Arbeitslose"),
    (3, "Berufliche Weiterbildungsprojekte"),
)
SLUG = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

# What a coordinator may set, with the bounds a sensible rule of procedure keeps.
BOUNDS = {
    "circulation_days": (1, 60),
    "statement_days": (1, 90),
    "assessment_days": (1, 90),
    "quorum_percent": (1, 100),
    "max_funding_rate_percent": (1, 100),
}


def _log(alliance_id: int, actor: User | None, kind: str, data: dict) -> None:
    log_event(None, actor, kind, alliance_id=alliance_id, **data)


def create_alliance(
    slug: str,
    name: str,
    coordinator_email: str,
    coordinator_name: str = "",
    password: str | None = None,
    committee_name: str = "Lenkungskreis",
) -> tuple[Alliance, User]:
    """A further alliance with the default rules, the three funding objects, its coordination and
    its first coordinator."""
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    if not SLUG.match(slug):
        raise RuleViolation(
            _l("Das Kürzel besteht aus 2 bis 32 Kleinbuchstaben, Ziffern oder Bindestrichen.")
        )
    if not name:
        raise RuleViolation(_l("Bitte geben Sie den Namen des Bündnisses an."))
    if db.session.scalar(sa.select(Alliance.id).where(Alliance.slug == slug)) is not None:
        raise RuleViolation(_l("Es gibt bereits ein Bündnis mit dem Kürzel „%(slug)s“.", slug=slug))
    email = accounts.normalise_email(coordinator_email)
    if "@" not in email:
        raise RuleViolation(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."))
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise RuleViolation(_l("Es gibt bereits ein Konto für %(email)s.", email=email))
    problem = security.password_problem(password, email=email) if password is not None else None
    if problem:
        raise RuleViolation(problem, field="password")
    alliance = Alliance(slug=slug, name=name, committee_name=committee_name, rules={})
    db.session.add(alliance)
    db.session.flush()
    for number, label in FUNDING_OBJECTS:
        db.session.add(FundingObject(alliance_id=alliance.id, number=number, name=label))
    coordination = Organisation(
        alliance_id=alliance.id, name=f"Netzwerkkoordination {name}"[:200], kind="coordination"
    )
    db.session.add(coordination)
    db.session.flush()
    user = User(
        email=email,
        name=coordinator_name or email,
        role=COORDINATOR,
        organisation_id=coordination.id,
        password_hash=hash_password(password or secrets.token_urlsafe(32)),
    )
    db.session.add(user)
    db.session.flush()
    _log(alliance.id, None, ALLIANCE_CREATED, {"slug": slug, "name": name, "coordinator": email})
    db.session.commit()
    return alliance, user


def _ensure_coordinator(actor: User, alliance: Alliance) -> None:
    if not access.may(actor, "coordinate") or actor.alliance_id != alliance.id:
        raise NotAllowed(_l("Nur die Netzwerkkoordination ändert die Einstellungen des Bündnisses."))


def update_settings(
    alliance: Alliance, actor: User, rules: dict, committee_name: str, statement_needed: dict[int, bool]
) -> dict:
    """Change the rules of procedure; returns what changed (old, new), recorded as one event.

    Running votes keep the rules they were opened under (Vote.rules); running deadlines keep the
    day their starting event recorded."""
    _ensure_coordinator(actor, alliance)
    current = alliance.procedure
    merged = current.as_dict() | {k: v for k, v in rules.items() if k in current.as_dict()}
    for name, (low, high) in BOUNDS.items():
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise RuleViolation(
                _l("Der Wert muss zwischen %(low)s und %(high)s liegen.", low=low, high=high), field=name
            )
    for name in ("reminder_days", "revision_reminder_days"):
        days = merged[name]
        if not days or any(not isinstance(d, int) or not 0 <= d <= 365 for d in days):
            raise RuleViolation(
                _l("Bitte Tage als Zahlen von 0 bis 365 angeben, durch Komma getrennt."), field=name
            )
        merged[name] = sorted(set(days), reverse=(name == "reminder_days"))
    new = ProcedureRules.from_dict(merged)
    committee_name = (committee_name or "").strip()
    if not committee_name or len(committee_name) > 200:
        raise RuleViolation(
            _l("Bitte geben Sie den Namen des Gremiums an (höchstens 200 Zeichen)."), field="committee_name"
        )
    changed: dict[str, dict] = {}
    old_dict, new_dict = current.as_dict(), new.as_dict()
    for key in new_dict:
        if old_dict[key] != new_dict[key]:
            changed[key] = {"old": old_dict[key], "new": new_dict[key]}
    if committee_name != alliance.committee_name:
        changed["committee_name"] = {"old": alliance.committee_name, "new": committee_name}
        alliance.committee_name = committee_name
    for fo in alliance.funding_objects:
        wanted = statement_needed.get(fo.number, fo.needs_statement)
        if wanted != fo.needs_statement:
            changed[f"funding_object_{fo.number}_needs_statement"] = {
                "old": fo.needs_statement,
                "new": wanted,
            }
            fo.needs_statement = wanted
    # Only what differs from the defaults is stored (rules/procedure.py).
    defaults = ProcedureRules().as_dict()
    alliance.rules = {k: v for k, v in new_dict.items() if defaults[k] != v}
    if changed:
        _log(alliance.id, actor, SETTINGS_CHANGED, {"changed": changed})
    db.session.commit()
    return changed


def add_partner(alliance: Alliance, actor: User, name: str) -> Organisation:
    _ensure_coordinator(actor, alliance)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise RuleViolation(
            _l("Bitte geben Sie den Namen der Organisation an (höchstens 200 Zeichen)."), field="name"
        )
    existing = db.session.scalar(
        sa.select(Organisation).where(Organisation.alliance_id == alliance.id, Organisation.name == name)
    )
    if existing is not None:
        if existing.kind != PARTNER or existing.active:
            raise RuleViolation(_l("Es gibt bereits eine Organisation „%(name)s“.", name=name), field="name")
        existing.active = True  # a partner that returns
        organisation = existing
    else:
        organisation = Organisation(alliance_id=alliance.id, name=name, kind=PARTNER)
        db.session.add(organisation)
        db.session.flush()
    _log(alliance.id, actor, PARTNER_ADDED, {"organisation_id": organisation.id, "name": name})
    db.session.commit()
    return organisation


def _partner(alliance: Alliance, organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.alliance_id != alliance.id or organisation.kind != PARTNER:
        raise NotFound(_l("Diese Partnerorganisation gibt es nicht."))
    return organisation


def deactivate_partner(alliance: Alliance, actor: User, organisation_id: int) -> Organisation:
    """The partner leaves the alliance: it is asked to vote no more, its people can no longer log
    in; everything it did stays on record."""
    _ensure_coordinator(actor, alliance)
    organisation = _partner(alliance, organisation_id)
    organisation.active = False
    for user in db.session.scalars(sa.select(User).where(User.organisation_id == organisation.id)):
        user.active = False
    _log(
        alliance.id,
        actor,
        PARTNER_DEACTIVATED,
        {"organisation_id": organisation.id, "name": organisation.name},
    )
    db.session.commit()
    return organisation


def add_representative(alliance: Alliance, actor: User, organisation_id: int, name: str, email: str) -> User:
    """A representative of a partner: the account is created without a known password (they set
    their own through the password reset)."""
    _ensure_coordinator(actor, alliance)
    organisation = _partner(alliance, organisation_id)
    if not organisation.active:
        raise RuleViolation(_l("Diese Organisation ist nicht mehr Bündnispartner."), field="organisation")
    email = accounts.normalise_email(email)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise RuleViolation(_l("Bitte geben Sie den Namen der Person an."), field="name")
    if "@" not in email or len(email) > 254:
        raise RuleViolation(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."), field="email")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise RuleViolation(_l("Es gibt bereits ein Konto für %(email)s.", email=email), field="email")
    user = User(
        email=email,
        name=name,
        role=PARTNER,
        organisation_id=organisation.id,
        password_hash=hash_password(secrets.token_urlsafe(32)),
    )
    db.session.add(user)
    db.session.flush()
    _log(
        alliance.id,
        actor,
        REPRESENTATIVE_ADDED,
        {"user_id": user.id, "email": email, "organisation_id": organisation.id},
    )
    db.session.commit()
    return user


def deactivate_representative(alliance: Alliance, actor: User, user_id: int) -> User:
    _ensure_coordinator(actor, alliance)
    user = db.session.get(User, user_id)
    if user is None or user.alliance_id != alliance.id or user.role != PARTNER:
        raise NotFound(_l("Diese Person gibt es nicht."))
    user.active = False
    _log(alliance.id, actor, REPRESENTATIVE_DEACTIVATED, {"user_id": user.id, "email": user.email})
    db.session.commit()
    return user


def partners(alliance: Alliance) -> list[dict]:
    """The partner organisations with their representatives (two queries)."""
    organisations = list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.alliance_id == alliance.id, Organisation.kind == PARTNER)
            .order_by(Organisation.active.desc(), Organisation.name)
        )
    )
    people: dict[int, list[User]] = {o.id: [] for o in organisations}
    if organisations:
        for user in db.session.scalars(
            sa.select(User).where(User.organisation_id.in_(people)).order_by(User.name)
        ):
            people[user.organisation_id].append(user)
    return [{"organisation": o, "people": people[o.id]} for o in organisations]


def settings_history(alliance: Alliance, limit: int = 50) -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.alliance_id == alliance.id, Event.application_id.is_(None))
            .order_by(Event.id.desc())
            .limit(limit)
        )
    )
