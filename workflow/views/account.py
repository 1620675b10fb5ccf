"""The person's own account: the second factor (TOTP)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.auth import CodeForm
from workflow.services import security
from workflow.services.errors import RuleViolation
from workflow.views import navigation

bp = Blueprint("account", __name__, url_prefix="/konto")

navigation.register(
    _l("Mein Konto"), "account.index", ("applicant", "partner", "coordinator", "observer"), order=90
)


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = CodeForm()
    secret = None
    if not current_user.totp_secret:
        secret = session.setdefault("enrol_totp_secret", security.new_totp_secret())
        if form.validate_on_submit():
            try:
                security.enrol_totp(current_user, secret, form.code.data)
            except RuleViolation as refusal:
                form.code.errors.append(refusal.message)
            else:
                session.pop("enrol_totp_secret", None)
                flash("Die Zwei-Faktor-Anmeldung ist eingerichtet.", "success")
                return redirect(url_for(".index"))
    qr = security.qr_svg(security.provisioning_uri(current_user, secret)) if secret else None
    return render_template(
        "account/index.html",
        form=form,
        secret=secret,
        qr=qr,
        required=security.totp_required(current_user),
    ), (422 if form.errors else 200)


@bp.post("/zwei-faktor-abschalten")
@login_required
def disable_second_factor():
    security.disable_totp(current_user)  # RuleViolation (422) for roles that need it
    flash("Die Zwei-Faktor-Anmeldung ist abgeschaltet.", "success")
    return redirect(url_for(".index"))
