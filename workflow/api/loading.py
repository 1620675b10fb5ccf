"""What every area of the API loads first: the caller, the application they may see (404
otherwise), and the funding objects that the API names by number and the forms by id."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, jsonify

from forms.application import ApplicationForm
from workflow.api.problems import ApiError, field_errors
from workflow.api.registry import ID
from workflow.api.validation import MAX_ID, validated_form
from workflow.extensions import db
from workflow.models import Application, FundingObject
from workflow.services import access

APP = f"/applications/<{ID}:application_id>"
RENAME = {"funding_object_id": "funding_object"}
FUNDING_OBJECT = {
    "type": ["integer", "null"],
    "minimum": 1,
    "maximum": 99,
    "title": "Fördergegenstand (Nummer: 1 Strukturprojekte, 2 Projekte für Arbeitslose, 3 Weiterbildung)",
}
# Organisations by id (the project partners of a sketch or a long form).
IDS = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "uniqueItems": True,
    "maxItems": 100,
}


def caller():
    return g.api_user


def visible(application_id: int) -> Application:
    """The application if the caller may see it; 404 otherwise (never leak existence)."""
    application = db.session.get(Application, application_id) if 0 < application_id <= MAX_ID else None
    if application is None or not access.may(caller(), "view", application):
        raise ApiError(404, "Diesen Antrag gibt es nicht, oder er ist für Sie nicht sichtbar.")
    return application


def funding_objects(alliance_id: int) -> list[FundingObject]:
    return list(
        db.session.scalars(
            sa.select(FundingObject)
            .where(FundingObject.alliance_id == alliance_id)
            .order_by(FundingObject.number)
        )
    )


def funding_object_id(body: dict, choices: list[FundingObject]) -> dict:
    """The funding object goes by its number in the API and by its id in the forms."""
    number = body.get("funding_object")
    if number is None:
        return {**body, "funding_object": 0}  # "– noch offen –", as the form's select sends it
    by_number = {fo.number: fo.id for fo in choices}
    if number not in by_number:
        raise ApiError(
            422,
            "Bitte prüfen Sie die Angaben: funding_object: Diesen Fördergegenstand gibt es nicht.",
            errors=field_errors({"funding_object": ["Diesen Fördergegenstand gibt es nicht."]}),
        )
    return {**body, "funding_object": by_number[number]}


def application_form(body: dict, alliance_id: int) -> ApplicationForm:
    """ApplicationForm (the views' form) filled from JSON."""
    choices = funding_objects(alliance_id)
    body = funding_object_id(body, choices)
    return validated_form(ApplicationForm, body, rename=RENAME, funding_objects=choices)


def answer(data, status: int = 200, location: str | None = None):
    """A JSON response with its status (and Location for what was created)."""
    response = jsonify(data)
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response
