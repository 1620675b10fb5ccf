"""Applications: the list the caller may see, a new one, one in full, its editable data."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from sqlalchemy.orm import joinedload, selectinload

from forms.application import ApplicationForm
from workflow.api import bp, serializers
from workflow.api.loading import APP, FUNDING_OBJECT, RENAME, answer, application_form, caller, visible
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.validation import form_schema
from workflow.extensions import db
from workflow.lifecycle import STATE_NAMES
from workflow.models import Application, ApplicationDistrict, FundingObject
from workflow.models.alliance import DISTRICTS
from workflow.services import access, applications
from workflow.services import lifecycle as lifecycle_service

NEW_APPLICATION = form_schema(ApplicationForm, rename=RENAME, overrides={"funding_object": FUNDING_OBJECT})
DRAFT_UPDATE = form_schema(
    ApplicationForm, rename=RENAME, overrides={"funding_object": FUNDING_OBJECT}, partial=True
)


@route(
    bp,
    "GET",
    "/applications",
    summary="Anträge, die ich sehen darf",
    tag="Anträge",
    errors=(),
    query=[
        {"name": "state", "schema": {"type": "string", "enum": list(STATE_NAMES)}},
        {"name": "funding_object", "schema": {"type": "integer", "minimum": 1, "maximum": 99}},
        {"name": "district", "schema": {"type": "string", "enum": list(DISTRICTS)}},
        {"name": "page", "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
        {"name": "per_page", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
    ],
    responses=ok("ApplicationPage"),
)
def list_applications(params: dict):
    query = access.visible_applications(caller())
    if params["state"]:
        query = query.where(Application.state == params["state"])
    if params["funding_object"]:
        query = query.join(FundingObject, Application.funding_object_id == FundingObject.id).where(
            FundingObject.number == params["funding_object"]
        )
    if params["district"]:
        query = query.where(
            sa.exists().where(
                ApplicationDistrict.application_id == Application.id,
                ApplicationDistrict.name == params["district"],
            )
        )
    total = db.session.scalar(query.with_only_columns(sa.func.count(), maintain_column_froms=True))
    page, per_page = params["page"], params["per_page"]
    rows = db.session.scalars(
        query.options(
            joinedload(Application.applicant),  # to-one: joined without multiplying the rows
            joinedload(Application.funding_object),
            selectinload(Application.district_rows),
        )
        .order_by(Application.updated_at.desc(), Application.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    more = page * per_page < total
    return jsonify(
        {
            "items": [serializers.summary(a) for a in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
            "next": url_for(".list_applications", **{**_filters(params), "page": page + 1}) if more else None,
        }
    )


def _filters(params: dict) -> dict:
    return {k: v for k, v in params.items() if v is not None and k != "page"}


@route(
    bp,
    "POST",
    "/applications",
    summary="Beratung anfragen: neuen Antrag anlegen (Projektträger)",
    description="Der Antrag beginnt im Status `consultation`. Beträge in Cent.",
    tag="Anträge",
    body=NEW_APPLICATION,
    errors=(403,),
    responses=ok("Application", "Angelegt", 201),
)
def create_application(load_body):
    user = caller()
    form = application_form(load_body(), user.alliance_id)
    application = lifecycle_service.create_application(user, **form.values())
    location = url_for(".get_application", application_id=application.id)
    return answer(serializers.detail(application, user), 201, location)


@route(
    bp,
    "GET",
    APP,
    summary="Ein Antrag: Angaben, Status, erlaubte Aktionen, Fristen, Verlauf",
    tag="Anträge",
    responses=ok("Application"),
)
def get_application(application_id: int):
    return jsonify(serializers.detail(visible(application_id), caller()))


@route(
    bp,
    "PATCH",
    APP,
    summary="Angaben des Antrags ändern (Teiländerung; Projektträger, solange ein Entwurf seiner ist)",
    description="Wie die Seite „Bearbeiten“: Titel, Projektidee, Wunschtermine, Fördergegenstand, "
    "Handlungsfelder, Landkreise und Beträge, in `consultation`, `sketch_draft` und `long_form_draft`. Nur "
    "die gesendeten Felder ändern sich; `null` leert ein optionales Feld.",
    tag="Anträge",
    body=DRAFT_UPDATE,
    errors=(403, 404, 409),
    responses=ok("Application"),
)
def update_application(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    if not access.may_edit(user, application):
        raise ApiError(403, "Dieser Antrag kann im aktuellen Status nicht bearbeitet werden.")
    merged = {**serializers.data_of(application), **load_body()}
    form = application_form(merged, application.alliance_id)
    applications.update(application, user, form.values())
    return jsonify(serializers.detail(application, user))
