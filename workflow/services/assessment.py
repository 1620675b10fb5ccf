"""The first assessment: its target date, the coordinator's consultations with NBank, MS and
partners, read access for consulted parties and their comments (never shown to the sponsor), the
coordinator's inbox, and the result as a letter to the sponsor."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import local_date
from workflow.i18n import joined
from workflow.lifecycle import COORDINATOR, OBSERVER, PARTNER, STATES_BY_NAME
from workflow.models import Application, AssessmentNote, Event, Organisation, SketchAccess, User
from workflow.models.assessment import COMMENT, CONSULTATION
from workflow.models.types import utcnow
from workflow.rules import deadlines
from workflow.services import access, lifecycle, notifications
from workflow.services import deadlines as deadline_service
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation

ASSESSMENT_STATES = ("sketch_submitted", "sketch_assessment")
DECISIONS = notifications.ASSESSMENT_DECISIONS


def _last_transition(application: Application, *triggers: str) -> Event | None:
    return lifecycle.latest_transition(application, *triggers)


def submitted_at(application: Application) -> datetime | None:
    event = _last_transition(application, "submit_sketch")
    return event.created_at if event else None


def assessment_due(application: Application, known: list | None = None) -> date | None:
    """The running assessment deadline (21 calendar days by the rules in force at submission, on a
    working day in Lower Saxony), as the deadline module computes it; None when none runs."""
    if application.state not in ASSESSMENT_STATES:
        return None
    found = known if known is not None else deadline_service.for_application(application)
    running = [d for d in deadline_service.running(found) if d.kind is deadline_service.ASSESSMENT]
    return running[0].due_on if running else None


# What happens next in each state of the first stage, for the person reading the page.
NEXT_STEPS = {
    "consultation": (
        "Die Netzwerkkoordination meldet sich für ein Beratungsgespräch zu Ihren Wunschterminen. "
        "Nach dem Gespräch schreiben Sie die Projektskizze."
    ),
    "sketch_draft": (
        "Der Projektträger schreibt die Projektskizze (etwa drei Seiten; als Formular oder als PDF) "
        "und reicht sie ein. Der Entwurf kann jederzeit gespeichert werden."
    ),
    "sketch_submitted": (
        "Die Netzwerkkoordination beginnt die Ersteinschätzung und stimmt sich dabei mit der NBank, "
        "dem Ministerium (MS) und den betroffenen Bündnispartnern ab."
    ),
    "sketch_assessment": (
        "Die Netzwerkkoordination schätzt die Skizze ein, berät sich mit NBank, MS und Bündnispartnern "
        "und entscheidet: Einladung zur Langfassung, Überarbeitung oder keine Befürwortung. Das "
        "Ergebnis erhalten Sie als Schreiben."
    ),
    "long_form_draft": "Der Projektträger schreibt die Langfassung und reicht sie ein.",
    "sketch_declined": "Das Verfahren ist beendet: die Skizze wird nicht befürwortet.",
}


def next_step(application: Application, user: User | None = None) -> dict:
    """What happens next, who acts, and the running deadlines that concern `user` (all of them
    without one), each with the length it runs by the alliance's rules and why it falls on its day
    (the circulation deadline is the vote's: its section shows it)."""
    state = STATES_BY_NAME[application.state]
    known = deadline_service.for_application(application)
    due = assessment_due(application, known)
    wanted = deadline_service.KINDS_OF_ROLE.get(user.role, frozenset()) if user else None
    today = deadlines.local_date(utcnow())
    running = [
        {
            "kind": d.kind.name,
            "label": d.kind.due_label,
            "due_on": d.due_on,
            "overdue": today > d.due_on,
            "days": d.days,
            "since": d.kind.since,
            "started_at": d.started_at,
            "explanation": d.explanation,
        }
        for d in deadline_service.running(known)
        if d.kind is not deadline_service.CIRCULATION and (wanted is None or d.kind.name in wanted)
    ]
    return {
        "what": NEXT_STEPS.get(application.state),
        "who": state.next_actor,
        "due": due,
        "due_label": "Ziel für die Ersteinschätzung" if due else None,
        "overdue": due is not None and today > due,
        "submitted_at": submitted_at(application) if due else None,
        "deadlines": running,
        "final": state.final,
    }


# -- the coordinator's inbox ----------------------------------------------------------------------


def inbox(user: User) -> dict:
    """New consultation requests, submitted sketches and sketches in assessment (with due dates)."""
    if user.role != COORDINATOR:
        raise NotAllowed(_l("Nur die Netzwerkkoordination hat einen Posteingang."))
    query = access.visible_applications(user)

    def rows(state: str) -> list[dict]:
        found = list(
            db.session.scalars(query.where(Application.state == state).order_by(Application.updated_at))
        )
        known = deadline_service.for_applications(found)  # one query for the whole list
        out = []
        for application in found:
            due = assessment_due(application, known[application.id])
            out.append(
                {
                    "id": application.id,
                    "reference": application.reference,
                    "title": application.title,
                    "applicant": application.applicant.name,
                    "preferred_dates": application.preferred_dates,
                    "since": application.updated_at,
                    "due": due,
                    "overdue": due is not None and deadlines.local_date(utcnow()) > due,
                }
            )
        return out

    return {
        "consultation": rows("consultation"),
        "sketch_submitted": rows("sketch_submitted"),
        "sketch_assessment": rows("sketch_assessment"),
    }


# -- consultations, access, comments --------------------------------------------------------------


def _clean(text: str | None, label: str, max_length: int, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise RuleViolation(_l("Bitte füllen Sie „%(label)s“ aus.", label=label), field=field)
    if len(text) > max_length:
        raise RuleViolation(
            _l("„%(label)s“: höchstens %(max_length)s Zeichen.", label=label, max_length=max_length),
            field=field,
        )
    return text


def record_consultation(
    application: Application, user: User, party: str, held_on: date, statement: str
) -> AssessmentNote:
    """The coordinator records a consultation during the assessment: who, when, what they said."""
    if not access.may_record_assessment(user, application):
        if user.role != COORDINATOR:
            raise NotAllowed(_l("Nur die Netzwerkkoordination erfasst Abstimmungen zur Ersteinschätzung."))
        raise InvalidTransition(_l("Abstimmungen werden während der Ersteinschätzung erfasst."))
    if not isinstance(held_on, date):
        raise RuleViolation(_l("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."), field="held_on")
    if held_on > deadlines.local_date(utcnow()):
        raise RuleViolation(_l("Das Datum darf nicht in der Zukunft liegen."), field="held_on")
    note = AssessmentNote(
        application_id=application.id,
        kind=CONSULTATION,
        party=_clean(party, "Mit wem", 300, "party"),
        held_on=held_on,
        body=_clean(statement, "Was wurde gesagt", 5000, "statement"),
        author_id=user.id,
    )
    db.session.add(note)
    db.session.commit()
    return note


def consultable_organisations(application: Application) -> list[Organisation]:
    """Organisations the coordinator may consult: NBank, MS and the partners (not the sponsor)."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.alliance_id == application.alliance_id,
                Organisation.kind.in_(("observer", "partner")),
                Organisation.id != application.applicant_organisation_id,
            )
            .order_by(Organisation.kind, Organisation.name)
        )
    )


def grant_access(
    application: Application, user: User, organisation_id: int, question: str = ""
) -> SketchAccess:
    """Give an organisation read access to the sketch in assessment and ask its people for their
    view (they are told by mail and in the app)."""
    if not access.may_record_assessment(user, application):
        if user.role != COORDINATOR:
            raise NotAllowed(_l("Nur die Netzwerkkoordination gibt Skizzen frei."))
        raise InvalidTransition(_l("Skizzen werden während der Ersteinschätzung freigegeben."))
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation not in consultable_organisations(application):
        raise RuleViolation(
            _l("Bitte wählen Sie NBank, MS oder einen Bündnispartner."), field="organisation_id"
        )
    question = (question or "").strip()
    if len(question) > 2000:
        raise RuleViolation(_l("„Frage“: höchstens 2000 Zeichen."), field="question")
    if db.session.scalar(
        sa.select(SketchAccess.id).where(
            SketchAccess.application_id == application.id, SketchAccess.organisation_id == organisation.id
        )
    ):
        raise InvalidTransition(_l("%(name)s hat bereits Zugriff auf diese Skizze.", name=organisation.name))
    grant = SketchAccess(
        application_id=application.id,
        organisation_id=organisation.id,
        question=question,
        granted_by_id=user.id,
    )
    db.session.add(grant)
    body = [
        _l(
            "Die Netzwerkkoordination bittet Sie um Ihre Einschätzung der Projektskizze „%(title)s“ "
            "(%(reference)s) von %(sponsor)s. Sie können die Skizze lesen und einen Kommentar "
            "hinterlassen, den der Projektträger nicht sieht.",
            title=application.title,
            reference=application.reference,
            sponsor=application.applicant.name,
        )
    ]
    if question:
        body.append(_l("Frage der Netzwerkkoordination: %(question)s", question=question))
    due = assessment_due(application)
    if due:
        body.append(_l("Ziel für die Ersteinschätzung: %(day)s.", day=local_date(due)))
    notifications.notify(
        notifications.representatives([organisation.id]),
        _l("Bitte um Einschätzung: %(reference)s", reference=application.reference),
        joined("\n\n", body),
        application,
        kind="assessment_request",
        needs_action=True,
        awaits_state="sketch_assessment",
    )
    db.session.commit()
    return grant


def comment(application: Application, user: User, body: str) -> AssessmentNote:
    """A consulted party (NBank, MS, a partner with access) comments; the sponsor never sees it."""
    if not access.may_comment_assessment(user, application):
        if access.can_view(user, application) and user.role in (OBSERVER, PARTNER):
            raise InvalidTransition(_l("Kommentare sind während der Ersteinschätzung möglich."))
        raise NotAllowed(_l("Sie können diese Skizze nicht kommentieren."))
    note = AssessmentNote(
        application_id=application.id,
        kind=COMMENT,
        body=_clean(body, "Kommentar", 5000, "body"),
        author_id=user.id,
    )
    db.session.add(note)
    notifications.notify(
        notifications.coordinators(application.alliance_id),
        _l("Kommentar zur Ersteinschätzung: %(reference)s", reference=application.reference),
        _l(
            "%(name)s (%(organisation)s) hat die Skizze „%(title)s“ kommentiert.",
            name=user.name,
            organisation=user.organisation.name,
            title=application.title,
        ),
        application,
        kind="assessment_comment",
        needs_action=True,  # the view asked for, to weigh in the assessment
        awaits_state="sketch_assessment",
    )
    notifications.resolve(application, ("assessment_request",), user.organisation_id)
    db.session.commit()
    return note


def internal(application: Application, user: User) -> dict | None:
    """The internal side of the assessment as plain data, or None for the sponsor."""
    if not access.may_see_assessment(user, application):
        return None
    notes = list(
        db.session.scalars(
            sa.select(AssessmentNote)
            .where(AssessmentNote.application_id == application.id)
            .order_by(AssessmentNote.id)
        )
    )
    grants = list(
        db.session.scalars(
            sa.select(SketchAccess)
            .where(SketchAccess.application_id == application.id)
            .order_by(SketchAccess.id)
        )
    )
    if not notes and not grants and application.state != "sketch_assessment":
        return None
    return {
        "consultations": [
            {"party": n.party, "held_on": n.held_on, "statement": n.body, "by": n.author.name}
            for n in notes
            if n.kind == CONSULTATION
        ],
        "comments": [
            {
                "by": f"{n.author.name} ({n.author.organisation.name})",
                "at": n.created_at,
                "body": n.body,
            }
            for n in notes
            if n.kind == COMMENT
        ],
        "grants": [
            {"organisation": g.organisation.name, "question": g.question, "at": g.created_at} for g in grants
        ],
        "may_record": access.may_record_assessment(user, application),
        "may_comment": access.may_comment_assessment(user, application),
        "organisations": [
            (o.id, o.name)
            for o in consultable_organisations(application)
            if o.id not in {g.organisation_id for g in grants}
        ]
        if access.may_record_assessment(user, application)
        else [],
    }


# -- the result as a letter -----------------------------------------------------------------------

LETTER_HEADINGS = {
    "invite_long_form": "Einladung zur Langfassung",
    "request_sketch_revision": "Bitte um Überarbeitung der Projektskizze",
    "decline_sketch": "Ihre Projektskizze wird nicht befürwortet",
}


def letter(application: Application) -> dict | None:
    """The latest result of the first assessment as plain data for the letter (HTML and PDF), with
    the letter as issued (`issued`: reference, whether signed) when it was stored at the decision."""
    event = _last_transition(application, *DECISIONS)
    if event is None:
        return None
    content = letter_content(
        application,
        event.trigger,
        event.data or {},
        event.actor.name if event.actor else None,
        event.created_at,
    )
    # What the decision recorded about its letter (services/letters.py), without reading it again.
    recorded = event.data or {}
    content["issued"] = (
        {
            "reference": recorded["letter_reference"],
            "signed_by": recorded.get("letter_signed_by"),
            "sha256": recorded.get("letter_sha256"),
        }
        if recorded.get("letter_reference")
        else None
    )
    if content["issued"]:
        content["reference"] = recorded["letter_reference"]
    return content


def letter_content(
    application: Application, decision: str, data: dict, signer: str | None, at: datetime
) -> dict:
    """What the letter says about `decision` (the trigger and what it recorded), as plain data."""
    alliance = application.alliance
    sponsor = application.applicant
    paragraphs = []
    if decision == "invite_long_form":
        paragraphs.append(
            f"die Netzwerkkoordination der {alliance.name} hat Ihre Projektskizze „{application.title}“ "
            f"geprüft und sich dazu mit {data.get('parties_consulted') or 'den beteiligten Stellen'} "
            "abgestimmt. Das Projekt ist nach unserer Einschätzung förderfähig und passt zur Strategie des "
            "Bündnisses. Wir laden Sie ein, die Langfassung zu erarbeiten und einzureichen."
        )
    elif decision == "request_sketch_revision":
        paragraphs.append(
            f"die Netzwerkkoordination der {alliance.name} hat Ihre Projektskizze „{application.title}“ "
            "geprüft. Bevor wir sie abschließend einschätzen können, bitten wir Sie, sie zu überarbeiten "
            "und erneut einzureichen."
        )
    else:
        paragraphs.append(
            f"die Netzwerkkoordination der {alliance.name} hat Ihre Projektskizze „{application.title}“ "
            "geprüft. Wir können das Projekt leider nicht befürworten."
        )
    reasons = data.get("reason") or data.get("notes") or ""
    return {
        "alliance": alliance.name,
        "coordination_address": [line for line in (alliance.coordination_address or "").splitlines() if line],
        "recipient": {
            "name": sponsor.name,
            "legal_form": sponsor.legal_form,
            "contact_person": sponsor.contact_person,
            "address": [line for line in (sponsor.address or "").splitlines() if line],
        },
        "reference": application.reference,
        "title": application.title,
        "date": local_date(at),
        "decision": decision,
        "heading": LETTER_HEADINGS[decision],
        "paragraphs": paragraphs,
        "reasons_label": "Hinweise" if decision == "invite_long_form" else "Begründung",
        "reasons": reasons,
        "signer": signer or "Netzwerkkoordination",
    }
