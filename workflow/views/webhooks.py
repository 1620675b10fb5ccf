"""The coordination's webhook receivers: register, look at the delivery log, switch off."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.webhooks import WebhookForm
from workflow.models.event_kinds import SUBSCRIPTIONS
from workflow.services import webhooks
from workflow.services.errors import RuleViolation
from workflow.views import navigation
from workflow.views.guards import coordinator_required

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

navigation.register(_l("Webhooks"), "webhooks.index", ("coordinator",), order=80)


@bp.before_request
@login_required
@coordinator_required
def _coordinators_only():
    """Every page of the webhooks is the coordination's."""


@bp.route("", methods=["GET", "POST"])
def index():
    form = WebhookForm()
    status = 200
    if form.validate_on_submit():
        try:
            receiver = webhooks.register_receiver(
                current_user,
                name=form.name.data,
                url=form.url.data,
                kind=form.kind.data,
                events=form.events.data,
                secret=form.secret.data,
            )
        except RuleViolation as refusal:
            getattr(form, refusal.field, form.name).errors = list(refusal.messages)
            status = 422
        else:
            flash(gettext("Der Webhook ist eingerichtet. Er erhält die Ereignisse von jetzt an."), "success")
            return redirect(url_for(".show", receiver_id=receiver.id))
    elif form.errors:
        status = 422
    return render_template(
        "webhooks/index.html", form=form, receivers=webhooks.receivers_of(current_user)
    ), status


@bp.get("/<int:receiver_id>")
def show(receiver_id: int):
    receiver = webhooks.receiver_for(current_user, receiver_id)
    return render_template(
        "webhooks/show.html",
        receiver=receiver,
        deliveries=webhooks.deliveries_of(receiver),
        event_types=SUBSCRIPTIONS,
        header=webhooks.SIGNATURE_HEADER,
    )


@bp.post("/<int:receiver_id>/aktiv")
def toggle(receiver_id: int):
    receiver = webhooks.receiver_for(current_user, receiver_id)
    webhooks.set_active(current_user, receiver, bool(request.form.get("active")))
    flash(
        "Der Webhook ist eingeschaltet." if receiver.active else "Der Webhook ist ausgeschaltet.", "success"
    )
    return redirect(url_for(".show", receiver_id=receiver.id))
