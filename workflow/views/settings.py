"""The alliance's own settings page (coordinator): rules of procedure, committee, funding objects,
partner organisations and their representatives."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.settings import ConfirmForm, PartnerForm, ProcedureForm, RepresentativeForm
from workflow.extensions import db
from workflow.lifecycle import COORDINATOR
from workflow.models import Alliance
from workflow.services import alliances
from workflow.services.errors import RuleViolation
from workflow.views import navigation

bp = Blueprint("settings", __name__)

navigation.register(_l("Einstellungen"), "settings.index", ("coordinator",), order=90)
SETTING_LABELS = {
    "assessment_days": "Frist Ersteinschätzung",
    "statement_days": "Frist Stellungnahme",
    "circulation_days": "Dauer Umlaufverfahren",
    "quorum_percent": "Quorum (%)",
    "secret_while_open": "Geheim bis zum Schluss",  # a label, not a password  # nosec B105
    "attributed_comments": "Kommentare mit Namen",
    "max_funding_rate_percent": "Höchster Fördersatz (%)",
    "reminder_days": "Erinnerungen vor Fristen",
    "revision_reminder_days": "Erinnerungen an Überarbeitungen",
    "committee_name": "Name des Gremiums",
}


def _alliance() -> Alliance:
    if current_user.role != COORDINATOR:
        abort(403)
    return db.session.get(Alliance, current_user.alliance_id)


def _procedure_form(alliance: Alliance, formdata=None) -> ProcedureForm:
    rules = alliance.procedure
    form = ProcedureForm(formdata=formdata, funding_objects=alliance.funding_objects)
    if formdata is None:
        for name in (
            "assessment_days",
            "statement_days",
            "circulation_days",
            "quorum_percent",
            "max_funding_rate_percent",
        ):
            form[name].data = getattr(rules, name)
        form.secret_while_open.data = "1" if rules.secret_while_open else "0"
        form.attributed_comments.data = "1" if rules.attributed_comments else "0"
        form.reminder_days.data = ", ".join(str(d) for d in rules.reminder_days)
        form.revision_reminder_days.data = ", ".join(str(d) for d in rules.revision_reminder_days)
        form.committee_name.data = alliance.committee_name
        form.statement_needed.data = [str(fo.number) for fo in alliance.funding_objects if fo.needs_statement]
    return form


def _render(alliance: Alliance, status: int = 200, **forms):
    partners = alliances.partners(alliance)
    active = [p["organisation"] for p in partners if p["organisation"].active]
    return render_template(
        "settings/index.html",
        alliance=alliance,
        form=forms.get("form") or _procedure_form(alliance),
        partner_form=forms.get("partner_form") or PartnerForm(prefix="partner"),
        person_form=forms.get("person_form") or RepresentativeForm(prefix="person", organisations=active),
        confirm=ConfirmForm(),
        partners=partners,
        history=alliances.settings_history(alliance),
        labels=SETTING_LABELS,
        signing=_signing_section(alliance, forms.get("signing_form")),
    ), status


def _signing_section(alliance: Alliance, form) -> dict:
    from workflow.views.signing import settings_data

    return settings_data(alliance, form)


@bp.get("/einstellungen")
@login_required
def index():
    return _render(_alliance())


@bp.post("/einstellungen")
@login_required
def save():
    alliance = _alliance()
    from flask import request

    form = _procedure_form(alliance, formdata=request.form)
    if form.validate_on_submit():
        try:
            changed = alliances.update_settings(
                alliance, current_user, form.rules(), form.committee_name.data, form.statement_map()
            )
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
        else:
            flash("Gespeichert." if changed else "Es wurde nichts geändert.", "success")
            return redirect(url_for(".index"), 303)
    return _render(alliance, 422, form=form)


@bp.post("/einstellungen/partner")
@login_required
def add_partner():
    alliance = _alliance()
    form = PartnerForm(prefix="partner")
    if form.validate_on_submit():
        try:
            alliances.add_partner(alliance, current_user, form.name.data)
        except RuleViolation as refusal:
            form.name.errors = [*form.name.errors, *refusal.messages]
        else:
            flash(gettext("„%(name)s“ ist Bündnispartner.", name=form.name.data.strip()), "success")
            return redirect(url_for(".index") + "#partner", 303)
    return _render(alliance, 422, partner_form=form)


@bp.post("/einstellungen/partner/<int:organisation_id>/deaktivieren")
@login_required
def deactivate_partner(organisation_id: int):
    alliance = _alliance()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    organisation = alliances.deactivate_partner(alliance, current_user, organisation_id)
    flash(gettext("„%(name)s“ ist nicht mehr Bündnispartner.", name=organisation.name), "success")
    return redirect(url_for(".index") + "#partner", 303)


@bp.post("/einstellungen/personen")
@login_required
def add_representative():
    alliance = _alliance()
    active = [p["organisation"] for p in alliances.partners(alliance) if p["organisation"].active]
    form = RepresentativeForm(prefix="person", organisations=active)
    if form.validate_on_submit():
        try:
            user = alliances.add_representative(
                alliance, current_user, form.organisation.data, form.name.data, form.email.data
            )
        except RuleViolation as refusal:
            target = {"email": form.email, "name": form.name}.get(refusal.field, form.organisation)
            target.errors = [*target.errors, *refusal.messages]
        else:
            flash(gettext("Das Konto für %(email)s ist angelegt.", email=user.email), "success")
            return redirect(url_for(".index") + "#partner", 303)
    return _render(alliance, 422, person_form=form)


@bp.post("/einstellungen/personen/<int:user_id>/deaktivieren")
@login_required
def deactivate_representative(user_id: int):
    alliance = _alliance()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = alliances.deactivate_representative(alliance, current_user, user_id)
    flash(gettext("Das Konto von %(name)s ist deaktiviert.", name=user.name), "success")
    return redirect(url_for(".index") + "#partner", 303)
