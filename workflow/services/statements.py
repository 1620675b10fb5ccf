"""The alliance's statement (Stellungnahme): drafted from the record, issued once as a PDF/A-3 with
the machine-readable decision record embedded, stored with its SHA-256, served from storage, never
re-rendered. A correction is the next version, naming the one it replaces."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime, money
from workflow.models import Application, Event, FundingPeriod, Statement, User, Vote
from workflow.models.event import jsonable, log_event
from workflow.models.event_kinds import BALLOT_CAST, RECUSAL, STATEMENT_CORRECTED
from workflow.models.statement import DECISIONS
from workflow.models.types import utcnow
from workflow.rules.voting import CHOICE_LABELS, CRITERIA, german_average, rating_averages
from workflow.services import access, documents, notifications, pdf, signing, storage
from workflow.services.errors import InvalidTransition, NotAllowed, NotFound, RuleViolation
from workflow.services.storage import StoredFileChanged  # noqa: F401 - the error's old home
from workflow.votes.closing import statement_decisions

RECORD_FORMAT = "antragsweg-stellungnahme/1"
RECORD_NAME = "entscheidungsdatensatz.json"
PDF_VARIANT = "pdf/a-3u"


# -- the record, as plain data -----------------------------------------------------------------------


def vote_facts(vote: Vote) -> dict:
    """What the statement says about the vote: tally, recusals, silent partners, ratings, comments."""
    tally = vote.tally()
    eligible = vote.eligible_organisations()
    ballots = {b.organisation_id: b for b in vote.ballots if b.organisation_id in {o.id for o in eligible}}
    attributed = vote.procedure.attributed_comments
    comments = []
    for number, ballot in enumerate(sorted(ballots.values(), key=lambda b: b.id), start=1):
        if ballot.comment:
            comments.append(
                {
                    "author": ballot.organisation.name if attributed else f"Bündnispartner {number}",
                    "choice": CHOICE_LABELS[ballot.choice],
                    "text": ballot.comment,
                }
            )
    averages = [
        {
            "criterion": name,
            "label": CRITERIA[name],
            "average": average,
            "average_text": german_average(average),
            "count": count,
        }
        for name, (average, count) in rating_averages(ballots.values()).items()
    ]
    return {
        "vote_id": vote.id,
        "mode": vote.mode,
        "mode_label": vote.mode_label,
        "opened_at": vote.opened_at,
        "deadline_at": vote.deadline_at,
        "session_date": vote.session_date,
        "closed_at": vote.closed_at,
        "outcome": vote.outcome,
        "outcome_label": vote.outcome_label,
        "tally": {
            "approve": tally.approve,
            "reject": tally.reject,
            "abstain": tally.abstain,
            "cast": tally.cast,
            "eligible": tally.eligible,
            "quorum": tally.quorum,
        },
        "recusals": [{"organisation": r.organisation.name, "reason": r.reason} for r in vote.recusals],
        "silent": [o.name for o in eligible if o.id not in ballots],
        "ballots": [
            {
                "organisation": b.organisation.name,
                "choice": b.choice,
                "cast_at": b.cast_at,
                "ratings": b.ratings(),
                **({"comment": b.comment} if attributed else {}),
            }
            for b in sorted(ballots.values(), key=lambda b: b.organisation.name)
        ],
        "averages": averages,
        "comments": comments,
        "attributed_comments": attributed,
    }


def application_facts(application: Application) -> dict:
    return {
        "id": application.id,
        "reference": application.reference,
        "title": application.title,
        "summary": application.summary,
        "applicant": application.applicant.name,
        "funding_object": application.funding_object.label if application.funding_object else None,
        "fields_of_action": [f.label for f in application.fields],
        "districts": application.districts,
        "total_cost_cents": application.total_cost_cents,
        "requested_grant_cents": application.requested_grant_cents,
    }


def budget_facts(application: Application) -> dict | None:
    period = FundingPeriod.current(application.alliance_id)
    if period is None or not application.needs_statement({}):
        return None
    figures = period.figures(exclude_application_id=application.id)
    requested = application.requested_grant_cents or 0
    return {
        "period": period.name,
        "total_cents": figures.total,
        "remaining_cents": figures.remaining,
        "requested_cents": requested,
        "would_exceed": figures.would_exceed(requested),
    }


def draft(application: Application) -> dict:
    """The drafting page's plain data: everything the statement will say, from the record."""
    vote = application.current_vote
    if vote is None or vote.outcome is None:
        raise InvalidTransition(_l("Zu diesem Antrag gibt es kein abgeschlossenes Votum."))
    return {
        "application": application_facts(application),
        "vote": vote_facts(vote),
        "decisions": [{"value": d, "label": DECISIONS[d]} for d in statement_decisions(application)],
        "budget": budget_facts(application),
        "deadline": None,
    }


# -- issuing ---------------------------------------------------------------------------------------


def _texts(data: dict) -> dict:
    return {
        key: (data.get(key) or "").strip()
        for key in ("statement", "conditions", "recommendations", "requested_changes")
    }


def decision_record(
    application: Application,
    vote: Vote | None,
    *,
    reference: str,
    version: int,
    replaces: Statement | None,
    decision: str,
    texts: dict,
    issued_at: datetime,
    issued_by: User,
    budget: dict | None,
    correction_reason: str | None = None,
) -> dict:
    """The machine-readable decision record embedded in the PDF (JSON-ready: ISO dates, cents)."""
    facts = vote_facts(vote) if vote else None
    record = {
        "format": RECORD_FORMAT,
        "alliance": {
            "slug": application.alliance.slug,
            "name": application.alliance.name,
            "committee": application.alliance.committee_name,
        },
        "statement": {
            "reference": reference,
            "version": version,
            "replaces": replaces.reference if replaces else None,
            "correction_reason": correction_reason,
            "decision": decision,
            "decision_label": DECISIONS[decision],
            "issued_at": issued_at,
            "issued_by": issued_by.name,
            **texts,
        },
        "application": application_facts(application),
        "vote": (
            {
                "id": facts["vote_id"],
                "mode": facts["mode"],
                "opened_at": facts["opened_at"],
                "deadline_at": facts["deadline_at"],
                "session_date": facts["session_date"],
                "closed_at": facts["closed_at"],
                "outcome": facts["outcome"],
                "rules": vote.rules,
            }
            if facts
            else None
        ),
        "tally": facts["tally"] if facts else None,
        "ballots": facts["ballots"] if facts else [],
        "recusals": facts["recusals"] if facts else [],
        "silent": facts["silent"] if facts else [],
        "averages": {a["criterion"]: a["average"] for a in facts["averages"]} if facts else {},
        "comments": facts["comments"] if facts else [],
        "budget": budget,
    }
    return jsonable(record)


def _address_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def letterhead(alliance) -> dict:
    """The head of every document the coordination issues (templates/pdf/_letterhead.html)."""
    return {
        "alliance": alliance.name,
        "committee": alliance.committee_name,
        "address": _address_lines(alliance.coordination_address),
    }


def pdf_context(application: Application, record: dict, vote: Vote | None) -> dict:
    """Plain data for templates/pdf/statement.html."""
    alliance = application.alliance
    address = _address_lines(alliance.coordination_address)
    place = address[-1].split(" ", 1)[-1] if address else ""
    statement = record["statement"]
    facts = vote_facts(vote) if vote else None
    return {
        "letterhead": letterhead(alliance),
        "reference": statement["reference"],
        "version": statement["version"],
        "replaces": statement["replaces"],
        "correction_reason": statement["correction_reason"],
        "date": local_date(datetime.fromisoformat(statement["issued_at"])),
        "place": place,
        "decision": statement["decision"],
        "decision_label": statement["decision_label"],
        "texts": {
            k: statement[k] for k in ("statement", "conditions", "recommendations", "requested_changes")
        },
        "application": {
            **record["application"],
            "total_cost": money(record["application"]["total_cost_cents"]),
            "requested_grant": money(record["application"]["requested_grant_cents"]),
        },
        "vote": (
            {
                "mode_label": facts["mode_label"],
                "opened": local_date(facts["opened_at"]),
                "closed": local_datetime(facts["closed_at"]),
                "session_date": local_date(facts["session_date"]),
                "outcome_label": facts["outcome_label"],
                "tally": facts["tally"],
                "recusals": facts["recusals"],
                "silent": facts["silent"],
                "averages": facts["averages"],
                "comments": facts["comments"],
                "attributed_comments": facts["attributed_comments"],
            }
            if facts
            else None
        ),
        "signature": {"office": f"Netzwerkkoordination der {alliance.name}", "name": statement["issued_by"]},
        "record_name": RECORD_NAME,
    }


def render_statement(context: dict, record: dict) -> bytes:
    return render_statement_with_boxes(context, record)[0]


def render_statement_with_boxes(context: dict, record: dict) -> tuple[bytes, dict[str, pdf.Box]]:
    payload = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode()
    return pdf.render_with_boxes(
        "pdf/statement.html",
        context,
        pdf_variant=PDF_VARIANT,
        attachments=(
            pdf.JsonAttachment(RECORD_NAME, "Entscheidungsdatensatz der Stellungnahme (JSON)", payload),
        ),
    )


def issue_pdf(
    alliance,
    render,
    context: dict,
    *,
    reference: str,
    reason: str,
    place: str,
) -> tuple[bytes, str, str | None]:
    """Render a document once and sign it when the alliance has a certificate: (the file as
    issued, its check code, the certificate's subject or None). `render(context)` gives the PDF
    and its boxes; the template prints the check and keeps the box "signaturfeld" free."""
    code = signing.new_check_code()
    prepared = signing.prepare(alliance)
    context = context | {"check": signing.printed_check(reference, code, signed=prepared is not None)}
    data, boxes = render(context)
    if prepared is None:
        return data, code, None
    data = signing.sign(
        data, prepared, boxes["signaturfeld"], reference=reference, code=code, reason=reason, place=place
    )
    return data, code, prepared.row_subject


def latest(application: Application) -> Statement | None:
    return db.session.scalar(
        sa.select(Statement)
        .where(Statement.application_id == application.id)
        .order_by(Statement.version.desc())
        .limit(1)
    )


def versions(application: Application) -> list[Statement]:
    return list(
        db.session.scalars(
            sa.select(Statement)
            .where(Statement.application_id == application.id)
            .order_by(Statement.version.desc())
        )
    )


def _create(
    application: Application,
    actor: User,
    decision: str,
    texts: dict,
    *,
    vote: Vote | None,
    budget: dict | None,
    replaces: Statement | None = None,
    correction_reason: str | None = None,
) -> Statement:
    """Render, store and record one statement version, inside the caller's transaction."""
    version = (replaces.version + 1) if replaces else 1
    reference = f"{application.reference}/S{version}"
    issued_at = utcnow().replace(microsecond=0)
    record = decision_record(
        application,
        vote,
        reference=reference,
        version=version,
        replaces=replaces,
        decision=decision,
        texts=texts,
        issued_at=issued_at,
        issued_by=actor,
        budget=budget,
        correction_reason=correction_reason,
    )
    context = pdf_context(application, record, vote)
    data, code, signed_by = issue_pdf(
        application.alliance,
        lambda ctx: render_statement_with_boxes(ctx, record),
        context,
        reference=reference,
        reason=f"Stellungnahme {reference}" + (f", ersetzt {replaces.reference}" if replaces else ""),
        place=context["place"],
    )
    key = documents.write_file(data)
    statement = Statement(
        alliance_id=application.alliance_id,
        application_id=application.id,
        vote_id=vote.id if vote else None,
        version=version,
        replaces_id=replaces.id if replaces else None,
        reference=reference,
        decision=decision,
        record=record,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pages=len(PdfReader(io.BytesIO(data)).pages),
        storage_key=key,
        correction_reason=correction_reason,
        check_code_hash=signing.code_hash(code),
        signed_by=signed_by,
        issued_by_id=actor.id,
        issued_at=issued_at,
    )
    db.session.add(statement)
    db.session.flush()
    return statement


def _tell_sponsor(application: Application, statement: Statement, corrected: bool = False) -> None:
    values = {
        "reference": application.reference,
        "decision": lazy_gettext(statement.decision_label),
        "statement": statement.reference,
        "title": application.title,
    }
    if corrected:
        subject = _l("%(reference)s: berichtigte Stellungnahme des Bündnisses liegt vor", **values)
        body = _l(
            "Die berichtigte Stellungnahme (%(decision)s, %(statement)s) zu „%(title)s“ liegt als PDF vor. "
            "Sie können sie auf der Seite Ihres Antrags herunterladen.",
            **values,
        )
    else:
        subject = _l("%(reference)s: Stellungnahme des Bündnisses liegt vor", **values)
        body = _l(
            "Die Stellungnahme (%(decision)s, %(statement)s) zu „%(title)s“ liegt als PDF vor. "
            "Sie können sie auf der Seite Ihres Antrags herunterladen.",
            **values,
        )
    notifications.notify(
        notifications.sponsors(application),
        subject,
        body,
        application,
        kind="statement",
    )


def issue_statement(application: Application, actor: User | None, data: dict) -> dict:
    """Issuing renders the statement once; what is recorded names it and its hash."""
    # A statement after a revision round is the next version of the earlier one.
    previous = latest(application)
    vote = application.current_vote
    budget = budget_facts(application) if data.get("decision") == "endorse" else None
    if budget is not None:
        budget["confirmed"] = bool(data.get("budget_confirmed"))
    statement = _create(
        application,
        actor,
        data["decision"],
        _texts(data),
        vote=vote,
        budget=budget,
        replaces=previous,
        correction_reason="Neue Stellungnahme nach Überarbeitung der Langfassung" if previous else None,
    )
    _tell_sponsor(application, statement)
    recorded = {
        "statement_reference": statement.reference,
        "statement_version": statement.version,
        "sha256": statement.sha256,
    }
    if budget is not None and budget["would_exceed"]:
        recorded["budget_remaining_cents"] = budget["remaining_cents"]
    return recorded


def correct(application: Application, actor: User, data: dict) -> Statement:
    """A correction of the issued statement: the next version, naming the one it replaces. The
    decision stays (it follows the frozen outcome); the texts and the reason are new."""
    db.session.refresh(application, with_for_update=True)
    try:
        if not access.may(actor, "coordinate") or actor.alliance_id != application.alliance_id:
            raise NotAllowed(_l("Nur die Netzwerkkoordination kann eine Stellungnahme berichtigen."))
        previous = latest(application)
        if previous is None:
            raise InvalidTransition(_l("Zu diesem Antrag gibt es noch keine Stellungnahme."))
        replaces = str(data.get("replaces_version") or "0")
        if replaces != str(previous.version):
            raise InvalidTransition(
                _l("Die Stellungnahme wurde inzwischen schon berichtigt. Bitte laden Sie die Seite neu.")
            )
        reason = (data.get("correction_reason") or "").strip()
        if not reason:
            raise RuleViolation(_l("Bitte nennen Sie den Grund der Berichtigung."), field="correction_reason")
        texts = _texts(data)
        if not texts["statement"]:
            raise RuleViolation(_l("Die Begründung darf nicht leer sein."), field="statement")
        vote = db.session.get(Vote, previous.vote_id) if previous.vote_id else None
        statement = _create(
            application,
            actor,
            previous.decision,
            texts,
            vote=vote,
            budget=previous.record.get("budget"),
            replaces=previous,
            correction_reason=reason,
        )
        log_event(
            application,
            actor,
            STATEMENT_CORRECTED,
            statement_reference=statement.reference,
            statement_version=statement.version,
            replaces=previous.reference,
            correction_reason=reason,
            sha256=statement.sha256,
        )
        _tell_sponsor(application, statement, corrected=True)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return statement


# -- serving and verifying -----------------------------------------------------------------------


def get(application: Application, version: int) -> Statement:
    statement = db.session.scalar(
        sa.select(Statement).where(Statement.application_id == application.id, Statement.version == version)
    )
    if statement is None:
        raise NotFound(_l("Diese Stellungnahme gibt es nicht."))
    return statement


def stored_bytes(statement: Statement) -> bytes:
    """The stored PDF, exactly as issued; refuses to serve a file whose hash no longer matches."""
    try:
        return storage.read_bytes(
            statement.storage_key,
            statement.sha256,
            statement.size,
            label=f"statement {statement.reference}",
            message="Die gespeicherte Datei der Stellungnahme stimmt nicht mehr mit ihrem Prüfwert überein "
            "und wird deshalb nicht ausgeliefert. Bitte wenden Sie sich an die Netzwerkkoordination.",
        )
    except storage.StoredFileMissing:
        current_app.logger.error("statement %s: stored file is missing", statement.reference)
        raise NotFound(_l("Die Datei der Stellungnahme ist nicht mehr vorhanden.")) from None


# Whether a file is a statement issued here: services/authenticity.py (verify-statement, /echtheit).


# -- the vote protocol ---------------------------------------------------------------------------


def protocol(application: Application, user: User) -> bytes:
    """The vote protocol: every ballot with its history from the event log, every recusal."""
    if not access.may(user, "read_protocol", application):
        raise NotAllowed(
            _l(
                "Das Protokoll steht der Netzwerkkoordination und, nach Schluss der Abstimmung, "
                "den Bündnispartnern zur Verfügung."
            )
        )
    vote = application.current_vote
    names = {o.id: o.name for o in _organisations(application)}
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.application_id == application.id, Event.kind.in_((BALLOT_CAST, RECUSAL)))
        .order_by(Event.id)
    ).all()
    history: dict[int, list[dict]] = {}
    recusals = []
    for event in events:
        if event.data.get("vote_id") != vote.id:
            continue
        organisation = event.data.get("organisation_id")
        if event.kind == RECUSAL:
            recusals.append(
                {
                    "organisation": names.get(organisation, "?"),
                    "reason": event.data.get("reason"),
                    "when": local_datetime(event.created_at),
                    "who": event.actor.name if event.actor else "Antragsweg",
                }
            )
            continue
        history.setdefault(organisation, []).append(
            {
                "when": local_datetime(event.created_at),
                "who": event.actor.name if event.actor else "—",
                "choice": CHOICE_LABELS.get(event.data.get("choice"), "—"),
                "comment": event.data.get("comment") or "",
                "ratings": " · ".join(
                    f"K{number} {event.data.get(name)}"
                    for number, name in enumerate(CRITERIA, start=1)
                    if event.data.get(name) is not None
                ),
            }
        )
    for recusal in vote.recusals:  # the sponsor's own organisation is recused without an event
        if not any(r["organisation"] == recusal.organisation.name for r in recusals):
            recusals.append(
                {
                    "organisation": recusal.organisation.name,
                    "reason": recusal.reason,
                    "when": local_datetime(recusal.created_at),
                    "who": "Antragsweg",
                }
            )
    facts = vote_facts(vote)
    counted = {b.organisation_id for b in vote.ballots}
    context = {
        "letterhead": letterhead(application.alliance),
        "application": application_facts(application),
        "vote": {
            "mode_label": facts["mode_label"],
            "opened": local_datetime(facts["opened_at"]),
            "deadline": local_datetime(facts["deadline_at"]),
            "session_date": local_date(facts["session_date"]),
            "closed": local_datetime(facts["closed_at"]) or "noch offen",
            "outcome_label": facts["outcome_label"] or "noch offen",
            "tally": facts["tally"],
            "silent": facts["silent"],
        },
        "organisations": [
            {"name": names.get(org_id, "?"), "counted": org_id in counted, "casts": casts}
            for org_id, casts in sorted(history.items(), key=lambda item: names.get(item[0], ""))
        ],
        "recusals": recusals,
        "criteria": [f"K{n}: {label}" for n, label in enumerate(CRITERIA.values(), start=1)],
        "printed": local_datetime(utcnow()),
        "printed_by": user.name,
    }
    return pdf.render("pdf/protocol.html", context, pdf_variant=PDF_VARIANT)


def _organisations(application: Application):
    from workflow.models import Organisation

    return db.session.scalars(
        sa.select(Organisation).where(Organisation.alliance_id == application.alliance_id)
    )
