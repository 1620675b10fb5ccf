"""The structured sketch: read it, save it as a draft."""

from __future__ import annotations

from typing import Literal

from flask import jsonify

from forms.sketch import MAX_OTHER_PARTNERS, SketchForm
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
from workflow.api.registry import ok, route
from workflow.api.shapes import DateTime, Day, Named, Shape, named
from workflow.api.validation import form_schema, nullable, validated_form
from workflow.lifecycle import STATE_NAMES
from workflow.models import Application
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.services import access, documents, sketches
from workflow.services.errors import NotAllowed

# PUT …/sketch: SketchForm's fields, all optional; the PDF goes through …/documents.
SKETCH_UPDATE = form_schema(
    SketchForm,
    rename=RENAME,
    partial=True,
    overrides={
        "funding_object": FUNDING_OBJECT,
        "partner_organisation_ids": nullable(
            {**IDS, "title": "Projektpartner aus dem Bündnis (Organisationen, ids)"}
        ),
        "other_partners": nullable(
            {
                "type": "array",
                "title": "Weitere Projektpartner (je ein Name)",
                "items": {"type": "string", "maxLength": 200, "pattern": "^[^\\r\\n]*$"},
                "maxItems": MAX_OTHER_PARTNERS,
            }
        ),
    },
)


class SketchData(Shape):
    """Die Felder wie im PUT (Fördergegenstand als Nummer)."""

    title: str
    summary: str
    funding_object: int | None
    fields_of_action: list[Literal[tuple(FIELDS_OF_ACTION)]]
    districts: list[Literal[tuple(DISTRICTS)]]
    need: str
    objectives: str
    target_groups: str
    participants_planned: int | None
    activities: str
    start_date: Day | None
    end_date: Day | None
    total_cost_cents: int | None
    requested_grant_cents: int | None
    partner_organisation_ids: list[int]
    other_partners: list[str]


class SketchPartner(Shape):
    name: str
    organisation_id: int | None
    alliance_partner: bool


class Sketch(Shape):
    """Die Projektskizze: Angaben, Projektpartner, was für die Einreichung fehlt, PDF-Fassungen."""

    application_id: int
    state: Literal[tuple(STATE_NAMES)]
    editable: bool
    data: SketchData
    partners: list[SketchPartner]
    partner_choices: list[Named]
    missing: list[str]
    pdfs: list[Document]
    updated_at: DateTime | None


def sketch_values(application: Application) -> dict:
    """The sketch's fields under the API's names (what PUT …/sketch takes)."""
    sketch = application.sketch
    values = {
        "title": application.title,
        "summary": application.summary or "",
        "funding_object": application.funding_object.number if application.funding_object else None,
        "fields_of_action": application.fields_of_action,
        "districts": application.districts,
        **{name: getattr(sketch, name) if sketch else None for name in sketches.SKETCH_FIELDS},
        "total_cost_cents": application.total_cost_cents,
        "requested_grant_cents": application.requested_grant_cents,
        "partner_organisation_ids": [
            p.organisation_id for p in application.project_partners if p.organisation_id
        ],
        "other_partners": [p.name for p in application.project_partners if p.name],
    }
    for name in ("need", "objectives", "target_groups", "activities"):
        values[name] = values[name] or ""
    return values


def sketch_of(application: Application, user) -> Sketch:
    overview = sketches.overview(application, user)
    return Sketch(
        application_id=application.id,
        state=application.state,
        editable=overview["may_edit"],
        data=SketchData.model_validate(sketch_values(application)),
        partners=[
            SketchPartner(
                name=p.label,
                organisation_id=p.organisation_id,
                alliance_partner=p.organisation_id is not None,
            )
            for p in application.project_partners
        ],
        partner_choices=[named(o) for o in sketches.alliance_partners(application.alliance_id)],
        missing=overview["missing"],
        pdfs=[document_of(d) for d in documents.versions(application, "sketch")],
        updated_at=overview["updated_at"],
    )


def _sketch_form(application: Application, body: dict) -> SketchForm:
    choices = funding_objects(application.alliance_id)
    body = funding_object_id(body, choices)
    if isinstance(body.get("other_partners"), list):
        body = {**body, "other_partners": "\n".join(body["other_partners"])}
    return validated_form(
        SketchForm,
        body,
        rename=RENAME,
        funding_objects=choices,
        partners=sketches.alliance_partners(application.alliance_id),
    )


@route(
    bp,
    "GET",
    f"{APP}/sketch",
    summary="Die Projektskizze lesen (Angaben, Projektpartner, was noch fehlt, PDF-Fassungen)",
    tag="Projektskizze",
    responses=ok(Sketch),
)
def get_sketch(application_id: int):
    application = visible(application_id)
    return jsonify(sketch_of(application, caller()).plain())


@route(
    bp,
    "PUT",
    f"{APP}/sketch",
    summary="Die Projektskizze als Entwurf speichern (Teiländerung erlaubt)",
    description="Wie das Formular der Projektskizze, solange sie ein Entwurf ist (`sketch_draft`). Nur "
    "die gesendeten Felder ändern sich; `null` leert ein optionales Feld. Projektpartner: "
    "`partner_organisation_ids` (Bündnispartner, siehe `partner_choices` im GET) und `other_partners` "
    "(weitere Organisationen, je ein Name). Die Skizze als PDF (höchstens 3 Seiten) geht über "
    "`POST …/documents` mit `kind=sketch`.",
    tag="Projektskizze",
    body=SKETCH_UPDATE,
    errors=(403, 404, 409),
    responses=ok(Sketch),
)
def put_sketch(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    if not access.may(user, "edit_sketch", application):
        raise NotAllowed(sketches.NOT_EDITABLE)
    merged = {**sketch_values(application), **load_body()}
    form = _sketch_form(application, merged)
    sketches.save_draft(application, user, form.values())
    return jsonify(sketch_of(application, user).plain())
