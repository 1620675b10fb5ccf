"""The person's own account page (/konto): who they are, the second factor (TOTP), their API tokens
(created, shown once, revoked) and a link to their calendar feed."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.auth import CodeForm
from forms.notifications import preferences_form
from forms.tokens import TokenForm
from workflow.services import calendar_feeds, notifications, security, tokens
from workflow.services.errors import RuleViolation
from workflow.views import navigation

bp = Blueprint("account", __name__, url_prefix="/konto")

navigation.register(
    _l("Mein Konto"), "account.index", ("applicant", "partner", "coordinator", "observer"), order=90
)


def _page(
    code_form: CodeForm,
    token_form: TokenForm,
    new_token: str | None = None,
    status: int = 200,
    notification_form=None,
):
    secret = None
    if not current_user.totp_secret:
        secret = session.setdefault("enrol_totp_secret", security.new_totp_secret())
    qr = security.qr_svg(security.provisioning_uri(current_user, secret)) if secret else None
    response = render_template(
        "account/index.html",
        form=code_form,
        secret=secret,
        qr=qr,
        required=security.totp_required(current_user),
        token_form=token_form,
        tokens=tokens.all_of(current_user),
        new_token=new_token,
        feed=calendar_feeds.active_feed(current_user),
        notification_form=notification_form or preferences_form(notifications.preferences(current_user)),
    )
    # The page shows a new token once and the enrolment secret: never cached.
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = CodeForm()
    if not current_user.totp_secret and form.validate_on_submit():
        secret = session.setdefault("enrol_totp_secret", security.new_totp_secret())
        try:
            security.enrol_totp(current_user, secret, form.code.data)
        except RuleViolation as refusal:
            form.code.errors.append(refusal.message)
        else:
            session.pop("enrol_totp_secret", None)
            flash(gettext("Die Zwei-Faktor-Anmeldung ist eingerichtet."), "success")
            return redirect(url_for(".index"))
    return _page(form, TokenForm(formdata=None), status=422 if form.errors else 200)


@bp.post("/zwei-faktor-abschalten")
@login_required
def disable_second_factor():
    # RuleViolation (422) for roles that need it, and without a current code
    security.disable_totp(current_user, request.form.get("code", ""))
    flash(gettext("Die Zwei-Faktor-Anmeldung ist abgeschaltet."), "success")
    return redirect(url_for(".index"))


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _, plain = tokens.create(current_user, form.name.data)
        except RuleViolation as refusal:
            form.name.errors = list(refusal.messages)
        else:
            # Shown on this page only, never again (only its hash is stored).
            return _page(CodeForm(formdata=None), TokenForm(formdata=None), new_token=plain, status=201)
    return _page(CodeForm(formdata=None), form, status=422)


@bp.post("/tokens/<int:token_id>/widerrufen")
@login_required
def revoke_token(token_id: int):
    token = tokens.revoke(current_user, token_id)
    flash(gettext("Das Token „%(name)s“ ist widerrufen und gilt nicht mehr.", name=token.name), "success")
    return redirect(url_for(".index") + "#api-tokens")


@bp.post("/benachrichtigungen")
@login_required
def notification_settings():
    """At once or in the daily digest, per kind of notification that needs no action."""
    form = preferences_form(notifications.preferences(current_user), request.form)
    if form.validate_on_submit():
        notifications.set_preferences(current_user, {kind: form[kind].data for kind in form.kinds})
        flash(gettext("Ihre Einstellungen zu Benachrichtigungen sind gespeichert."), "success")
        return redirect(url_for(".index") + "#notification-settings")
    return _page(CodeForm(formdata=None), TokenForm(formdata=None), notification_form=form, status=422)
