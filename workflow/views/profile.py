"""The person's own page: their account and their API tokens (created, shown once, revoked); and
the human-readable page of the API's OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.tokens import TokenForm
from workflow.services import tokens
from workflow.services.errors import RuleViolation
from workflow.views import navigation

bp = Blueprint("profile", __name__)

navigation.register(
    _l("Profil und API"), "profile.show", ("applicant", "partner", "coordinator", "observer"), order=90
)


def _page(form: TokenForm, new_token: str | None = None, status: int = 200):
    response = render_template(
        "profile/show.html", form=form, tokens=tokens.all_of(current_user), new_token=new_token
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/profil")
@login_required
def show():
    return _page(TokenForm())


@bp.post("/profil/tokens")
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
            return _page(TokenForm(formdata=None), new_token=plain, status=201)
    return _page(form, status=422)


@bp.post("/profil/tokens/<int:token_id>/widerrufen")
@login_required
def revoke_token(token_id: int):
    token = tokens.revoke(current_user, token_id)
    flash(f"Das Token „{token.name}“ ist widerrufen und gilt nicht mehr.", "success")
    return redirect(url_for(".show"))


@bp.get("/api-dokumentation")
def api_docs():
    from workflow.api.openapi import DESCRIPTION, operations_by_tag

    return render_template("api/docs.html", groups=operations_by_tag(), description=DESCRIPTION)
