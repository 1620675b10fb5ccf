"""The long form: read it (partners without salary details), save sections as a draft."""

from __future__ import annotations

from flask import jsonify
from werkzeug.datastructures import MultiDict

from forms.fields import EuroField
from forms.long_form import SECTION_FORMS
from workflow.api import bp, serializers
from workflow.api.loading import (
    APP,
    FUNDING_OBJECT,
    RENAME,
    caller,
    funding_object_id,
    funding_objects,
    visible,
)
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.schemas import long_form_update_schema
from workflow.api.validation import unbound_fields, validated_form
from workflow.formatting import euro_input
from workflow.models import Application
from workflow.services import long_forms

LONG_FORM_UPDATE = long_form_update_schema(FUNDING_OBJECT)


def _section_form(application: Application, key: str, sent: dict):
    """One section's form (the views' form), filled from what is stored and what was sent."""
    form_class = SECTION_FORMS[key]
    kwargs: dict = {}
    if key == "partners":
        kwargs["partners"] = long_forms.partner_organisations(application)
    if key == "classification":
        kwargs["funding_objects"] = funding_objects(application.alliance_id)
    try:
        if key in ("costs", "financing"):
            return validated_form(form_class, {}, raw=_plan_formdata(form_class, sent["lines"]), **kwargs)
        body = {**serializers.long_form_section(application, key), **sent}
        if key == "classification":
            body = funding_object_id(body, kwargs["funding_objects"])
            return validated_form(form_class, body, rename=RENAME, **kwargs)
        return validated_form(form_class, body, **kwargs)
    except ApiError as error:  # the fields under their section: "costs.lines.0.amount_cents"
        errors = [{**e, "field": f"{key}.{e['field']}"} for e in error.errors or []]
        raise ApiError(error.status, error.detail, errors or None) from error


def _plan_formdata(form_class, lines: list[dict]) -> MultiDict:
    """The rows of a plan as the page posts them (lines-0-category, …; amounts as 1.234,56)."""
    line_form = form_class.lines.args[0].args[0]
    euro = {name for name, unbound in unbound_fields(line_form) if issubclass(unbound.field_class, EuroField)}
    data = MultiDict()
    for index, line in enumerate(lines):
        for name, value in line.items():
            if value is None:
                continue
            data.add(f"lines-{index}-{name}", euro_input(value) if name in euro else str(value))
    return data


@route(
    bp,
    "GET",
    f"{APP}/long-form",
    summary="Die Langfassung lesen (Abschnitte, Kosten- und Finanzierungsplan, Vollständigkeit)",
    description="Bündnispartner sehen vom Kostenplan nur die Summen je Kostenart, keine Zeilen mit "
    "Entgeltgruppen und Stundensätzen (`sections.costs` ist dann `null`), und nicht das Formular der NBank.",
    tag="Langfassung",
    responses=ok("LongForm"),
)
def get_long_form(application_id: int):
    user = caller()
    application = visible(application_id)
    if not long_forms.may_view(user, application):
        raise ApiError(404, "Zu diesem Antrag gibt es (noch) keine Langfassung.")
    return jsonify(serializers.long_form(application, user))


@route(
    bp,
    "PUT",
    f"{APP}/long-form",
    summary="Abschnitte der Langfassung als Entwurf speichern (Teiländerung erlaubt)",
    description="Ein Objekt mit den Abschnitten, die sich ändern (`partners`, `classification`, `need`, "
    "`target_groups`, `activities`, `costs`, `financing`, `principles`, `indicators`, `agency`, "
    "`sustainability`), nur im Status `long_form_draft` und nur für den Antragsteller. In einem Abschnitt "
    "ändern sich nur die gesendeten Felder; die Zeilen eines Plans (`lines`) ersetzen den ganzen Plan. "
    "Personalausgaben: Entgeltgruppe, Stundensatz (Standardeinheitskosten) und Stunden; ihr Betrag "
    "wird berechnet. Gesamtkosten und beantragte Förderung des Antrags folgen den Plänen. Das Formular "
    "der NBank geht über `POST …/documents` mit `kind=long_form`.",
    tag="Langfassung",
    body=LONG_FORM_UPDATE,
    errors=(403, 404, 409),
    responses=ok("LongForm"),
)
def put_long_form(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    long_forms.ensure_may_edit(user, application)
    body = load_body()
    values = {key: _section_form(application, key, sent).values() for key, sent in body.items()}
    long_forms.save_sections(application, user, values)
    return jsonify(serializers.long_form(application, user))
