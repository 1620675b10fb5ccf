"""Errors of the API as RFC 9457 problem details (`application/problem+json`), in German."""

from __future__ import annotations

import json

from flask import current_app, request
from pydantic import ConfigDict
from werkzeug.exceptions import HTTPException

from workflow.api.shapes import Shape

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Ungültige Anfrage",
    401: "Nicht angemeldet",
    403: "Keine Berechtigung",
    404: "Nicht gefunden",
    405: "Methode nicht erlaubt",
    406: "Nicht annehmbar",
    409: "Konflikt",
    413: "Anfrage zu groß",
    415: "Falsches Format",
    422: "Eingabe nicht angenommen",
    429: "Zu viele Anfragen",
    500: "Interner Fehler",
}
DETAILS = {
    400: "Die Anfrage konnte nicht verarbeitet werden.",
    401: "Bitte senden Sie ein gültiges API-Token im Kopf „Authorization: Bearer …“.",
    403: "Sie haben keine Berechtigung für diese Aktion.",
    404: "Diese Ressource gibt es nicht, oder sie ist für Sie nicht sichtbar.",
    405: "Diese Methode ist für diese Ressource nicht erlaubt.",
    413: "Die gesendeten Daten sind zu groß.",
    500: "Ein unerwarteter Fehler ist aufgetreten. Es wurde nichts verändert.",
}


class FieldError(Shape):
    field: str
    detail: str


class Problem(Shape):
    """RFC 9457 Problem Details; `detail` auf Deutsch."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)  # `errors` may be missing
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None  # only with input errors


class ApiError(Exception):
    """An error the API answers with a problem document."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem(status: int, detail: str | None = None, errors: list[dict] | None = None, headers=None):
    body = Problem(
        type="about:blank",
        title=TITLES.get(status, "Fehler"),
        status=status,
        detail=detail or DETAILS.get(status, TITLES.get(status, "Fehler")),
        instance=request.path,
        errors=errors or None,
    )
    response = current_app.response_class(
        json.dumps(body.model_dump(mode="json", exclude_none=True), ensure_ascii=False),
        status=status,
        mimetype=PROBLEM_JSON,
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="antragsweg"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException):
    """Werkzeug's errors (no such route, method not allowed, too large) as problems; the Allow
    header of a 405 is kept."""
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    return problem(status, DETAILS.get(status), headers=headers)


def field_errors(messages: dict[str, list[str]]) -> list[dict]:
    return [{"field": name, "detail": " ".join(texts)} for name, texts in messages.items() if texts]
