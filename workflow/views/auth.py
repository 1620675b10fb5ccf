from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import LoginForm
from workflow.extensions import login_manager
from workflow.services import accounts

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Bitte melden Sie sich an, um diese Seite zu sehen."
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str):
    return accounts.get_active_user(user_id)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never redirect a login to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("applications.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            language = session.get("language")
            session.clear()  # a fresh session on login (no fixation)
            if language:
                session["language"] = language
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("applications.index"))
        form.password.errors.append("E-Mail-Adresse oder Passwort sind nicht richtig.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


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
