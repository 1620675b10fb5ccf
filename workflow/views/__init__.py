"""HTML views: thin handlers that parse a form, call one domain operation, redirect or render."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow.lifecycle import N_
from workflow.services.errors import DomainError

ERROR_TITLES = {
    400: N_("Ungültige Anfrage"),
    403: N_("Keine Berechtigung"),
    404: N_("Nicht gefunden"),
    405: N_("Methode nicht erlaubt"),
    409: N_("Aktion nicht möglich"),
    410: N_("Link nicht mehr gültig"),
    413: N_("Datei zu groß"),
    415: N_("Falsches Format"),
    422: N_("Eingabe nicht angenommen"),
    429: N_("Zu viele Versuche"),
    500: N_("Interner Fehler"),
}
ERROR_TEXTS = {
    400: N_("Die Anfrage konnte nicht verarbeitet werden."),
    403: N_("Sie haben keine Berechtigung für diese Seite oder Aktion."),
    404: N_("Diese Seite gibt es nicht, oder sie ist für Sie nicht sichtbar."),
    405: N_("Diese Aktion ist auf diesem Weg nicht möglich."),
    413: N_(
        "Die gesendeten Daten sind zu groß: eine Datei darf höchstens 10 MB haben. Was Sie zuvor "
        "gespeichert haben, ist unverändert."
    ),
    415: N_(
        "Diese Seite nimmt die Angaben eines Formulars an, kein JSON. Für Programme gibt es die API "
        "unter /api/v1 (siehe die API-Dokumentation)."
    ),
    500: N_(
        "Ein unerwarteter Fehler ist aufgetreten. Es wurde nichts verändert; bitte versuchen Sie "
        "es noch einmal."
    ),
}


def register_blueprints(app: Flask) -> None:
    from workflow import api
    from workflow.figures import views as figures
    from workflow.views import (
        account,
        applications,
        assessment,
        assets,
        auth,
        authenticity,
        budget,
        calendar,
        dashboard,
        long_form,
        notifications,
        operations,
        pages,
        privacy,
        profile,
        sessions,
        settings,
        signing,
        sketches,
        statements,
        webhooks,
    )
    from workflow.views import accounts as registration
    from workflow.votes import views as votes  # also the vote's forms on the two blueprints above

    for module in (
        assets,
        auth,
        registration,  # stage 1: registration, confirmation, invitations, password reset
        applications,
        votes,  # the vote page
        sketches,
        assessment,
        notifications,
        long_form,  # stage 2
        sessions,
        statements,  # stage 3
        budget,
        figures,  # figures from the record (issue 17)
        dashboard,  # the cockpit
        calendar,
        settings,
        webhooks,
        profile,
        account,
        privacy,  # GDPR: the person's own data export
        pages,
        operations,  # /readyz, /metrics
        signing,  # the signing certificate on the settings page
        authenticity,  # the public authenticity page
    ):
        app.register_blueprint(module.bp)
    api.register(app)

    @app.before_request
    def _forms_take_form_data():
        # The forms read what a browser sends; Flask-WTF would read a JSON body as form data (lists
        # and numbers where the fields expect text). JSON is the API's.
        if request.method in ("POST", "PUT", "PATCH") and request.is_json and not api.is_api_request():
            return _error_page(415, gettext(ERROR_TEXTS[415]))
        return None

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return _error_page(error.status, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return _error_page(
            400,
            _l(
                "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. "
                "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if api.is_api_request():  # no route under /api/v1, a wrong method, a 500: problem+json
            return api.from_http_exception(error)
        code = error.code or 500
        return _error_page(code, gettext(ERROR_TEXTS[code]) if code in ERROR_TEXTS else error.description)


def _error_page(status: int, message: str):
    return (
        render_template(
            "error.html",
            status=status,
            title=gettext(ERROR_TITLES.get(status, N_("Fehler"))),
            message=message,
            path=request.path,
        ),
        status,
    )
