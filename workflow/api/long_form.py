"""The long form: read it (partners without salary details), save sections as a draft."""

from __future__ import annotations

from typing import Literal

from flask import jsonify
from pydantic import create_model
from werkzeug.datastructures import MultiDict

from forms.fields import EuroField
from forms.long_form import SECTION_FORMS, ClassificationForm, CostLineForm, FinancingLineForm, PartnersForm
from workflow.api import bp
from workflow.api.documents import Document, document_of
from workflow.api.loading import (
    APP,
    FUNDING_OBJECT,
    IDS,
    RENAME,
    caller,
    funding_object_id,
    funding_objects,
    visible,
)
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.shapes import Named, Plain, Shape, named
from workflow.api.validation import form_schema, nullable, unbound_fields, validated_form
from workflow.formatting import euro_input
from workflow.lifecycle import STATE_NAMES
from workflow.models import Application, User
from workflow.models.long_form import COST_CATEGORIES, FINANCING_SOURCES, SECTIONS
from workflow.services import access, documents, long_forms
from workflow.services.long_forms import MAX_LINES

# -- what PUT …/long-form takes: any of the sections, each with its form's fields (all optional) ----


def _plan_schema(form_class, key: str, values: dict, title: str) -> dict:
    line = form_schema(form_class)
    line["properties"][key] = {"type": "string", "enum": list(values)}
    line["required"] = [key]
    lines = {
        "type": "array",
        "maxItems": MAX_LINES,
        "items": line,
        "description": "Ersetzt alle Zeilen des Plans.",
    }
    return {
        "type": "object",
        "title": title,
        "properties": {"lines": lines},
        "required": ["lines"],
        "additionalProperties": False,
    }


def _section_schema(key: str, title: str) -> dict:
    if key == "costs":
        return _plan_schema(CostLineForm, "category", COST_CATEGORIES, title)
    if key == "financing":
        return _plan_schema(FinancingLineForm, "source", FINANCING_SOURCES, title)
    form_class = SECTION_FORMS[key]
    overrides = {}
    if form_class is PartnersForm:
        overrides["partner_ids"] = nullable({**IDS, "title": "Bündnispartner als Projektpartner"})
    if form_class is ClassificationForm:
        overrides["funding_object"] = FUNDING_OBJECT
    schema = form_schema(form_class, partial=True, rename=RENAME, overrides=overrides)
    return {**schema, "title": title}


LONG_FORM_UPDATE = {
    "type": "object",
    "properties": {s.key: _section_schema(s.key, s.title) for s in SECTIONS},
    "additionalProperties": False,
    "minProperties": 1,
}

# -- what it answers ---------------------------------------------------------------------------------


class LongFormSectionState(Shape):
    key: str
    title: str
    complete: bool
    problems: list[str]


class LongFormOverview(Shape):
    """Welche Abschnitte vollständig sind; `problems` mit denselben Gründen, mit denen das
    Einreichen abgelehnt wird."""

    sections: list[LongFormSectionState]
    complete: int
    total: int


LongFormSections = create_model(
    "LongFormSections",
    __base__=Shape,
    __doc__="Die Abschnitte mit ihren Feldern wie im PUT; `costs` ist für Bündnispartner `null` "
    "(keine Gehaltsangaben).",
    **{s.key: (Plain | None, ...) for s in SECTIONS},
)


class LongFormPlans(Shape):
    """Kosten- und Finanzierungsplan in Summen (Cent)."""

    show_details: bool
    cost_total_cents: int
    financing_total_cents: int
    difference_cents: int
    balanced: bool
    esf_grant_cents: int
    funding_rate_percent: str | None
    max_funding_rate_percent: int
    rate_ok: bool
    cost_by_category: dict[str, int]
    financing_by_source: dict[str, int]


class LongForm(Shape):
    """Die Langfassung, wie die anfragende Person sie sehen darf."""

    application_id: int
    state: Literal[tuple(STATE_NAMES)]
    editable: bool
    overview: LongFormOverview
    sections: LongFormSections
    project_partners: list[Named]
    partner_choices: list[Named]
    plans: LongFormPlans
    documents: list[Document]


def long_form_section(application: Application, key: str) -> dict:
    """One section's fields as stored, under the API's names (what PUT …/long-form takes)."""
    long_form = application.long_form
    if key == "classification":
        return {
            "funding_object": application.funding_object.number if application.funding_object else None,
            "fields_of_action": application.fields_of_action,
            "districts": application.districts,
        }
    if key == "partners":
        return {
            "partner_ids": long_form.project_partner_ids if long_form else [],
            "other_partners": long_form.other_partners if long_form else "",
        }
    if key == "costs":
        return {
            "lines": [
                {
                    "category": line.category,
                    "description": line.description,
                    "salary_group": line.salary_group,
                    "unit_cost_cents": line.unit_cost_cents,
                    "hours": line.hours,
                    "amount_cents": line.amount_cents,
                }
                for line in (long_form.cost_lines if long_form else [])
            ]
        }
    if key == "financing":
        return {
            "lines": [
                {"source": line.source, "description": line.description, "amount_cents": line.amount_cents}
                for line in (long_form.financing_lines if long_form else [])
            ]
        }
    return {
        name: getattr(long_form, name) if long_form else None
        for name in long_forms.SECTION_FIELDS.get(key, ())
    }


def _dates_as_text(values: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def long_form_of(application: Application, user: User) -> LongForm:
    """The long form as `user` may see it: partners get no cost lines (salary details) and not
    NBank's form, only the totals per category (long_forms.sees_salaries, as on the page)."""
    item = application.long_form
    salaries = access.may(user, "see_salaries", application)
    sections = {s.key: _dates_as_text(long_form_section(application, s.key)) for s in SECTIONS}
    if not salaries:
        sections["costs"] = None
    max_rate = application.alliance.procedure.max_funding_rate_percent
    rate = item.funding_rate() if item else None
    plans = LongFormPlans(
        show_details=salaries,
        cost_total_cents=item.cost_total if item else 0,
        financing_total_cents=item.financing_total if item else 0,
        difference_cents=item.difference if item else 0,
        balanced=bool(item) and item.cost_total > 0 and item.difference == 0,
        esf_grant_cents=item.esf_grant if item else 0,
        funding_rate_percent=str(rate) if rate is not None else None,
        max_funding_rate_percent=max_rate,
        rate_ok=bool(item) and item.funding_rate_within(max_rate),
        cost_by_category=item.cost_by_category() if item else {},
        financing_by_source=item.financing_by_source() if item else {},
    )
    return LongForm(
        application_id=application.id,
        state=application.state,
        editable=access.may(user, "edit_long_form", application),
        overview=LongFormOverview.model_validate(long_forms.overview(application)),
        sections=LongFormSections.model_validate(sections),
        project_partners=[named(row.organisation) for row in (item.partner_rows if item else [])],
        partner_choices=[named(o) for o in long_forms.partner_organisations(application)],
        plans=plans,
        documents=[document_of(d) for d in documents.versions(application, "long_form")] if salaries else [],
    )


# -- the operations ----------------------------------------------------------------------------------


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
        body = {**long_form_section(application, key), **sent}
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
    responses=ok(LongForm),
)
def get_long_form(application_id: int):
    user = caller()
    application = visible(application_id)
    if not access.may(user, "view_long_form", application):
        raise ApiError(404, "Zu diesem Antrag gibt es (noch) keine Langfassung.")
    return jsonify(long_form_of(application, user).plain())


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
    responses=ok(LongForm),
)
def put_long_form(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    long_forms.ensure_may_edit(user, application)
    body = load_body()
    values = {key: _section_form(application, key, sent).values() for key, sent in body.items()}
    long_forms.save_sections(application, user, values)
    return jsonify(long_form_of(application, user).plain())
