"""The alliance's statement, as the stored PDF."""

from __future__ import annotations

import io

from flask import send_file

from workflow.api import bp
from workflow.api.documents import FILE
from workflow.api.loading import APP, visible
from workflow.api.problems import ApiError
from workflow.api.registry import route
from workflow.services import statements
from workflow.services.documents import PDF


@route(
    bp,
    "GET",
    f"{APP}/statement.pdf",
    summary="Die Stellungnahme des Bündnisses als PDF (die gespeicherte Datei, als Anhang)",
    description="Ohne `version` die neueste Fassung (nach einer Berichtigung die berichtigte). 404, "
    "solange es keine Stellungnahme gibt; 409, wenn die gespeicherte Datei nicht mehr zu ihrem Prüfwert "
    "passt (sie wird dann nicht ausgeliefert).",
    tag="Stellungnahme",
    query=[{"name": "version", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
    errors=(404, 409),
    responses={200: ("Die Stellungnahme", FILE, PDF)},
)
def get_statement(application_id: int, params: dict):
    application = visible(application_id)
    if params["version"]:
        statement = statements.get(application, params["version"])
    else:
        statement = statements.latest(application)
        if statement is None:
            raise ApiError(404, "Zu diesem Antrag gibt es (noch) keine Stellungnahme.")
    data = statements.stored_bytes(statement)
    response = send_file(
        io.BytesIO(data),
        mimetype=PDF,
        as_attachment=True,
        download_name=statement.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
