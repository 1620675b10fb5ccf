"""Sign-in by mail link for partners and sponsors: a one-time link, valid 15 minutes, bound to the
account (the links of accounts.py: signed, timed, claimed once, void when the password changes),
throttled like the password login. Accounts with a second factor (coordinators always) keep it and
cannot sign in this way: a link would be a way around it."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import page_datetime
from workflow.i18n import in_language_of
from workflow.lifecycle import APPLICANT, PARTNER
from workflow.models import User
from workflow.models.types import utcnow
from workflow.services import accounts, security
from workflow.services.errors import NotAllowed
from workflow.services.notifications import mail_to

ROLES = (PARTNER, APPLICANT)
USER_AGENT_SHOWN = 120  # characters of the browser's self-description quoted in the notice


def may_use(user: User | None) -> bool:
    return (
        user is not None
        and user.active
        and user.role in ROLES
        and not user.totp_secret
        and not security.totp_required(user)
    )


def request_link(email: str, address: str | None, next_path: str | None) -> None:
    """Mail a sign-in link if the address belongs to an account that may use one. Says nothing
    either way (no one learns which addresses have accounts); every request counts towards the
    throttle, since each one may send a mail."""
    security.check_throttle(email, address)  # an account under password attack gets no link either
    security.check_throttle(email, address, security.SIGN_IN_LINK)
    # One commit in either case: an address with an account must not answer measurably later.
    security.record_failure(email, address, security.SIGN_IN_LINK, commit=False)
    user = db.session.scalar(sa.select(User).where(User.email == accounts.normalise_email(email)))
    if not may_use(user):
        db.session.commit()
        return
    query = {"next": next_path} if next_path else {}
    url = accounts.link_url(user, accounts.SIGN_IN, **query)
    age = timedelta(seconds=current_app.config["SIGN_IN_LINK_MAX_AGE"])
    with in_language_of(user):
        text = gettext(
            "mit diesem Link melden Sie sich bei Antragsweg an, ohne Passwort:\n\n%(url)s\n\n"
            "Der Link gilt einmal, bis %(until)s, und nur für Ihr Konto. Wenn Sie keinen Link "
            "angefordert haben, ignorieren Sie diese Nachricht; Ihr Konto bleibt unverändert.",
            url=url,
            until=page_datetime(utcnow() + age),
        )
        mail_to(user, gettext("Ihr Anmeldelink für Antragsweg"), text)
    db.session.commit()


def account_of(token: str) -> User:
    """Whose link it is (for the confirmation page); raises LinkInvalid as accounts.read_link."""
    user, _ = accounts.read_link(token, accounts.SIGN_IN)
    _ensure_allowed(user)
    return user


def sign_in(token: str) -> User:
    """Use the link (once) and return the person to sign in. Using it proves the mailbox, so an
    unconfirmed address counts as confirmed from now on."""
    user = accounts.use_link(token, accounts.SIGN_IN)
    _ensure_allowed(user)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    security.clear_failures(user.email)
    return user


def announce_new_browser(user: User, user_agent: str) -> None:
    """Tell the account that a sign-in link was used in a browser it had not been used in."""
    browser = _browser_name(user_agent)
    with in_language_of(user):
        text = gettext(
            "am %(time)s hat sich jemand mit einem Anmeldelink in einem Browser bei Ihrem Konto "
            "angemeldet, in dem das bisher nicht geschehen ist (%(browser)s).\n\n"
            "Wenn Sie das waren, ist nichts zu tun. Wenn nicht, ändern Sie bitte sofort Ihr Passwort "
            "(„Passwort vergessen?“ auf der Anmeldeseite) und verständigen Sie die Netzwerkkoordination.",
            time=page_datetime(utcnow()),
            browser=browser,
        )
        mail_to(user, gettext("Neue Anmeldung bei Antragsweg"), text)
    db.session.commit()


def _browser_name(user_agent: str) -> str:
    """The browser's self-description as the notice quotes it: words, versions and brackets
    only, never an address (the header is the client's to choose, the mail is a security notice)."""
    words = [
        w for w in (user_agent or "").split() if "://" not in w and "www." not in w.lower() and "@" not in w
    ]
    text = re.sub(r"[^A-Za-z0-9 ._();,/+-]", "", " ".join(words))[:USER_AGENT_SHOWN].strip()
    return text or "unbekannter Browser"


def _ensure_allowed(user: User) -> None:
    if not may_use(user):
        db.session.rollback()
        raise NotAllowed(
            _l(
                "Für dieses Konto ist die Anmeldung per Link nicht vorgesehen. Bitte melden Sie sich mit "
                "Passwort (und zweitem Faktor) an."
            )
        )
