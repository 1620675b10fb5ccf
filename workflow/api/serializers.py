"""Plain JSON of the domain's objects, for one caller (what they may see, nothing more)."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for

from workflow.lifecycle import STATES_BY_NAME, TRIGGERS_BY_NAME
from workflow.models import Application, CommitteeSession, Document, Event, FundingPeriod, User, Vote
from workflow.models.event import BALLOT_CAST
from workflow.models.long_form import SECTIONS
from workflow.rules.voting import CRITERIA
from workflow.services import access, deadlines, documents, long_forms, sessions, sketches
from workflow.services import lifecycle as lifecycle_service
from workflow.votes import queries, timing

EVENT_LABELS = {
    "created": "Beratung angefragt (Antrag angelegt)",
    "updated": "Angaben geändert",
    "ballot_cast": "Votum abgegeben",
    "recusal": "Befangenheit erklärt",
    "document_uploaded": "Dokument hochgeladen",
}
# Ballot details that stay secret while a vote is open (partners see who voted, not how).
SECRET_BALLOT_KEYS = ("choice", "comment", *CRITERIA)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def me(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "role_label": user.role_label,
        "organisation": {
            "id": user.organisation.id,
            "name": user.organisation.name,
            "kind": user.organisation.kind,
        },
        "alliance": {"slug": user.organisation.alliance.slug, "name": user.organisation.alliance.name},
    }


def summary(application: Application) -> dict:
    return {
        "id": application.id,
        "reference": application.reference,
        "title": application.title,
        "state": application.state,
        "state_label": application.state_label,
        "applicant": {"id": application.applicant.id, "name": application.applicant.name},
        "funding_object": application.funding_object.number if application.funding_object else None,
        "districts": application.districts,
        "updated_at": iso(application.updated_at),
        "url": url_for("api.get_application", application_id=application.id),
    }


def data_of(application: Application) -> dict:
    """The application's own editable data, in the API's field names."""
    return {
        "title": application.title,
        "summary": application.summary or "",
        "funding_object": application.funding_object.number if application.funding_object else None,
        "fields_of_action": application.fields_of_action,
        "districts": application.districts,
        "total_cost_cents": application.total_cost_cents,
        "requested_grant_cents": application.requested_grant_cents,
    }


def deadlines_of(application: Application) -> list[dict]:
    """Every deadline of the procedure (services/deadlines.py) with its state."""
    return [_plain(d.as_dict()) for d in deadlines.for_application(application)]


# -- the sketch -------------------------------------------------------------------------------------


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


def sketch(application: Application, user: User) -> dict:
    overview = sketches.overview(application, user)
    return {
        "application_id": application.id,
        "state": application.state,
        "editable": overview["may_edit"],
        "data": _plain(sketch_values(application)),
        "partners": [
            {
                "name": p.label,
                "organisation_id": p.organisation_id,
                "alliance_partner": p.organisation_id is not None,
            }
            for p in application.project_partners
        ],
        "partner_choices": [
            {"id": o.id, "name": o.name} for o in sketches.alliance_partners(application.alliance_id)
        ],
        "missing": overview["missing"],
        "pdfs": [document(d) for d in documents.versions(application, "sketch")],
        "updated_at": iso(overview["updated_at"]),
    }


# -- the long form ----------------------------------------------------------------------------------


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


def long_form(application: Application, user: User) -> dict:
    """The long form as `user` may see it: partners get no cost lines (salary details) and not
    NBank's form, only the totals per category (long_forms.sees_salaries, as on the page)."""
    item = application.long_form
    salaries = long_forms.sees_salaries(user, application)
    sections = {s.key: _plain(long_form_section(application, s.key)) for s in SECTIONS}
    if not salaries:
        sections["costs"] = None
    max_rate = application.alliance.procedure.max_funding_rate_percent
    rate = item.funding_rate() if item else None
    return {
        "application_id": application.id,
        "state": application.state,
        "editable": long_forms.may_edit(user, application),
        "overview": long_forms.overview(application),
        "sections": sections,
        "project_partners": [
            {"id": row.organisation.id, "name": row.organisation.name}
            for row in (item.partner_rows if item else [])
        ],
        "partner_choices": [
            {"id": o.id, "name": o.name} for o in long_forms.partner_organisations(application)
        ],
        "plans": {
            "show_details": salaries,
            "cost_total_cents": item.cost_total if item else 0,
            "financing_total_cents": item.financing_total if item else 0,
            "difference_cents": item.difference if item else 0,
            "balanced": bool(item) and item.cost_total > 0 and item.difference == 0,
            "esf_grant_cents": item.esf_grant if item else 0,
            "funding_rate_percent": str(rate) if rate is not None else None,
            "max_funding_rate_percent": max_rate,
            "rate_ok": bool(item) and item.funding_rate_within(max_rate),
            "cost_by_category": item.cost_by_category() if item else {},
            "financing_by_source": item.financing_by_source() if item else {},
        },
        "documents": [document(d) for d in documents.versions(application, "long_form")] if salaries else [],
    }


# -- sessions and budget ----------------------------------------------------------------------------


def session(item: CommitteeSession, user: User) -> dict:
    items = []
    for application in sessions.agenda_items(item):
        if not access.can_view(user, application):
            continue
        current_vote = application.current_vote
        items.append(
            {
                "application_id": application.id,
                "reference": application.reference,
                "title": application.title,
                "state": application.state,
                "vote_status": timing.status(current_vote) if current_vote is not None else None,
                "url": url_for("api.get_application", application_id=application.id),
            }
        )
    return {
        "id": item.id,
        "starts_at": iso(item.starts_at),
        "place": item.place,
        "agenda": item.agenda or "",
        "minutes": item.minutes,
        "past": sessions.is_past(item),
        "cancelled_at": iso(item.cancelled_at),
        "cancel_reason": item.cancel_reason,
        "entered_afterwards": item.entered_afterwards,
        "sequence": item.sequence,
        "items": items,
        "attendance": [
            {"organisation": {"id": a.organisation.id, "name": a.organisation.name}, "present": a.present}
            for a in item.attendance
        ],
    }


def budget(user: User, periods: list[FundingPeriod]) -> dict:
    current = FundingPeriod.current(user.alliance_id) if periods else None
    items = []
    for period in periods:
        figures = period.figures()
        items.append(
            {
                "id": period.id,
                "name": period.name,
                "starts_on": iso(period.starts_on),
                "ends_on": iso(period.ends_on),
                "current": current is not None and current.id == period.id,
                "total_cents": figures.total,
                "committed_cents": figures.committed,
                "granted_cents": figures.granted,
                "remaining_cents": figures.remaining,
                "exceeded": figures.exceeded,
                "applications": [
                    {
                        "application_id": e.application_id,
                        "reference": e.reference,
                        "title": e.title,
                        "applicant": e.applicant,
                        "state": e.state,
                        "status": e.status,
                        "requested_cents": e.requested_cents,
                        "granted_cents": e.granted_cents,
                        "counted_cents": e.counted_cents,
                        "endorsed_on": iso(e.endorsed_on),
                    }
                    for e in figures.entries
                ],
            }
        )
    return {"items": items}


def event(item: Event, user: User, votes_by_id: dict[int, Vote]) -> dict:
    data = dict(item.data or {})
    if item.kind == BALLOT_CAST:
        vote = votes_by_id.get(data.get("vote_id"))
        if vote is None or not queries.sees_how_partners_voted(user, vote):
            for key in SECRET_BALLOT_KEYS:
                data.pop(key, None)
    label = TRIGGERS_BY_NAME[item.trigger].label if item.trigger else EVENT_LABELS.get(item.kind, item.kind)
    return {
        "id": item.id,
        "kind": item.kind,
        "trigger": item.trigger,
        "label": label,
        "from_state": item.from_state,
        "to_state": item.to_state,
        "actor": {"id": item.actor.id, "name": item.actor.name} if item.actor else None,
        "at": iso(item.created_at),
        "data": data,
    }


def detail(application: Application, user: User) -> dict:
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
    return {
        "id": application.id,
        "reference": application.reference,
        "title": application.title,
        "state": application.state,
        "state_label": state.label,
        "next_actor": state.next_actor,
        "final": state.final,
        "applicant": {"id": application.applicant.id, "name": application.applicant.name},
        "funding_object": (
            {
                "number": application.funding_object.number,
                "name": application.funding_object.name,
                "needs_statement": application.funding_object.needs_statement,
            }
            if application.funding_object
            else None
        ),
        "data": data_of(application),
        "created_at": iso(application.created_at),
        "updated_at": iso(application.updated_at),
        "version": application.version,
        "may_edit": access.may_edit(user, application),
        "may_upload": access.may_upload(user, application),
        "allowed_triggers": [
            {
                "name": t.name,
                "label": t.label,
                "url": url_for(f"api.transition_{t.name}", application_id=application.id),
            }
            for t in access.allowed_triggers(user, application)
        ],
        "deadlines": deadlines_of(application),
        "history": [event(e, user, votes_by_id) for e in lifecycle_service.history(application)],
        "links": links,
    }


def document(item: Document) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "kind_label": item.kind_label,
        "version": item.version,
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "pages": item.pages,
        "uploaded_at": iso(item.uploaded_at),
        "uploaded_by": {"id": item.uploaded_by.id, "name": item.uploaded_by.name},
        "url": url_for("api.download_document", application_id=item.application_id, document_id=item.id),
    }


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def vote(item: Vote, user: User) -> dict:
    """The vote as the caller may see it (queries.panel: secrecy while open), with codes beside labels."""
    panel = _plain(queries.panel(item, user))
    own = panel.get("own_ballot")
    if own:
        own.update({k: int(own[k]) if own.get(k) else None for k in CRITERIA})
    return {
        **panel,
        "id": item.id,
        "mode": item.mode,
        "mode_label": item.mode_label,
        "outcome": item.outcome,
        "outcome_label": item.outcome_label,
        "opened_at": iso(item.opened_at),
    }
