"""Opening a vote (the effect of `open_vote`): by circulation with its deadline or onto a
session's agenda, with the recusals that follow from the application, and the opening mail."""

from __future__ import annotations

from workflow.extensions import db
from workflow.lifecycle import N_
from workflow.models import Application, CommitteeSession, Organisation, Recusal, User, Vote
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting
from workflow.votes import mails
from workflow.votes.timing import circulation_deadline, session_record

# The recusals that follow from the application (stored German; pages translate them: queries.panel).
OWN_ORGANISATION = N_("Antragstellende Organisation")
PROJECT_PARTNER = N_("Projektpartner in diesem Antrag")
AUTOMATIC_RECUSALS = (OWN_ORGANISATION, PROJECT_PARTNER)


def project_partner_ids(application: Application) -> list[int]:
    """The alliance partners named as project partners, who do not vote (with the sponsor's own
    organisation): the long form's once it exists (the sponsor may have added or dropped partners
    since the sketch; the sketch stays as submitted), the sketch's until then."""
    if application.long_form is not None:
        return list(application.long_form.project_partner_ids)
    return [
        p.organisation_id
        for p in application.project_partners
        if p.organisation is not None and p.organisation.kind == "partner"
    ]


def create_vote(application: Application, actor: User | None, data: dict) -> dict:
    vote = Vote(
        application=application,
        alliance_id=application.alliance_id,
        mode=data["mode"],
        opened_at=utcnow(),
        rules=application.alliance.procedure.as_dict(),
    )
    db.session.add(vote)
    recorded = {}
    if vote.mode == voting.CIRCULATION:
        # Whatever day was chosen, a deadline never ends on a weekend or a holiday; the event
        # keeps the day the count ended on when that was moved (for the explanation).
        recorded = circulation_deadline(application.alliance, data["deadline"])
        vote.deadline_at = deadlines.end_of_day(recorded["deadline"])
    else:
        session = db.session.get(CommitteeSession, data["session_id"])
        vote.session_id = session.id
        vote.session_date = deadlines.local_date(session.starts_at)
        recorded["session"] = session_record(session)
    db.session.add(vote)
    db.session.flush()
    conflicted = {}
    own = db.session.get(Organisation, application.applicant_organisation_id)
    if own is not None and own.kind == "partner":
        conflicted[own.id] = OWN_ORGANISATION
    for org_id in project_partner_ids(application):
        conflicted.setdefault(org_id, PROJECT_PARTNER)
    for org_id, reason in conflicted.items():
        db.session.add(Recusal(vote_id=vote.id, organisation_id=org_id, reason=reason))
    # Recorded with the opening, so that verify-log can hold the recusals to the log.
    recorded["recused"] = [{"organisation_id": o, "reason": r} for o, r in conflicted.items()]
    db.session.flush()
    db.session.refresh(vote)
    note = None
    if recorded.get("deadline_counted"):
        from workflow.services.deadlines import shift_note

        note = shift_note(recorded["deadline_counted"], recorded["deadline"])
    mails.opened(application, vote, note)
    return recorded
