"""Applications: the list the caller may see, a new one, one in full, its editable data."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from flask import jsonify, url_for
from sqlalchemy.orm import joinedload, selectinload

from forms.application import ApplicationForm
from workflow import models
from workflow.api import bp
from workflow.api.loading import APP, FUNDING_OBJECT, RENAME, answer, application_form, caller, visible
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.shapes import DateTime, Day, Named, Plain, Shape, named
from workflow.api.validation import form_schema
from workflow.api.vote import event_data
from workflow.extensions import db
from workflow.lifecycle import STATE_NAMES, STATES_BY_NAME, TRIGGER_NAMES
from workflow.models import ApplicationDistrict
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.models.event_kinds import label_of
from workflow.services import access, applications, deadlines
from workflow.services import lifecycle as lifecycle_service
from workflow.services.deadlines import KINDS as DEADLINE_KINDS
from workflow.services.deadlines import STATUS_LABELS as DEADLINE_STATUSES

NEW_APPLICATION = form_schema(ApplicationForm, rename=RENAME, overrides={"funding_object": FUNDING_OBJECT})
DRAFT_UPDATE = form_schema(
    ApplicationForm, rename=RENAME, overrides={"funding_object": FUNDING_OBJECT}, partial=True
)
State = Literal[tuple(STATE_NAMES)]
District = Literal[tuple(DISTRICTS)]


class ApplicationSummary(Shape):
    id: int
    reference: str | None
    title: str
    state: State
    state_label: str
    applicant: Named
    funding_object: int | None
    districts: list[District]
    updated_at: DateTime
    url: str


class ApplicationPage(Shape):
    items: list[ApplicationSummary]
    page: int
    per_page: int
    total: int
    next: str | None


class FundingObject(Shape):
    number: int
    name: str
    needs_statement: bool


class ApplicationData(Shape):
    """Die bearbeitbaren Angaben des Antrags (wie im PATCH; Fördergegenstand als Nummer)."""

    title: str
    summary: str
    funding_object: int | None
    fields_of_action: list[Literal[tuple(FIELDS_OF_ACTION)]]
    districts: list[District]
    total_cost_cents: int | None
    requested_grant_cents: int | None


class Trigger(Shape):
    name: Literal[tuple(TRIGGER_NAMES)]
    label: str
    url: str


class Deadline(Shape):
    """Eine Frist des Verfahrens (services/deadlines.py) mit ihrem Stand."""

    kind: Literal[tuple(k.name for k in DEADLINE_KINDS)]
    label: str
    actor: str
    application_id: int
    started_at: DateTime
    due_on: Day
    ends_at: DateTime
    status: Literal[tuple(DEADLINE_STATUSES)]
    status_label: str
    description: str
    met_on: Day | None
    met_late: bool
    days: int | None
    explanation: str | None


class Event(Shape):
    """Ein Eintrag im Verlauf (wie abgestimmt wurde, erst wenn die Abstimmung geschlossen ist)."""

    id: int
    kind: str
    trigger: str | None
    label: str
    from_state: str | None
    to_state: str | None
    actor: Named | None
    at: DateTime
    data: Plain


class Application(Shape):
    """Ein Antrag: Angaben, Status, erlaubte Aktionen, Fristen und Verlauf."""

    id: int
    reference: str | None
    title: str
    state: State
    state_label: str
    next_actor: str
    final: bool
    applicant: Named
    funding_object: FundingObject | None
    data: ApplicationData
    created_at: DateTime
    updated_at: DateTime
    version: int
    may_edit: bool
    may_upload: bool
    allowed_triggers: list[Trigger]
    deadlines: list[Deadline]
    history: list[Event]
    links: dict[str, str]


def summary_of(application: models.Application) -> ApplicationSummary:
    return ApplicationSummary(
        id=application.id,
        reference=application.reference,
        title=application.title,
        state=application.state,
        state_label=str(application.state_label),
        applicant=named(application.applicant),
        funding_object=application.funding_object.number if application.funding_object else None,
        districts=application.districts,
        updated_at=application.updated_at,
        url=url_for("api.get_application", application_id=application.id),
    )


def data_of(application: models.Application) -> dict:
    """The application's own editable data, in the API's field names (what PATCH takes)."""
    return {
        "title": application.title,
        "summary": application.summary or "",
        "funding_object": application.funding_object.number if application.funding_object else None,
        "fields_of_action": application.fields_of_action,
        "districts": application.districts,
        "total_cost_cents": application.total_cost_cents,
        "requested_grant_cents": application.requested_grant_cents,
    }


def event_of(item: models.Event, user: models.User, votes_by_id: dict) -> Event:
    return Event(
        id=item.id,
        kind=item.kind,
        trigger=item.trigger,
        label=str(label_of(item.kind, item.trigger)),
        from_state=item.from_state,
        to_state=item.to_state,
        actor=named(item.actor) if item.actor else None,
        at=item.created_at,
        data=event_data(item, user, votes_by_id),
    )


def detail(application: models.Application, user: models.User) -> Application:
    state = STATES_BY_NAME[application.state]
    votes_by_id = {v.id: v for v in application.votes}
    links = {
        "self": url_for("api.get_application", application_id=application.id),
        "html": url_for("applications.show", application_id=application.id),
        "sketch": url_for("api.get_sketch", application_id=application.id),
        "long_form": url_for("api.get_long_form", application_id=application.id),
        "documents": url_for("api.list_documents", application_id=application.id),
    }
    if application.current_vote is not None:
        links["vote"] = url_for("api.get_vote", application_id=application.id)
    funding_object = application.funding_object
    return Application(
        id=application.id,
        reference=application.reference,
        title=application.title,
        state=application.state,
        state_label=str(state.label),
        next_actor=str(state.next_actor),
        final=state.final,
        applicant=named(application.applicant),
        funding_object=FundingObject(
            number=funding_object.number,
            name=funding_object.name,
            needs_statement=funding_object.needs_statement,
        )
        if funding_object
        else None,
        data=ApplicationData.model_validate(data_of(application)),
        created_at=application.created_at,
        updated_at=application.updated_at,
        version=application.version,
        may_edit=access.may(user, "edit", application),
        may_upload=access.may(user, "upload", application),
        allowed_triggers=[
            Trigger(
                name=t.name,
                label=str(t.label),
                url=url_for(f"api.transition_{t.name}", application_id=application.id),
            )
            for t in access.allowed_triggers(user, application)
        ],
        deadlines=[Deadline.model_validate(d.as_dict()) for d in deadlines.for_application(application)],
        history=[event_of(e, user, votes_by_id) for e in lifecycle_service.history(application)],
        links=links,
    )


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
    responses=ok(ApplicationPage),
)
def list_applications(params: dict):
    query = access.visible_applications(caller())
    if params["state"]:
        query = query.where(models.Application.state == params["state"])
    if params["funding_object"]:
        query = query.join(
            models.FundingObject, models.Application.funding_object_id == models.FundingObject.id
        ).where(models.FundingObject.number == params["funding_object"])
    if params["district"]:
        query = query.where(
            sa.exists().where(
                ApplicationDistrict.application_id == models.Application.id,
                ApplicationDistrict.name == params["district"],
            )
        )
    total = db.session.scalar(query.with_only_columns(sa.func.count(), maintain_column_froms=True))
    page, per_page = params["page"], params["per_page"]
    rows = db.session.scalars(
        query.options(
            joinedload(models.Application.applicant),  # to-one: joined without multiplying the rows
            joinedload(models.Application.funding_object),
            selectinload(models.Application.district_rows),
        )
        .order_by(models.Application.updated_at.desc(), models.Application.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    more = page * per_page < total
    page_of = ApplicationPage(
        items=[summary_of(a) for a in rows],
        page=page,
        per_page=per_page,
        total=total,
        next=url_for(".list_applications", **{**_filters(params), "page": page + 1}) if more else None,
    )
    return jsonify(page_of.plain())


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
    responses=ok(Application, "Angelegt", 201),
)
def create_application(load_body):
    user = caller()
    form = application_form(load_body(), user.alliance_id)
    application = lifecycle_service.create_application(user, **form.values())
    location = url_for(".get_application", application_id=application.id)
    return answer(detail(application, user).plain(), 201, location)


@route(
    bp,
    "GET",
    APP,
    summary="Ein Antrag: Angaben, Status, erlaubte Aktionen, Fristen, Verlauf",
    tag="Anträge",
    responses=ok(Application),
)
def get_application(application_id: int):
    return jsonify(detail(visible(application_id), caller()).plain())


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
    responses=ok(Application),
)
def update_application(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    if not access.may(user, "edit", application):
        raise ApiError(403, "Dieser Antrag kann im aktuellen Status nicht bearbeitet werden.")
    merged = {**data_of(application), **load_body()}
    form = application_form(merged, application.alliance_id)
    applications.update(application, user, form.values())
    return jsonify(detail(application, user).plain())
