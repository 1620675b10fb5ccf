from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import CodeForm, LoginForm
from workflow.extensions import login_manager
from workflow.services import accounts, security
from workflow.services.errors import RuleViolation

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Bitte melden Sie sich an, um diese Seite zu sehen."
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str):
    return accounts.get_active_user(user_id)


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site: never redirect a login to another one. Backslashes and control
    characters are refused too (browsers read `/\\evil.example` as `//evil.example`)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("applications.index"))
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr
        security.check_throttle(form.email.data, address)
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            security.record_failure(form.email.data, address)
            form.password.errors.append("E-Mail-Adresse oder Passwort sind nicht richtig.")
            return render_template("auth/login.html", form=form), 401
        _fresh_session()
        session["pending_user"] = user.id
        session["pending_next"] = _safe_next(request.args.get("next"))
        if user.totp_secret:
            return redirect(url_for(".second_factor"))
        if security.totp_required(user):
            return redirect(url_for(".enrol_second_factor"))
        return _complete_login(user)
    return render_template("auth/login.html", form=form), (422 if form.errors else 200)


def _fresh_session() -> None:
    """A fresh session on login (no fixation); the chosen language survives."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def _pending_user():
    user = accounts.get_active_user(session.get("pending_user"))
    if user is None:
        abort(redirect(url_for(".login")))
    return user


def _complete_login(user):
    target = session.pop("pending_next", None)
    session.pop("pending_user", None)
    security.clear_failures(user.email)
    login_user(user)
    return redirect(target or url_for("applications.index"))


@bp.route("/anmelden/code", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    form = CodeForm()
    if form.validate_on_submit():
        security.check_throttle(user.email, request.remote_addr)
        if security.verify_totp(user, form.code.data):
            return _complete_login(user)
        security.record_failure(user.email, request.remote_addr)
        form.code.errors.append("Der Code ist nicht gültig oder wurde schon verwendet.")
        return render_template("auth/code.html", form=form), 401
    return render_template("auth/code.html", form=form), (422 if form.errors else 200)


@bp.route("/anmelden/zwei-faktor-einrichten", methods=["GET", "POST"])
def enrol_second_factor():
    """Roles that need a second factor set it up before their first login completes."""
    user = _pending_user()
    secret = session.setdefault("pending_totp_secret", security.new_totp_secret())
    form = CodeForm()
    if form.validate_on_submit():
        try:
            security.enrol_totp(user, secret, form.code.data)
        except RuleViolation as refusal:
            form.code.errors.append(refusal.message)
        else:
            session.pop("pending_totp_secret", None)
            flash("Die Zwei-Faktor-Anmeldung ist eingerichtet.", "success")
            return _complete_login(user)
    uri = security.provisioning_uri(user, secret)
    return render_template(
        "auth/enrol.html", form=form, secret=secret, qr=security.qr_svg(uri), required=True
    ), (422 if form.errors else 200)


@bp.post("/abmelden")
@login_required
def logout():
    logout_user()
    session.clear()
    flash("Sie sind abgemeldet.", "success")
    return redirect(url_for("auth.login"))


@bp.post("/sprache")
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
    return redirect(_safe_next(request.form.get("next")) or url_for("applications.index"))
