"""Accounts: self-registration of sponsors with e-mail confirmation, invitations by the
coordination, forgotten passwords. Every link works once and expires (services/accounts.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from forms.accounts import ForgotPasswordForm, InviteForm, RegistrationForm, SetPasswordForm
from workflow.extensions import db
from workflow.lifecycle import ROLES
from workflow.models import Organisation
from workflow.models.user import ROLE_LABELS
from workflow.services import accounts
from workflow.services.errors import RuleViolation
from workflow.views import navigation

bp = Blueprint("accounts", __name__)

navigation.register(_l("Person einladen"), "accounts.invite", ("coordinator",), order=80)

PURPOSES = {accounts.INVITE: _l("Passwort festlegen"), accounts.RESET: _l("Neues Passwort festlegen")}


def _attach(form, refusal: RuleViolation) -> None:
    """A refusal of the domain shown at its field (or above the form)."""
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        form.form_errors.extend(refusal.messages)


@bp.route("/registrieren", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("applications.index"))
    # `?buendnis=<slug>`: the link each alliance publishes (services/accounts.registration_choice).
    shown, choices = accounts.registration_choice(request.args.get("buendnis"))
    form = RegistrationForm(alliances=choices)
    if shown is not None:
        g.page_alliance = shown
    if form.validate_on_submit():
        try:
            accounts.register(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                organisation_name=form.organisation_name.data,
                legal_form=form.legal_form.data,
                address=form.address.data,
                contact_person=form.contact_person.data,
                alliance_slug=shown.slug if shown else (form.alliance.data if "alliance" in form else None),
            )
        except RuleViolation as refusal:
            _attach(form, refusal)
        else:
            return render_template(
                "auth/message.html",
                title=gettext("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
                message=gettext(
                    "Wir haben Ihnen eine E-Mail geschickt. Bitte öffnen Sie den Link darin, um "
                    "Ihre Adresse zu bestätigen; danach können Sie sich anmelden und eine Beratung anfragen."
                ),
            )
    return render_template("auth/register.html", form=form, alliance=shown), (
        422 if form.errors or form.form_errors else 200
    )


@bp.app_context_processor
def _page_alliance():
    """`page_alliance()`: the alliance a page speaks for (its name in the header): the person's
    own; before login the one the registration address names, or the instance's only one."""

    def page_alliance():
        if "page_alliance" not in g:
            g.page_alliance = None
            try:
                if current_user.is_authenticated:
                    g.page_alliance = current_user.organisation.alliance
                else:
                    g.page_alliance = accounts.registration_choice()[0]
            except SQLAlchemyError:  # an error page while the database fails: no name, no second error
                db.session.rollback()
        return g.page_alliance

    return {"page_alliance": page_alliance}


@bp.route("/registrieren/bestaetigen/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button (mail scanners that open links must not use them up); POST confirms."""
    if request.method == "GET":
        user, _ = accounts.read_link(token, accounts.CONFIRM)
        return render_template("auth/confirm.html", email=user.email)
    accounts.confirm_email(token)
    flash(gettext("Ihre E-Mail-Adresse ist bestätigt. Sie können jetzt eine Beratung anfragen."), "success")
    return redirect(url_for("applications.index" if current_user.is_authenticated else "auth.login"))


@bp.post("/bestaetigung-erneut")
@login_required
def resend_confirmation():
    accounts.send_confirmation(current_user)
    flash(gettext("Wir haben Ihnen den Bestätigungslink noch einmal geschickt."), "success")
    return redirect(url_for("applications.index"))


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template(
            "auth/message.html",
            title=gettext("Link verschickt"),
            message=gettext(
                "Wenn es zu dieser Adresse ein Konto gibt, haben wir einen Link geschickt, mit dem "
                "Sie ein neues Passwort festlegen. Er gilt zwei Stunden und nur einmal."
            ),
        )
    return render_template("auth/forgot.html", form=form), (422 if form.errors else 200)


@bp.route("/passwort/<purpose>/<token>", methods=["GET", "POST"])
def set_password(purpose: str, token: str):
    if purpose not in PURPOSES:
        abort(404)
    user, _ = accounts.read_link(token, purpose)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(token, purpose, form.password.data)
        except RuleViolation as refusal:
            _attach(form, refusal)
        else:
            flash(gettext("Ihr Passwort ist gespeichert. Bitte melden Sie sich an."), "success")
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/set_password.html", form=form, title=str(PURPOSES[purpose]), email=user.email
    ), (422 if form.errors or form.form_errors else 200)


@bp.route("/personen/einladen", methods=["GET", "POST"])
@login_required
def invite():
    if not current_user.is_coordinator:
        abort(403)
    organisations = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.alliance_id == current_user.alliance_id)
        .order_by(Organisation.kind, Organisation.name)
    )
    form = InviteForm(
        roles=[(r, ROLE_LABELS[r]) for r in ROLES],
        organisations=[(o.id, f"{o.name} ({o.kind_label})") for o in organisations],
    )
    if form.validate_on_submit():
        try:
            user = accounts.invite(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                organisation_id=form.organisation_id.data or None,
                new_organisation=form.new_organisation.data or "",
            )
        except RuleViolation as refusal:
            _attach(form, refusal)
        else:
            flash(gettext("Einladung an %(email)s verschickt.", email=user.email), "success")
            return redirect(url_for(".invite"))
    return render_template("accounts/invite.html", form=form), (
        422 if form.errors or form.form_errors else 200
    )
