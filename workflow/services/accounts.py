"""People and organisations: logging in, creating accounts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from workflow.extensions import db
from workflow.formatting import page_datetime
from workflow.i18n import in_language_of
from workflow.lifecycle import N_, ROLES
from workflow.models import Alliance, Organisation, User
from workflow.models.organisation import KIND_FOR_ROLE
from workflow.models.types import utcnow
from workflow.passwords import dummy_verify, hash_password, verify_password
from workflow.services import notifications, security
from workflow.services.errors import LinkInvalid, NotAllowed, NotFound, RuleViolation
from workflow.services.jobs import claim, claimed
from workflow.services.notifications import mail_to
from workflow.services.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH  # noqa: F401 - for forms


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_active_user(user_id: str) -> User | None:
    """The signed-in person of a request, with their unread notifications counted in the same query."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    row = db.session.execute(
        sa.select(User, notifications.unread_count_column()).where(User.id == key)
    ).first()
    if row is None or not row[0].active:
        return None
    notifications.remember_unread(row[0], row[1])
    return row[0]


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
            _l(
                "Die Organisation „%(name)s“ ist als %(kind_label)s erfasst; Personen der Rolle „%(kind)s“ "
                "gehören zu einer anderen Art von Organisation.",
                name=name,
                kind_label=organisation.kind_label,
                kind=kind,
            )
        )
    return organisation


def create_user(
    *, email: str, name: str, role: str, organisation: str, password: str, alliance_slug: str
) -> User:
    """Create an account (and its organisation, of the kind that fits the role, if new)."""
    if role not in ROLES:
        raise RuleViolation(_l("Unbekannte Rolle: %(role)s", role=role))
    email = normalise_email(email)
    if "@" not in email:
        raise RuleViolation(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."))
    _check_password(password, email=email, name=name)
    alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == alliance_slug))
    if alliance is None:
        raise NotFound(
            _l("Es gibt kein Bündnis mit dem Kürzel „%(alliance_slug)s“.", alliance_slug=alliance_slug)
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise RuleViolation(_l("Es gibt bereits ein Konto für %(email)s.", email=email))
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


# -- links by mail: confirmation, invitation, password reset --------------------------------------
#
# A link carries a signed, timed token (itsdangerous) with the person's id, a random nonce and a
# fingerprint of the password hash. It works once: using it claims "link:<nonce>" in the
# dispatches table, committed with the change it makes. A reset link also stops working as soon
# as the password changed by any other way.

CONFIRM, INVITE, RESET, SIGN_IN = "confirm-email", "invite", "reset-password", "sign-in"
LINK_AGES = {
    CONFIRM: "CONFIRM_LINK_MAX_AGE",
    INVITE: "INVITE_LINK_MAX_AGE",
    RESET: "RESET_LINK_MAX_AGE",
    SIGN_IN: "SIGN_IN_LINK_MAX_AGE",
}
LINK_ENDPOINTS = {
    CONFIRM: "accounts.confirm",
    INVITE: "accounts.set_password",
    RESET: "accounts.set_password",
    SIGN_IN: "auth.link_sign_in",
}
LINK_EXPIRED = _l(
    "Dieser Link ist abgelaufen. Bitte fordern Sie einen neuen an "
    "(„Passwort vergessen?“ auf der Anmeldeseite oder „Bestätigungslink erneut senden“)."
)
SIGN_IN_LINK_EXPIRED = N_(
    "Dieser Anmeldelink ist abgelaufen (er gilt %(minutes)s Minuten). Bitte fordern Sie auf der "
    "Anmeldeseite einen neuen an."
)
LINK_USED = _l("Dieser Link wurde bereits verwendet. Jeder Link gilt nur einmal.")
LINK_BROKEN = _l("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert haben.")


def remember_language(user: User, language: str) -> None:
    """The language the person chose for the pages, kept for the mails written to them."""
    if user.language != language:
        user.language = language
        db.session.commit()


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="antragsweg-links")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_link_token(user: User, purpose: str) -> str:
    return _serializer().dumps(
        {"u": user.id, "p": purpose, "n": secrets.token_urlsafe(16), "f": _fingerprint(user)}
    )


def link_url(user: User, purpose: str, **query: str) -> str:
    """The link's full address; `query` goes into its query string (e.g. the page to land on)."""
    kwargs = {"token": make_link_token(user, purpose), **query}
    if LINK_ENDPOINTS[purpose] == "accounts.set_password":
        kwargs["purpose"] = purpose
    path = current_app.url_map.bind("").build(LINK_ENDPOINTS[purpose], kwargs)
    return current_app.config["BASE_URL"].rstrip("/") + path


def read_link(token: str, purpose: str) -> tuple[User, str]:
    """The person a link is for and its nonce; raises LinkInvalid (expired, used, altered)."""
    if purpose not in LINK_AGES:
        raise LinkInvalid(LINK_BROKEN)
    try:
        payload = _serializer().loads(token, max_age=current_app.config[LINK_AGES[purpose]])
    except SignatureExpired as exc:
        if purpose == SIGN_IN:
            minutes = current_app.config["SIGN_IN_LINK_MAX_AGE"] // 60
            raise LinkInvalid(lazy_gettext(SIGN_IN_LINK_EXPIRED, minutes=minutes)) from exc
        raise LinkInvalid(LINK_EXPIRED) from exc
    except BadSignature as exc:
        raise LinkInvalid(LINK_BROKEN) from exc
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        raise LinkInvalid(LINK_BROKEN)
    user = db.session.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if user is None or not user.active:
        raise LinkInvalid(LINK_BROKEN)
    nonce = str(payload.get("n"))
    if claimed(f"link:{nonce}") or payload.get("f") != _fingerprint(user):
        raise LinkInvalid(LINK_USED)
    return user, nonce


def use_link(token: str, purpose: str) -> User:
    """Claims the link (once); the caller commits the claim with the change the link makes."""
    user, nonce = read_link(token, purpose)
    if not claim(f"link:{nonce}"):
        db.session.rollback()
        raise LinkInvalid(LINK_USED)
    return user


def _mail_link(user: User, purpose: str) -> None:
    """In the person's language (German unless they chose English)."""
    until = utcnow() + timedelta(seconds=current_app.config[LINK_AGES[purpose]])
    url = link_url(user, purpose)
    alliance = user.organisation.alliance.name
    with in_language_of(user):
        texts = {
            CONFIRM: (
                gettext("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
                gettext(
                    "Sie haben sich bei Antragsweg registriert (%(alliance)s). Bitte bestätigen Sie Ihre "
                    "E-Mail-Adresse mit diesem Link; erst danach können Sie eine Beratung anfragen und "
                    "Unterlagen einreichen:",
                    alliance=alliance,
                ),
            ),
            INVITE: (
                gettext("Einladung zu Antragsweg"),
                gettext(
                    "die Netzwerkkoordination der %(alliance)s hat für Sie ein Konto bei Antragsweg angelegt "
                    "(%(role)s, %(organisation)s). Bitte legen Sie mit diesem Link Ihr Passwort fest:",
                    alliance=alliance,
                    role=gettext(user.role_label),
                    organisation=user.organisation.name,
                ),
            ),
            RESET: (
                gettext("Neues Passwort für Antragsweg"),
                gettext(
                    "Sie (oder jemand anderes) haben ein neues Passwort für Ihr Konto angefordert. Mit "
                    "diesem Link legen Sie es fest; wenn Sie nichts angefordert haben, ignorieren Sie "
                    "diese Nachricht:"
                ),
            ),
        }
        subject, text = texts[purpose]
        valid = gettext("Der Link gilt einmal, bis %(until)s.", until=page_datetime(until))
        mail_to(user, subject, f"{text}\n\n{url}\n\n{valid}")


def _check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Length, common passwords, dictionary words, the person's own data (security.py)."""
    problem = security.password_problem(password or "", email=email, name=name)
    if problem:
        raise RuleViolation(problem, field="password")


def alliances_open_for_registration() -> list[Alliance]:
    """The alliances a sponsor may register with (every alliance of the instance), by name."""
    return list(db.session.scalars(sa.select(Alliance).order_by(Alliance.name, Alliance.id)))


def registration_alliance(slug: str | None) -> Alliance | None:
    """The alliance an address names (`/registrieren?buendnis=weser`); None when it names none.
    An unknown one is a 404 (a link that leads nowhere, not a silent default)."""
    if slug is None:
        return None
    alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == slug.strip().lower()))
    if alliance is None:
        raise NotFound(_l("Dieses Bündnis gibt es nicht. Bitte prüfen Sie den Link zur Registrierung."))
    return alliance


def registration_choice(slug: str | None = None) -> tuple[Alliance | None, list[Alliance]]:
    """The one rule of which alliance a sponsor registers with: (decided, to choose from). The
    registration address's alliance (`slug`) decides; without one, the instance's only alliance;
    with several, the sponsor chooses from them: never a silent default (the first alliance) for
    someone of another."""
    named = registration_alliance(slug)
    if named is not None:
        return named, []
    alliances = alliances_open_for_registration()
    if len(alliances) == 1:
        return alliances[0], []
    return None, alliances


def _alliance_to_register_with(slug: str | None) -> Alliance:
    """The alliance chosen in the form (or decided by the address); with none, the rule's."""
    if slug:
        alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == slug))
        if alliance is None:
            raise RuleViolation(_l("Bitte wählen Sie ein Bündnis aus der Liste."), field="alliance")
        return alliance
    decided, _ = registration_choice()
    if decided is None:
        raise RuleViolation(
            _l("Bitte wählen Sie das Bündnis, bei dem Sie Ihr Projekt einreichen möchten."), field="alliance"
        )
    return decided


def register(
    *,
    email: str,
    password: str,
    name: str,
    organisation_name: str,
    legal_form: str,
    address: str,
    contact_person: str,
    alliance_slug: str | None = None,
) -> User | None:
    """A sponsor registers themselves and their organisation with the alliance they chose (with
    one alliance in the instance, that one); the address is confirmed by a link.

    Returns None (and mails the address a hint instead) when an account for it exists already, so
    that the page never tells strangers which addresses have accounts.
    """
    email = normalise_email(email)
    _check_password(password, email=email, name=name)
    alliance = _alliance_to_register_with(alliance_slug)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None:
        mail_to(
            existing,
            "Registrierung bei Antragsweg",
            "jemand hat versucht, mit Ihrer E-Mail-Adresse ein neues Konto anzulegen. Sie haben "
            "bereits ein Konto. Wenn Sie Ihr Passwort nicht mehr wissen, nutzen Sie „Passwort "
            "vergessen?“ auf der Anmeldeseite.",
        )
        db.session.commit()
        return None
    organisation_name = organisation_name.strip()
    if db.session.scalar(
        sa.select(Organisation.id).where(
            Organisation.alliance_id == alliance.id, Organisation.name == organisation_name
        )
    ):
        raise RuleViolation(
            _l(
                "Die Organisation „%(organisation_name)s“ ist bereits registriert. Bitte bitten Sie die "
                "Netzwerkkoordination, Sie in das Konto Ihrer Organisation einzuladen.",
                organisation_name=organisation_name,
            ),
            field="organisation_name",
        )
    organisation = Organisation(
        alliance_id=alliance.id,
        name=organisation_name,
        kind=KIND_FOR_ROLE["applicant"],
        legal_form=legal_form.strip(),
        address=address.strip(),
        contact_person=contact_person.strip(),
    )
    db.session.add(organisation)
    db.session.flush()
    user = User(
        email=email,
        name=name.strip() or email,
        role="applicant",
        organisation_id=organisation.id,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    # Unconfirmed until the link is used (the column's default confirms accounts made otherwise).
    user.email_confirmed_at = None
    db.session.flush()
    db.session.refresh(user)
    _mail_link(user, CONFIRM)
    db.session.commit()
    return user


def send_confirmation(user: User) -> None:
    if user.email_confirmed:
        return
    _mail_link(user, CONFIRM)
    db.session.commit()


def confirm_email(token: str) -> User:

    user = use_link(token, CONFIRM)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    return user


def invite(
    coordinator: User, *, email: str, name: str, role: str, organisation_id: int | None, new_organisation: str
) -> User:
    """The coordination creates an account; the person sets the password through a mailed link."""
    if not coordinator.is_coordinator:
        raise NotAllowed(_l("Nur die Netzwerkkoordination lädt Personen ein."))
    if role not in ROLES:
        raise RuleViolation(_l("Unbekannte Rolle: %(role)s", role=role), field="role")
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise RuleViolation(_l("Es gibt bereits ein Konto für %(email)s.", email=email), field="email")
    alliance = db.session.get(Alliance, coordinator.alliance_id)
    if organisation_id:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None or organisation.alliance_id != alliance.id:
            raise RuleViolation(
                _l("Bitte wählen Sie eine Organisation aus der Liste."), field="organisation_id"
            )
        if organisation.kind != KIND_FOR_ROLE[role]:
            raise RuleViolation(
                _l(
                    "„%(name)s“ ist als %(kind_label)s erfasst und passt nicht zu dieser Rolle.",
                    name=organisation.name,
                    kind_label=organisation.kind_label,
                ),
                field="organisation_id",
            )
    elif new_organisation.strip():
        organisation = get_or_create_organisation(alliance, new_organisation.strip(), KIND_FOR_ROLE[role])
    else:
        raise RuleViolation(_l("Bitte wählen oder nennen Sie die Organisation."), field="organisation_id")
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        organisation_id=organisation.id,
        # Nobody knows this password: the account is usable once the link has set one.
        password_hash=hash_password(secrets.token_urlsafe(32)),
    )
    db.session.add(user)
    db.session.flush()
    # Unconfirmed until the link is used (the column's default confirms accounts made otherwise).
    user.email_confirmed_at = None
    db.session.flush()
    db.session.refresh(user)
    _mail_link(user, INVITE)
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Mails a reset link if there is an active account; says nothing either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is not None and user.active:
        _mail_link(user, RESET)
        db.session.commit()


def set_password(token: str, purpose: str, password: str) -> User:
    """Sets the password through an invitation or reset link (once); the link proves the address."""
    if purpose not in (INVITE, RESET):
        raise LinkInvalid(LINK_BROKEN)
    _check_password(password)
    user = use_link(token, purpose)
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    return user
