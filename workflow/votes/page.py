"""The vote page: what a partner needs to decide on one long form, as plain data, in the order the
page shows it (issue 16): the key data, the money, the content, the two plans as category totals
(never salary lines), the first assessment's result, the documents, the vote (who has voted, never
how while it is open) and the partner's own ballot with its state and its history from the log.

It reads what the application page reads (the application with PAGE_OPTIONS, the history once per
request), so it never costs more queries than that page."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext

from workflow.formatting import percent
from workflow.lifecycle import PARTNER
from workflow.models import DOCUMENT_KINDS, Application, Document, User
from workflow.models.event_kinds import BALLOT_CAST, RECUSAL
from workflow.models.long_form import COST_CATEGORIES, FINANCING_SOURCES
from workflow.rules.voting import CHOICE_LABELS, CRITERIA
from workflow.services import access, assessment
from workflow.services import lifecycle as lifecycle_service
from workflow.votes import queries


def _money(application: Application) -> dict:
    """Total cost, requested grant (ESF+) and funding rate: the long form's plans once they exist,
    the amounts named at the consultation before."""
    long_form = application.long_form
    if long_form is not None and long_form.cost_total:
        return {
            "total_cost_cents": long_form.cost_total,
            "requested_grant_cents": long_form.esf_grant,
            "funding_rate": percent(long_form.funding_rate()),
        }
    total, grant = application.total_cost_cents, application.requested_grant_cents
    rate = None
    if total and grant is not None:
        rate = percent((Decimal(grant) * 100 / Decimal(total)).quantize(Decimal("0.01"), ROUND_HALF_UP))
    return {"total_cost_cents": total, "requested_grant_cents": grant, "funding_rate": rate}


def _content(application: Application) -> dict:
    long_form, sketch = application.long_form, application.sketch
    source = long_form if long_form is not None else sketch
    return {
        "summary": application.summary,
        "objectives": getattr(source, "objectives", "") if source else "",
        "target_groups": getattr(source, "target_groups", "") if source else "",
        "participants_planned": getattr(source, "participants_planned", None) if source else None,
    }


def _plans(application: Application) -> dict | None:
    """The cost and financing plans as category totals, for everyone on this page: the salary lines
    stay on the long form's page, for those who may read them."""
    long_form = application.long_form
    if long_form is None:
        return None
    return {
        "costs": [(COST_CATEGORIES[k], v) for k, v in long_form.cost_by_category().items() if v],
        "financing": [(FINANCING_SOURCES[k], v) for k, v in long_form.financing_by_source().items() if v],
        "cost_total": long_form.cost_total,
        "financing_total": long_form.financing_total,
    }


def _assessment(application: Application) -> dict | None:
    letter = assessment.letter(application)
    if letter is None:
        return None
    return {
        "heading": letter["heading"],
        "date": letter["date"],
        "reasons_label": letter["reasons_label"],
        "reasons": letter["reasons"],
    }


def _documents(application: Application, user: User) -> list[dict]:
    """The current version of each kind of document the person may download (partners: never the
    documents that carry salary details)."""
    latest: dict[str, Document] = {}
    for document in application.documents:
        if access.may(user, "download", document):
            known = latest.get(document.kind)
            if known is None or document.version > known.version:
                latest[document.kind] = document
    return [
        {
            "id": d.id,
            "kind": DOCUMENT_KINDS.get(d.kind, d.kind),
            "filename": d.filename,
            "version": d.version,
            "uploaded_at": d.uploaded_at,
        }
        for d in sorted(latest.values(), key=lambda d: d.uploaded_at)
    ]


def _own_history(application: Application, vote, organisation_id: int | None) -> list[dict]:
    """Every ballot the person's organisation cast in this vote (and a recusal), oldest first,
    from the event log: a change never loses what was cast before."""
    if organisation_id is None:
        return []
    entries = []
    for event in lifecycle_service.history(application):
        data = event.data or {}
        if event.kind not in (BALLOT_CAST, RECUSAL) or data.get("vote_id") != vote.id:
            continue
        if data.get("organisation_id") != organisation_id:
            continue
        who = event.actor.name if event.actor else "Antragsweg"
        if event.kind == RECUSAL:
            entries.append(
                {"at": event.created_at, "who": who, "what": gettext("Befangenheit erklärt"), "items": []}
            )
            continue
        choice = data.get("choice")
        items = [(gettext(CRITERIA[k]), data[k]) for k in CRITERIA if data.get(k)]
        if data.get("comment"):
            items.append((gettext("Kommentar"), data["comment"]))
        entries.append(
            {
                "at": event.created_at,
                "who": gettext("%(who)s (in der Sitzung erfasst)", who=who)
                if data.get("session_id")
                else who,
                "what": gettext(CHOICE_LABELS[choice]) if choice in CHOICE_LABELS else choice,
                "items": items,
            }
        )
    return entries


def _ballot_state(own: queries.OwnBallot) -> dict:
    """Either "noch nicht abgegeben" or "abgegeben am …, Sie können es bis … ändern" (in the
    page's language: queries.OwnBallot)."""
    if not own.cast:
        return {"cast": False, "text": own.state}
    return {"cast": True, "text": own.state, "cast_at": own.cast_at}


def read(application: Application, user: User) -> dict:
    """The vote page's data for `user` (see "open_vote_page" in workflow/permissions.py)."""
    lifecycle_service.history(application)  # read first, once: the deadlines and the letter find it
    vote = application.current_vote
    seen = queries.vote_as_seen_by(user, vote)
    own_org = user.organisation_id if user.role == PARTNER else None
    return {
        "facts": {
            "title": application.title,
            "reference": application.reference,
            "sponsor": application.applicant.name,
            "funding_object": application.funding_object.label if application.funding_object else None,
            "fields": [f.label for f in application.fields],
            "districts": list(application.districts),
        },
        "money": _money(application),
        "content": _content(application),
        "plans": _plans(application),
        "assessment": _assessment(application),
        "documents": _documents(application, user),
        "panel": queries.panel(vote, user, seen),
        "ballot": _ballot_state(seen.own) if seen.own is not None else None,
        "history": _own_history(application, vote, own_org),
    }
