"""The operations of /api/v1. Each loads what the caller may see (404 otherwise), checks the right
through the domain (403/409), reads its input through the same forms as the views (422), calls one
domain operation and answers JSON."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import g, jsonify, request, send_file, url_for
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from forms.application import ApplicationForm
from forms.ballot import BallotForm, ConflictForm, ObjectionForm
from forms.fields import EuroField
from forms.long_form import SECTION_FORMS
from forms.sketch import SketchForm
from forms.transitions import FORMS
from workflow.api import bp, serializers
from workflow.api.problems import ApiError, field_errors
from workflow.api.registry import ID, ok, route
from workflow.api.schemas import long_form_update_schema, sketch_update_schema
from workflow.api.validation import MAX_ID, form_schema, unbound_fields, validated_form
from workflow.downloads import send_document
from workflow.extensions import db
from workflow.formatting import euro_input
from workflow.lifecycle import STATE_NAMES, TRIGGERS_BY_NAME
from workflow.models import Application, ApplicationDistrict, Document, FundingObject
from workflow.models.alliance import DISTRICTS
from workflow.services import (
    access,
    applications,
    budget,
    documents,
    long_forms,
    sessions,
    sketches,
    statements,
)
from workflow.services import lifecycle as lifecycle_service
from workflow.services.documents import DOCX, PDF, XLSX
from workflow.services.errors import NotAllowed
from workflow.services.nbank import DOCUMENT_KINDS as NBANK_DOCUMENT_KINDS
from workflow.votes import casting, timing, to_session

APP = f"/applications/<{ID}:application_id>"
RENAME = {"funding_object_id": "funding_object"}
FUNDING_OBJECT = {
    "type": ["integer", "null"],
    "minimum": 1,
    "maximum": 99,
    "title": "Fördergegenstand (Nummer: 1 Strukturprojekte, 2 Projekte für Arbeitslose, 3 Weiterbildung)",
}
NEW_APPLICATION = form_schema(ApplicationForm, rename=RENAME, overrides={"funding_object": FUNDING_OBJECT})
DRAFT_UPDATE = form_schema(
    ApplicationForm, rename=RENAME, overrides={"funding_object": FUNDING_OBJECT}, partial=True
)
SKETCH_UPDATE = sketch_update_schema(FUNDING_OBJECT)
LONG_FORM_UPDATE = long_form_update_schema(FUNDING_OBJECT)
BALLOT = form_schema(BallotForm)
CONFLICT = form_schema(ConflictForm)
OBJECTION = form_schema(ObjectionForm)
NBANK_TRIGGERS = tuple(NBANK_DOCUMENT_KINDS)
# Uploaded on their own; the NBank's documents come with their trigger.
UPLOAD_KINDS = ("sketch", "long_form", "other")
UPLOAD = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(UPLOAD_KINDS), "title": "Dokumentart"},
        "file": {"type": "string", "format": "binary", "title": "Datei (PDF, DOCX oder XLSX)"},
    },
    "required": ["kind", "file"],
}
FILE = {"type": "string", "format": "binary"}


def _user():
    return g.api_user


def _visible(application_id: int) -> Application:
    """The application if the caller may see it; 404 otherwise (never leak existence)."""
    application = db.session.get(Application, application_id) if 0 < application_id <= MAX_ID else None
    if application is None or not access.can_view(_user(), application):
        raise ApiError(404, "Diesen Antrag gibt es nicht, oder er ist für Sie nicht sichtbar.")
    return application


def _funding_objects(alliance_id: int) -> list[FundingObject]:
    return list(
        db.session.scalars(
            sa.select(FundingObject)
            .where(FundingObject.alliance_id == alliance_id)
            .order_by(FundingObject.number)
        )
    )


def _funding_object_id(body: dict, funding_objects: list[FundingObject]) -> dict:
    """The funding object goes by its number in the API and by its id in the forms."""
    number = body.get("funding_object")
    if number is None:
        return {**body, "funding_object": 0}  # "– noch offen –", as the form's select sends it
    by_number = {fo.number: fo.id for fo in funding_objects}
    if number not in by_number:
        raise ApiError(
            422,
            "Bitte prüfen Sie die Angaben: funding_object: Diesen Fördergegenstand gibt es nicht.",
            errors=field_errors({"funding_object": ["Diesen Fördergegenstand gibt es nicht."]}),
        )
    return {**body, "funding_object": by_number[number]}


def _application_form(body: dict, alliance_id: int) -> ApplicationForm:
    """ApplicationForm (the views' form) filled from JSON."""
    funding_objects = _funding_objects(alliance_id)
    body = _funding_object_id(body, funding_objects)
    return validated_form(ApplicationForm, body, rename=RENAME, funding_objects=funding_objects)


# -- the document itself ----------------------------------------------------------------------------


@route(
    bp,
    "GET",
    "/openapi.json",
    summary="Dieses OpenAPI-3.1-Dokument",
    tag="Dokumentation",
    public=True,
    errors=(),
    responses={200: ("Das OpenAPI-Dokument", {"type": "object"}, "application/json")},
)
def openapi_document():
    from workflow.api.openapi import document

    return jsonify(document())


# -- the caller -------------------------------------------------------------------------------------


@route(bp, "GET", "/me", summary="Wer bin ich?", tag="Konto", errors=(), responses=ok("Me"))
def get_me():
    return jsonify(serializers.me(_user()))


# -- applications -----------------------------------------------------------------------------------


@route(
    bp,
    "GET",
    "/applications",
    summary="Anträge, die ich sehen darf",
    tag="Anträge",
    errors=(),
    query=[
        {"name": "state", "schema": {"type": "string", "enum": list(STATE_NAMES)}},
        {"name": "funding_object", "schema": {"type": "integer", "minimum": 1, "maximum": 99}},
        {"name": "district", "schema": {"type": "string", "enum": list(DISTRICTS)}},
        {"name": "page", "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
        {"name": "per_page", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
    ],
    responses=ok("ApplicationPage"),
)
def list_applications(params: dict):
    query = access.visible_applications(_user())
    if params["state"]:
        query = query.where(Application.state == params["state"])
    if params["funding_object"]:
        query = query.join(FundingObject, Application.funding_object_id == FundingObject.id).where(
            FundingObject.number == params["funding_object"]
        )
    if params["district"]:
        query = query.where(
            sa.exists().where(
                ApplicationDistrict.application_id == Application.id,
                ApplicationDistrict.name == params["district"],
            )
        )
    total = db.session.scalar(query.with_only_columns(sa.func.count(), maintain_column_froms=True))
    page, per_page = params["page"], params["per_page"]
    rows = db.session.scalars(
        query.options(
            joinedload(Application.applicant),  # to-one: joined without multiplying the rows
            joinedload(Application.funding_object),
            selectinload(Application.district_rows),
        )
        .order_by(Application.updated_at.desc(), Application.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    more = page * per_page < total
    return jsonify(
        {
            "items": [serializers.summary(a) for a in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
            "next": url_for(".list_applications", **{**_filters(params), "page": page + 1}) if more else None,
        }
    )


def _filters(params: dict) -> dict:
    return {k: v for k, v in params.items() if v is not None and k != "page"}


@route(
    bp,
    "POST",
    "/applications",
    summary="Beratung anfragen: neuen Antrag anlegen (Projektträger)",
    description="Der Antrag beginnt im Status `consultation`. Beträge in Cent.",
    tag="Anträge",
    body=NEW_APPLICATION,
    errors=(403,),
    responses=ok("Application", "Angelegt", 201),
)
def create_application(load_body):
    user = _user()
    form = _application_form(load_body(), user.alliance_id)
    application = lifecycle_service.create_application(user, **form.values())
    response = jsonify(serializers.detail(application, user))
    response.status_code = 201
    response.headers["Location"] = url_for(".get_application", application_id=application.id)
    return response


@route(
    bp,
    "GET",
    APP,
    summary="Ein Antrag: Angaben, Status, erlaubte Aktionen, Fristen, Verlauf",
    tag="Anträge",
    responses=ok("Application"),
)
def get_application(application_id: int):
    return jsonify(serializers.detail(_visible(application_id), _user()))


@route(
    bp,
    "PATCH",
    APP,
    summary="Angaben des Antrags ändern (Teiländerung; Projektträger, solange ein Entwurf seiner ist)",
    description="Wie die Seite „Bearbeiten“: Titel, Projektidee, Wunschtermine, Fördergegenstand, "
    "Handlungsfelder, Landkreise und Beträge, in `consultation`, `sketch_draft` und `long_form_draft`. Nur "
    "die gesendeten Felder ändern sich; `null` leert ein optionales Feld.",
    tag="Anträge",
    body=DRAFT_UPDATE,
    errors=(403, 404, 409),
    responses=ok("Application"),
)
def update_application(application_id: int, load_body):
    user = _user()
    application = _visible(application_id)
    if not access.may_edit(user, application):
        raise ApiError(403, "Dieser Antrag kann im aktuellen Status nicht bearbeitet werden.")
    merged = {**serializers.data_of(application), **load_body()}
    form = _application_form(merged, application.alliance_id)
    applications.update(application, user, form.values())
    return jsonify(serializers.detail(application, user))


def _transition_form(application: Application, trigger: str, body: dict, files=None):
    """The trigger's form (the views' form), filled and validated; a 422 if it refuses."""
    kwargs = {}
    if trigger == "open_vote":
        kwargs["sessions"] = timing.session_choices(application.alliance_id)
        if body.get("mode") == "circulation" and not body.get("deadline"):
            body = {**body, "deadline": timing.default_circulation_deadline(application.alliance).isoformat()}
    return validated_form(FORMS[trigger], body, files=files, **kwargs)


def _transition(application_id: int, trigger: str, load):
    user = _user()
    application = _visible(application_id)
    lifecycle_service.ensure_may_fire(application, trigger, user)
    files = request.files if trigger in NBANK_TRIGGERS else None
    form = _transition_form(application, trigger, load(), files)
    lifecycle_service.fire(application, trigger, user, form.recorded())
    return jsonify(serializers.detail(application, user))


NBANK_NOTE = (
    " Als `multipart/form-data`: die Angaben als Formularfelder (Beträge in Cent, Daten JJJJ-MM-TT) und "
    "das Dokument als Datei im Feld `document` (PDF, höchstens 10 MB, geprüft wird der Inhalt). Es wird "
    "mit dem Statuswechsel in derselben Transaktion als nächste Fassung seiner Art gespeichert "
    "(`{kind}`) und steht danach unter `…/documents`."
)


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
        responses=ok("Application", "Ausgeführt: der Antrag im neuen Status"),
        endpoint=f"transition_{name}",
        defaults={"trigger": name},
        **options,
    )(view)


for _name in FORMS:
    _declare_transition(_name)


# -- the structured sketch --------------------------------------------------------------------------


def _sketch_form(application: Application, body: dict) -> SketchForm:
    funding_objects = _funding_objects(application.alliance_id)
    body = _funding_object_id(body, funding_objects)
    if isinstance(body.get("other_partners"), list):
        body = {**body, "other_partners": "\n".join(body["other_partners"])}
    return validated_form(
        SketchForm,
        body,
        rename=RENAME,
        funding_objects=funding_objects,
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
    application = _visible(application_id)
    return jsonify(serializers.sketch(application, _user()))


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
    user = _user()
    application = _visible(application_id)
    if not access.may_edit_sketch(user, application):
        raise NotAllowed(sketches.NOT_EDITABLE)
    merged = {**serializers.sketch_values(application), **load_body()}
    form = _sketch_form(application, merged)
    sketches.save_draft(application, user, form.values())
    return jsonify(serializers.sketch(application, user))


# -- the long form ----------------------------------------------------------------------------------


def _section_form(application: Application, key: str, sent: dict):
    """One section's form (the views' form), filled from what is stored and what was sent."""
    form_class = SECTION_FORMS[key]
    kwargs: dict = {}
    if key == "partners":
        kwargs["partners"] = long_forms.partner_organisations(application)
    if key == "classification":
        kwargs["funding_objects"] = _funding_objects(application.alliance_id)
    try:
        if key in ("costs", "financing"):
            return validated_form(form_class, {}, raw=_plan_formdata(form_class, sent["lines"]), **kwargs)
        body = {**serializers.long_form_section(application, key), **sent}
        if key == "classification":
            body = _funding_object_id(body, kwargs["funding_objects"])
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
    user = _user()
    application = _visible(application_id)
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
    user = _user()
    application = _visible(application_id)
    long_forms.ensure_may_edit(user, application)
    body = load_body()
    values = {key: _section_form(application, key, sent).values() for key, sent in body.items()}
    long_forms.save_sections(application, user, values)
    return jsonify(serializers.long_form(application, user))


# -- documents --------------------------------------------------------------------------------------


@route(
    bp,
    "GET",
    f"{APP}/documents",
    summary="Dokumente des Antrags (alle Fassungen)",
    tag="Dokumente",
    responses=ok("DocumentList"),
)
def list_documents(application_id: int):
    user = _user()
    application = _visible(application_id)
    return jsonify(
        {
            "items": [
                serializers.document(d)
                for d in documents.versions(application)
                if long_forms.may_see_document(user, application, d)
            ]
        }
    )


@route(
    bp,
    "POST",
    f"{APP}/documents",
    summary="Dokument hochladen (neue Fassung seiner Art)",
    description="multipart/form-data mit `kind` und `file`. Geprüft wird der Inhalt, nicht der Name. "
    "`sketch`: die Projektskizze als PDF mit höchstens 3 Seiten, solange sie ein Entwurf ist; `long_form`: "
    "die Langfassung im Formular der NBank (PDF, DOCX oder XLSX), solange sie bearbeitet wird; `other`: "
    "ein sonstiges Dokument. Die Dokumente der NBank (Antrag, Bescheid, Ablehnung) kommen mit ihrem "
    "Auslöser (`…/transitions/record_nbank_submission` usw.).",
    tag="Dokumente",
    multipart=UPLOAD,
    errors=(403, 404),
    responses=ok("Document", "Gespeichert", 201),
)
def upload_document(application_id: int):
    user = _user()
    application = _visible(application_id)
    if not access.may_upload(user, application):
        raise ApiError(403, "Sie dürfen zu diesem Antrag keine Dokumente hochladen.")
    kind, upload = request.form.get("kind", ""), request.files.get("file")
    messages = {}
    if kind not in UPLOAD_KINDS:
        messages["kind"] = ["Erlaubt sind: " + ", ".join(UPLOAD_KINDS) + "."]
    if upload is None:
        messages["file"] = ["Bitte senden Sie eine Datei im Feld „file“."]
    if messages:
        raise ApiError(
            422,
            "Bitte prüfen Sie die Angaben: " + "; ".join(f"{k}: {v[0]}" for k, v in messages.items()),
            errors=field_errors(messages),
        )
    # The same operation as the page of each kind (with its rule of who may upload when).
    if kind == "sketch":
        document = sketches.upload_pdf(application, user, upload.stream, upload.filename)
    elif kind == "long_form":
        document = long_forms.store_document(application, user, upload.stream, upload.filename)
    else:
        document = documents.upload(application, kind, upload.stream, upload.filename, user)
    response = jsonify(serializers.document(document))
    response.status_code = 201
    response.headers["Location"] = serializers.document(document)["url"]
    return response


@route(
    bp,
    "GET",
    f"{APP}/documents/<{ID}:document_id>",
    summary="Die Datei eines Dokuments (als Anhang)",
    tag="Dokumente",
    responses={200: ("Die Datei", FILE, (PDF, DOCX, XLSX))},
)
def download_document(application_id: int, document_id: int):
    application = _visible(application_id)
    document = db.session.get(Document, document_id) if 0 < document_id <= MAX_ID else None
    if (
        document is None
        or document.application_id != application.id
        or not long_forms.may_see_document(_user(), application, document)
    ):
        raise ApiError(404, "Dieses Dokument gibt es nicht.")
    return send_document(document)


# -- the vote ---------------------------------------------------------------------------------------


def _vote_of(application: Application):
    vote = application.current_vote
    if vote is None:
        raise ApiError(404, "Zu diesem Antrag gibt es keine Abstimmung.")
    return vote


@route(
    bp,
    "GET",
    f"{APP}/vote",
    summary="Die Abstimmung der Bündnispartner (geheim, solange sie läuft)",
    tag="Votum",
    responses=ok("Vote"),
)
def get_vote(application_id: int):
    application = _visible(application_id)
    return jsonify(serializers.vote(_vote_of(application), _user()))


@route(
    bp,
    "PUT",
    f"{APP}/vote/ballot",
    summary="Das Votum meiner Organisation abgeben oder ändern",
    description="Die letzte Abgabe vor der Frist zählt; jede Änderung bleibt im Verlauf. Eine Ablehnung "
    "braucht einen Kommentar. Haben alle stimmberechtigten Partner abgestimmt, schließt die Abstimmung.",
    tag="Votum",
    body=BALLOT,
    errors=(403, 404, 409),
    responses=ok("Vote"),
)
def put_ballot(application_id: int, load_body):
    user = _user()
    application = _visible(application_id)
    vote = _vote_of(application)
    form = validated_form(BallotForm, load_body())
    casting.cast_ballot(application, user, form.choice.data, form.comment.data, **form.ratings())
    return jsonify(serializers.vote(vote, user))


@route(
    bp,
    "POST",
    f"{APP}/vote/conflict",
    summary="Befangenheit meiner Organisation erklären",
    tag="Votum",
    body=CONFLICT,
    errors=(403, 404, 409),
    responses=ok("Vote", "Vermerkt", 201),
)
def declare_conflict(application_id: int, load_body):
    user = _user()
    application = _visible(application_id)
    vote = _vote_of(application)
    form = validated_form(ConflictForm, load_body())
    casting.declare_conflict(application, user, form.reason.data)
    response = jsonify(serializers.vote(vote, user))
    response.status_code = 201
    return response


@route(
    bp,
    "POST",
    f"{APP}/vote/objection",
    summary="Dem Umlaufverfahren widersprechen (die Abstimmung geht in die nächste Sitzung)",
    description="Ein stimmberechtigter Bündnispartner vor Ablauf der Frist; abgegebene Voten bleiben.",
    tag="Votum",
    body=OBJECTION,
    errors=(403, 404, 409),
    responses=ok("Vote", "Vermerkt", 201),
)
def object_to_circulation(application_id: int, load_body):
    user = _user()
    application = _visible(application_id)
    vote = _vote_of(application)
    form = validated_form(ObjectionForm, load_body())
    to_session.object_to_circulation(application, user, form.reason.data)
    response = jsonify(serializers.vote(vote, user))
    response.status_code = 201
    return response


# -- statement, sessions, budget --------------------------------------------------------------------


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
    application = _visible(application_id)
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


@route(
    bp,
    "GET",
    "/sessions",
    summary="Sitzungen des Gremiums (Bündnispartner, Koordination, Beobachter)",
    description="Die Sitzungen des eigenen Bündnisses, neueste zuerst, mit Tagesordnung, Protokoll, "
    "Anwesenheit und den Anträgen, über die dort abgestimmt wird (nur die, die Sie sehen dürfen). "
    "Projektträger sehen keine Sitzungen (403).",
    tag="Sitzungen",
    errors=(403,),
    responses=ok("SessionList"),
)
def list_sessions():
    user = _user()
    if not sessions.can_view(user):
        raise NotAllowed("Die Sitzungen sehen die Bündnispartner, die Koordination und Beobachter.")
    return jsonify({"items": [serializers.session(s, user) for s in sessions.list_for(user)]})


@route(
    bp,
    "GET",
    "/budget",
    summary="Das virtuelle Budget des Bündnisses je Förderperiode (Koordination und Bündnispartner)",
    description="Je Förderperiode: Budget, gebunden (positive Stellungnahme, noch kein Bescheid), "
    "bewilligt, verbleibend, in Cent, und die Anträge, die es binden. Ohne Förderperiode ist die "
    "Liste leer.",
    tag="Budget",
    errors=(403,),
    responses=ok("Budget"),
)
def get_budget():
    user = _user()
    if not budget.may_see(user):
        raise NotAllowed("Das Budget sehen die Netzwerkkoordination und die Bündnispartner.")
    return jsonify(serializers.budget(user, budget.periods(user)))
