"""Finding the application a URL names, for the person asking."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from workflow.extensions import db
from workflow.models import Application
from workflow.services import access


def visible_application(application_id: int, options=()) -> Application:
    """The application, if the current user may see it; 404 otherwise (never leak existence)."""
    application = db.session.get(Application, application_id, options=options)
    if application is None or not access.may(current_user, "view", application):
        abort(404)
    return application
