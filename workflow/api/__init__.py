"""The JSON API at /api/v1: every action of the browser, over bearer tokens, calling the same
domain operations as the views. Routes and their schemas are declared once (registry.py); the
OpenAPI document is generated from them."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from workflow.api.problems import ApiError, field_errors, from_http_exception, problem
from workflow.api.registry import PREFIX
from workflow.extensions import csrf, db
from workflow.services import tokens
from workflow.services.errors import DomainError, RuleViolation

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def register(app: Flask) -> None:
    # Each area declares its operations on bp when imported, in the order the document lists them.
    from workflow.api import (  # noqa: F401
        account,
        applications,
        budget,
        documents,
        figures,
        long_form,
        sessions,
        sketch,
        statement,
        transitions,
        vote,
    )

    csrf.exempt(bp)
    app.json.ensure_ascii = False  # German text as UTF-8, not \u escapes
    app.register_blueprint(bp)


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


@bp.before_request
def _authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "api_public", False):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem(401)
    user = tokens.authenticate(token.strip())
    if user is None:
        return problem(401, "Das Token ist ungültig, widerrufen oder gehört zu einem gesperrten Konto.")
    g.api_user = user
    return None


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    return problem(error.status, error.detail, error.errors, error.headers)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    db.session.rollback()
    errors = None
    if isinstance(error, RuleViolation) and error.field:
        errors = field_errors({error.field: error.messages})
    return problem(error.status, error.message, errors)


@bp.errorhandler(StaleDataError)
@bp.errorhandler(IntegrityError)
def _conflict(error):
    db.session.rollback()
    return problem(
        409,
        "Der Antrag wurde gleichzeitig von jemand anderem geändert. Bitte laden Sie ihn neu und "
        "versuchen Sie es noch einmal.",
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return from_http_exception(error)
