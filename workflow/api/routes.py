"""The operations of /api/v1. Each loads what the caller may see (404 otherwise), checks the right
through the domain (403/409), reads its input through the same forms as the views (422), calls one
domain operation and answers JSON."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import g, jsonify, request, send_file, url_for

from forms.application import ApplicationForm
from forms.ballot import BallotForm, ConflictForm
from forms.transitions import FORMS
from workflow.api import bp, serializers
from workflow.api.problems import ApiError, field_errors
from workflow.api.registry import ID, ok, route
from workflow.api.validation import MAX_ID, form_schema, validated_form
from workflow.extensions import db
from workflow.lifecycle import STATE_NAMES, TRIGGERS_BY_NAME
from workflow.models import Application, ApplicationDistrict, Document, FundingObject
from workflow.models.alliance import DISTRICTS
from workflow.models.document import DOCUMENT_KINDS
from workflow.services import access, applications, documents, votes
from workflow.services import lifecycle as lifecycle_service
from workflow.services.documents import DOCX, PDF, XLSX

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
BALLOT = form_schema(BallotForm)
CONFLICT = form_schema(ConflictForm)
UPLOAD = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(DOCUMENT_KINDS), "title": "Dokumentart"},
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


def _application_form(body: dict, alliance_id: int) -> ApplicationForm:
    """ApplicationForm (the views' form) filled from JSON; the funding object goes by its number."""
    funding_objects = _funding_objects(alliance_id)
    number = body.get("funding_object")
    if number is None:
        body = {**body, "funding_object": 0}  # "– noch offen –", as the form's select sends it
    else:
        by_number = {fo.number: fo.id for fo in funding_objects}
        if number not in by_number:
            raise ApiError(
                422,
                "Bitte prüfen Sie die Angaben: funding_object: Diesen Fördergegenstand gibt es nicht.",
                errors=field_errors({"funding_object": ["Diesen Fördergegenstand gibt es nicht."]}),
            )
        body = {**body, "funding_object": by_number[number]}
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
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page, per_page = params["page"], params["per_page"]
    rows = db.session.scalars(
        query.order_by(Application.updated_at.desc(), Application.id.desc())
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


def _transition(application_id: int, trigger: str, load_body):
    user = _user()
    application = _visible(application_id)
    lifecycle_service.ensure_may_fire(application, trigger, user)
    body = load_body()
    if trigger == "open_vote" and body.get("mode") == "circulation" and not body.get("deadline"):
        body = {**body, "deadline": votes.default_circulation_deadline(application.alliance).isoformat()}
    form = validated_form(FORMS[trigger], body)
    lifecycle_service.fire(application, trigger, user, form.recorded())
    return jsonify(serializers.detail(application, user))


def _declare_transition(name: str) -> None:
    trigger = TRIGGERS_BY_NAME[name]
    roles = ", ".join(r for r in trigger.roles if r != "system")
    sources = ", ".join(sorted({t.source for t in trigger.transitions}))
    extra = (
        " Ohne `deadline` gilt die Umlauffrist des Bündnisses (auf den nächsten Arbeitstag verschoben)."
        if name == "open_vote"
        else ""
    )

    def view(application_id: int, trigger: str, load_body):
        return _transition(application_id, trigger, load_body)

    route(
        bp,
        "POST",
        f"{APP}/transitions/{name}",
        summary=trigger.label,
        description=f"Auslöser `{name}`: für {roles}; aus {sources}.{extra}",
        tag="Lebenszyklus",
        body=form_schema(FORMS[name]),
        errors=(403, 404, 409),
        responses=ok("Application", "Ausgeführt: der Antrag im neuen Status"),
        endpoint=f"transition_{name}",
        defaults={"trigger": name},
    )(view)


for _name in FORMS:
    _declare_transition(_name)


# -- sketch and long form (for now: the application's own data; the stages make them richer) ------


def _draft_routes(path: str, name: str, label: str) -> None:
    def get_view(application_id: int):
        application = _visible(application_id)
        return jsonify(serializers.draft(application, _user()))

    def put_view(application_id: int, load_body):
        user = _user()
        application = _visible(application_id)
        if not access.may_edit(user, application):
            raise ApiError(403, "Dieser Antrag kann im aktuellen Status nicht bearbeitet werden.")
        merged = {**serializers.data_of(application), **load_body()}
        form = _application_form(merged, application.alliance_id)
        applications.update(application, user, form.values())
        return jsonify(serializers.draft(application, user))

    route(
        bp,
        "GET",
        f"{APP}/{path}",
        summary=f"{label} lesen",
        tag=label,
        responses=ok("Draft"),
        endpoint=f"get_{name}",
    )(get_view)
    route(
        bp,
        "PUT",
        f"{APP}/{path}",
        summary=f"{label} speichern (Teiländerung erlaubt)",
        description="Nur die gesendeten Felder ändern sich; `null` leert ein optionales Feld.",
        tag=label,
        body=DRAFT_UPDATE,
        errors=(403, 404, 409),
        responses=ok("Draft"),
        endpoint=f"put_{name}",
    )(put_view)


_draft_routes("sketch", "sketch", "Projektskizze")
_draft_routes("long-form", "long_form", "Langfassung")


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
    application = _visible(application_id)
    return jsonify({"items": [serializers.document(d) for d in documents.versions(application)]})


@route(
    bp,
    "POST",
    f"{APP}/documents",
    summary="Dokument hochladen (neue Fassung seiner Art)",
    description="multipart/form-data mit `kind` und `file`. Geprüft wird der Inhalt, nicht der Name; "
    "eine Projektskizze ist ein PDF mit höchstens 3 Seiten.",
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
    if kind not in DOCUMENT_KINDS:
        messages["kind"] = ["Erlaubt sind: " + ", ".join(DOCUMENT_KINDS) + "."]
    if upload is None:
        messages["file"] = ["Bitte senden Sie eine Datei im Feld „file“."]
    if messages:
        raise ApiError(
            422,
            "Bitte prüfen Sie die Angaben: " + "; ".join(f"{k}: {v[0]}" for k, v in messages.items()),
            errors=field_errors(messages),
        )
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
    if document is None or document.application_id != application.id:
        raise ApiError(404, "Dieses Dokument gibt es nicht.")
    # Read whole (documents are at most a few MB): no open file handle outlives the response.
    return send_file(
        io.BytesIO(documents.path_of(document).read_bytes()),
        mimetype=document.media_type,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )


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
    votes.cast_ballot(application, user, form.choice.data, form.comment.data, **form.ratings())
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
    votes.declare_conflict(application, user, form.reason.data)
    response = jsonify(serializers.vote(vote, user))
    response.status_code = 201
    return response


# -- statement, sessions, budget (filled by the later stages) ---------------------------------------


@route(
    bp,
    "GET",
    f"{APP}/statement.pdf",
    summary="Die Stellungnahme des Bündnisses als PDF",
    description="Noch gibt es keine Stellungnahme-PDFs: die Antwort ist 404, bis sie erzeugt werden.",
    tag="Stellungnahme",
    responses={200: ("Die Stellungnahme", FILE, PDF)},
)
def get_statement(application_id: int):
    _visible(application_id)
    raise ApiError(404, "Zu diesem Antrag gibt es (noch) keine Stellungnahme als PDF.")


@route(
    bp,
    "GET",
    "/sessions",
    summary="Sitzungen des Lenkungskreises",
    description="Sitzungen werden noch nicht erfasst: die Liste ist leer.",
    tag="Sitzungen",
    errors=(),
    responses=ok("List"),
)
def list_sessions():
    return jsonify({"items": []})


@route(
    bp,
    "GET",
    "/budget",
    summary="Das virtuelle Budget des Bündnisses",
    description="Das Budget wird noch nicht geführt: die Liste der Förderperioden ist leer.",
    tag="Budget",
    errors=(),
    responses=ok("List"),
)
def get_budget():
    return jsonify({"items": []})
