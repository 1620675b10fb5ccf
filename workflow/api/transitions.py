"""The lifecycle's triggers: one operation each, read through the trigger's form of the pages."""

from __future__ import annotations

from flask import jsonify, request

from forms.transitions import FORMS
from workflow import models
from workflow.api import bp
from workflow.api.applications import Application, detail
from workflow.api.loading import APP, caller, visible
from workflow.api.registry import ok, route
from workflow.api.validation import form_schema, validated_form
from workflow.api.vote import open_vote_input
from workflow.lifecycle import TRIGGERS_BY_NAME
from workflow.services import lifecycle as lifecycle_service
from workflow.services.nbank import DOCUMENT_KINDS as NBANK_DOCUMENT_KINDS

NBANK_TRIGGERS = tuple(NBANK_DOCUMENT_KINDS)
NBANK_NOTE = (
    " Als `multipart/form-data`: die Angaben als Formularfelder (Beträge in Cent, Daten JJJJ-MM-TT) und "
    "das Dokument als Datei im Feld `document` (PDF, höchstens 10 MB, geprüft wird der Inhalt). Es wird "
    "mit dem Statuswechsel in derselben Transaktion als nächste Fassung seiner Art gespeichert "
    "(`{kind}`) und steht danach unter `…/documents`."
)


def _transition_form(application: models.Application, trigger: str, body: dict, files=None):
    """The trigger's form (the views' form), filled and validated; a 422 if it refuses."""
    kwargs = {}
    if trigger == "open_vote":
        body, kwargs = open_vote_input(application, body)
    return validated_form(FORMS[trigger], body, files=files, **kwargs)


def _transition(application_id: int, trigger: str, load):
    user = caller()
    application = visible(application_id)
    lifecycle_service.ensure_may_fire(application, trigger, user)
    files = request.files if trigger in NBANK_TRIGGERS else None
    form = _transition_form(application, trigger, load(), files)
    lifecycle_service.fire(application, trigger, user, form.recorded())
    return jsonify(detail(application, user).plain())


def _declare_transition(name: str) -> None:
    trigger = TRIGGERS_BY_NAME[name]
    roles = ", ".join(r for r in trigger.roles if r != "system")
    sources = ", ".join(sorted({t.source for t in trigger.transitions}))
    extra = ""
    if name == "open_vote":
        extra = (
            " Ohne `deadline` gilt die Umlauffrist des Bündnisses (auf den nächsten Arbeitstag verschoben);"
            " für `session` die `session_id` einer geplanten Sitzung (`GET /sessions`)."
        )
    if name in NBANK_TRIGGERS:
        extra = NBANK_NOTE.format(kind=NBANK_DOCUMENT_KINDS[name])
        schema = form_schema(FORMS[name], multipart=True)

        def view(application_id: int, trigger: str, load_form):
            return _transition(application_id, trigger, load_form)

        options = {"multipart": schema}
    else:

        def view(application_id: int, trigger: str, load_body):
            return _transition(application_id, trigger, load_body)

        options = {"body": form_schema(FORMS[name])}

    route(
        bp,
        "POST",
        f"{APP}/transitions/{name}",
        summary=trigger.label,
        description=f"Auslöser `{name}`: für {roles}; aus {sources}.{extra}",
        tag="Lebenszyklus",
        errors=(403, 404, 409),
        responses=ok(Application, "Ausgeführt: der Antrag im neuen Status"),
        endpoint=f"transition_{name}",
        defaults={"trigger": name},
        **options,
    )(view)


for _name in FORMS:
    _declare_transition(_name)
