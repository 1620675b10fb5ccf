from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from forms.auth import CodeForm, LoginForm, SignInLinkForm
from workflow.extensions import login_manager
from workflow.services import accounts, security, sign_in_links
from workflow.services.errors import RuleViolation

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Bitte melden Sie sich an, um diese Seite zu sehen.")
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


def _login_page(form: LoginForm, link_form: SignInLinkForm, status: int):
    minutes = current_app.config["SIGN_IN_LINK_MAX_AGE"] // 60
    return render_template("auth/login.html", form=form, link_form=link_form, link_minutes=minutes), status


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("applications.index"))
    form, link_form = LoginForm(), SignInLinkForm(prefix="link", formdata=None)
    if form.validate_on_submit():
        address = request.remote_addr
        security.check_throttle(form.email.data, address)
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            security.record_failure(form.email.data, address)
            form.password.errors.append(gettext("E-Mail-Adresse oder Passwort sind nicht richtig."))
            return _login_page(form, link_form, 401)
        _fresh_session()
        session["pending_user"] = user.id
        session["pending_next"] = _safe_next(request.args.get("next"))
        if user.totp_secret:
            return redirect(url_for(".second_factor"))
        if security.totp_required(user):
            return redirect(url_for(".enrol_second_factor"))
        return _complete_login(user)
    return _login_page(form, link_form, 422 if form.errors else 200)


@bp.post("/anmelden/link")
def request_sign_in_link():
    """Sends the link (to partners and sponsors whose account may use one); the same answer for
    every address. The page the person came for travels in the link."""
    if current_user.is_authenticated:
        return redirect(url_for("applications.index"))
    link_form = SignInLinkForm(prefix="link")
    if not link_form.validate_on_submit():
        return _login_page(LoginForm(formdata=None), link_form, 422)
    sign_in_links.request_link(
        link_form.email.data, request.remote_addr, _safe_next(request.args.get("next"))
    )
    minutes = current_app.config["SIGN_IN_LINK_MAX_AGE"] // 60
    return render_template(
        "auth/message.html",
        title=gettext("Anmeldelink verschickt"),
        message=gettext(
            "Wenn Partner oder Projektträger mit dieser Adresse ein Konto haben, haben wir einen "
            "Anmeldelink geschickt. Er gilt %(minutes)s Minuten und nur einmal. Konten mit zweitem Faktor "
            "(die Netzwerkkoordination) melden sich mit Passwort an.",
            minutes=minutes,
        ),
    )


@bp.route("/anmelden/link/<token>", methods=["GET", "POST"])
def link_sign_in(token: str):
    """GET shows a button (mail scanners that open links must not use them up); POST signs in."""
    target = _safe_next(request.args.get("next"))
    if request.method == "GET":
        user = sign_in_links.account_of(token)
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(target or url_for("applications.index"))
        return render_template("auth/link_sign_in.html", email=user.email, target=target)
    user = sign_in_links.sign_in(token)
    if not _known_browser(user):
        sign_in_links.announce_new_browser(user, request.headers.get("User-Agent", ""))
    _fresh_session()
    _sign_in(user)
    return _remember_browser(redirect(target or url_for("applications.index")), user)


# A browser that someone has signed in with is remembered in a signed cookie (the ids of its
# accounts, no personal data): a sign-in link used anywhere else is announced to the account.
KNOWN_BROWSER_COOKIE = "antragsweg_browser"
KNOWN_BROWSER_ACCOUNTS = 10
KNOWN_BROWSER_DAYS = 400  # browsers cap cookie lifetimes at about 400 days


def _browser_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="antragsweg-known-browser")


def _known_accounts() -> list[int]:
    try:
        ids = _browser_serializer().loads(request.cookies.get(KNOWN_BROWSER_COOKIE, ""))
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def _known_browser(user) -> bool:
    return user.id in _known_accounts()


def _remember_browser(response, user):
    ids = [user.id] + [i for i in _known_accounts() if i != user.id]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _browser_serializer().dumps(ids[:KNOWN_BROWSER_ACCOUNTS]),
        max_age=KNOWN_BROWSER_DAYS * 24 * 3600,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def _fresh_session() -> None:
    """A fresh session on login (no fixation); the chosen language survives."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def _sign_in(user) -> None:
    """The language chosen in this browser wins; without one, the person's own (kept on the
    account for their mails) applies."""
    login_user(user)
    if "language" not in session and user.language in current_app.config["LANGUAGES"]:
        session["language"] = user.language


def _pending_user():
    user = accounts.get_active_user(session.get("pending_user"))
    if user is None:
        abort(redirect(url_for(".login")))
    return user


def _complete_login(user):
    target = session.pop("pending_next", None)
    session.pop("pending_user", None)
    security.clear_failures(user.email)
    _sign_in(user)
    return _remember_browser(redirect(target or url_for("applications.index")), user)


@bp.route("/anmelden/code", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    form = CodeForm()
    if form.validate_on_submit():
        security.check_throttle(user.email, request.remote_addr)
        if security.verify_totp(user, form.code.data):
            return _complete_login(user)
        security.record_failure(user.email, request.remote_addr)
        form.code.errors.append(gettext("Der Code ist nicht gültig oder wurde schon verwendet."))
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
            flash(gettext("Die Zwei-Faktor-Anmeldung ist eingerichtet."), "success")
            return _complete_login(user)
    uri = security.provisioning_uri(user, secret)
    return render_template(
        "auth/enrol.html", form=form, secret=secret, qr=security.qr_svg(uri), required=True
    ), (422 if form.errors else 200)


@bp.post("/abmelden")
@login_required
def logout():
    logout_user()
    _fresh_session()
    flash(gettext("Sie sind abgemeldet."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/sprache")
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            accounts.remember_language(current_user, language)
    return redirect(_safe_next(request.form.get("next")) or url_for("applications.index"))
