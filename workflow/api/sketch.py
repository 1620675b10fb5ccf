"""The structured sketch: read it, save it as a draft."""

from __future__ import annotations

from flask import jsonify

from forms.sketch import SketchForm
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
from workflow.api.registry import ok, route
from workflow.api.schemas import sketch_update_schema
from workflow.api.validation import validated_form
from workflow.models import Application
from workflow.services import access, sketches
from workflow.services.errors import NotAllowed

SKETCH_UPDATE = sketch_update_schema(FUNDING_OBJECT)


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
    responses=ok("Sketch"),
)
def get_sketch(application_id: int):
    application = visible(application_id)
    return jsonify(serializers.sketch(application, caller()))


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
    responses=ok("Sketch"),
)
def put_sketch(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    if not access.may_edit_sketch(user, application):
        raise NotAllowed(sketches.NOT_EDITABLE)
    merged = {**serializers.sketch_values(application), **load_body()}
    form = _sketch_form(application, merged)
    sketches.save_draft(application, user, form.values())
    return jsonify(serializers.sketch(application, user))
