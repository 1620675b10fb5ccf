"""Login protection: throttling of failed attempts, the second factor (TOTP), password rules."""

from __future__ import annotations

import io
from datetime import timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from zxcvbn import zxcvbn

from workflow.extensions import db
from workflow.models import LoginFailure, User
from workflow.models.types import utcnow
from workflow.services.errors import DomainError, RuleViolation

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


class TooManyAttempts(DomainError):
    status = 429


# Throttles are counted per account and per client address. The password login counts failed
# attempts; the sign-in link counts every request (each one sends a mail) under its own prefix.
LOGIN, SIGN_IN_LINK = "", "link-"


def _keys(email: str, address: str | None, scope: str = LOGIN) -> list[str]:
    keys = [f"{scope}account:{(email or '').strip().lower()}"]
    if address:
        keys.append(f"{scope}address:{address}")
    return keys


def check_throttle(email: str, address: str | None, scope: str = LOGIN) -> None:
    """Refuse (429) while an account or an address has failed too often in the window."""
    config = current_app.config
    since = utcnow() - timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    limits = {
        "account": config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        "address": config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
    }
    for key in _keys(email, address, scope):
        failures = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        if failures >= limits[key.removeprefix(scope).split(":", 1)[0]]:
            raise TooManyAttempts(
                ngettext(
                    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(num)s Minute "
                    "und versuchen Sie es dann erneut.",
                    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(num)s Minuten "
                    "und versuchen Sie es dann erneut.",
                    config["LOGIN_THROTTLE_MINUTES"],
                )
                if scope == LOGIN
                else ngettext(
                    "Zu viele Anmeldelinks angefordert. Bitte warten Sie %(num)s Minute und "
                    "versuchen Sie es dann erneut.",
                    "Zu viele Anmeldelinks angefordert. Bitte warten Sie %(num)s Minuten und "
                    "versuchen Sie es dann erneut.",
                    config["LOGIN_THROTTLE_MINUTES"],
                )
            )


def record_failure(email: str, address: str | None, scope: str = LOGIN, *, commit: bool = True) -> None:
    for key in _keys(email, address, scope):
        db.session.add(LoginFailure(key=key))
    if commit:
        db.session.commit()


def clear_failures(email: str) -> None:
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == _keys(email, None)[0]))
    db.session.commit()


# -- second factor ----------------------------------------------------------------------------------


def totp_required(user: User) -> bool:
    return user.role in current_app.config["TOTP_REQUIRED_ROLES"]


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code as SVG markup for the page. Safe to embed: segno draws the data as path
    geometry (no text of it), with a fixed title, no script and no external reference."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True, title="QR-Code")
    return Markup(out.getvalue().decode())  # noqa: S704  # nosec B704


def _matching_step(secret: str, code: str) -> int | None:
    """The time step a 6-digit code belongs to (now, or one step before/after), else None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=30 * offset)
        if totp.verify(code, for_time=moment, valid_window=0):
            return totp.timecode(moment)
    return None


def verify_totp(user: User, code: str) -> bool:
    """A valid code that was not used before (no replay)."""
    step = _matching_step(user.totp_secret or "", code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    db.session.commit()
    return True


def enrol_totp(user: User, secret: str, code: str) -> None:
    step = _matching_step(secret, code)
    if step is None:
        raise RuleViolation(
            _l("Der Code passt nicht. Bitte geben Sie den aktuellen sechsstelligen Code ein."), field="code"
        )
    user.totp_secret = secret
    user.totp_last_step = step
    db.session.commit()


def disable_totp(user: User, code: str) -> None:
    """Only with a current code: a stolen session alone cannot switch the second factor off."""
    if totp_required(user):
        raise RuleViolation(_l("Für Ihre Rolle ist die Zwei-Faktor-Anmeldung vorgeschrieben."))
    if not verify_totp(user, code):
        raise RuleViolation(_l("Der Code ist nicht gültig oder wurde schon verwendet."), field="code")
    user.totp_secret = None
    user.totp_last_step = None
    db.session.commit()


# -- passwords ------------------------------------------------------------------------------------


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is not good enough (German), or None. Checked against common passwords,
    dictionary words and the person's own data (zxcvbn)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("Das Passwort muss mindestens %(length)s Zeichen haben.", length=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("Das Passwort darf höchstens %(length)s Zeichen haben.", length=MAX_PASSWORD_LENGTH)
    result = zxcvbn(password[:100], user_inputs=[email, name, "antragsweg", "allianz", "fachkräfte"])
    if result["score"] < 3:
        return _l(
            "Dieses Passwort ist zu leicht zu erraten (es ist verbreitet oder zu einfach). "
            "Wählen Sie eine längere Passphrase aus mehreren Wörtern."
        )
    return None
