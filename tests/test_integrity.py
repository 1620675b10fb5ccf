"""verify-log holds every row the events determine to the chained events: each kind of row is
changed, removed or added behind the app's back (SQL), and the check names table, row, field,
expected and found. Its last result is on the coordinator's start page."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_pdf, text_of
from workflow.extensions import db
from workflow.models import (
    Ballot,
    CostLine,
    Document,
    EventText,
    IntegrityCheck,
    Objection,
    Recusal,
    SessionAttendance,
    Statement,
)
from workflow.services import documents, integrity, jobs, sessions
from workflow.services.integrity import Break, Mismatch, verify_log
from workflow.votes import casting, session_items, to_session


@pytest.fixture
def record(world):
    """Applications with everything verify-log compares: a closed vote with ballots and recusals and
    a statement; a vote with a declared conflict and an objection, recorded in a session; an
    application with a running deadline, a long form and a document."""
    endorsed = world.application("endorsed")
    voting = world.application("partner_vote", applicant="applicant-lwz")
    casting.cast_ballot(voting, world.user("partner-dgb"), "approve", "Gut.", rating_feasibility=4)
    casting.declare_conflict(voting, world.user("partner-hwk"), "Geschäftsführer im Projektbeirat.")
    to_session.object_to_circulation(voting, world.user("partner-agv"), "Bitte in der Sitzung beraten.")
    session = sessions.schedule(
        world.user("coordinator"), datetime.now(UTC), "IHK Lüneburg, Saal 3", "1. Anträge"
    )
    session_items.record_session_item(
        voting,
        world.user("coordinator"),
        session,
        [
            {
                "organisation_id": world.user("partner-ihk").organisation_id,
                "present": True,
                "choice": "approve",
            },
            {"organisation_id": world.user("partner-aa-celle").organisation_id, "present": False},
        ],
    )
    submitted = world.application("long_form_submitted", applicant="applicant-elbtal")
    documents.store(
        submitted,
        "other",
        documents.inspect(io.BytesIO(make_pdf(1)), (documents.PDF,)),
        "Anlage.pdf",
        world.user("applicant-elbtal"),
    )

    class Record:
        pass

    r = Record()
    r.endorsed, r.voting, r.submitted, r.session = endorsed, voting, submitted, session
    r.world = world
    assert verify_log()[1] is None  # intact before anyone tampers
    return r


def _tamper(table: str, action: str, where: dict | None = None, values: dict | None = None):
    """Change the table behind the app's back (its own connection, committed), run the check,
    then put everything back as it was. Returns the problem found."""
    t = db.metadata.tables[table]
    condition = sa.and_(sa.true(), *(t.c[k] == v for k, v in (where or {}).items()))
    key = list(t.primary_key.columns)[0]
    with db.engine.begin() as connection:
        before = [dict(r._mapping) for r in connection.execute(sa.select(t).where(condition))]
        assert before or action == "insert", (table, where)
        if action == "update":
            connection.execute(sa.update(t).where(condition).values(**values))
        elif action == "delete":
            connection.execute(sa.delete(t).where(condition))
        else:
            new_id = connection.execute(sa.insert(t).values(**values)).inserted_primary_key[0]
    db.session.expire_all()
    _, problem = verify_log()
    with db.engine.begin() as connection:
        if action == "update":
            for row in before:
                connection.execute(sa.update(t).where(key == row[key.name]).values(**row))
        elif action == "delete":
            connection.execute(sa.insert(t), before)
        else:
            connection.execute(sa.delete(t).where(key == new_id))
    db.session.expire_all()
    return problem


def _first(model, *conditions):
    db.session.expire_all()
    return db.session.scalars(sa.select(model).where(*conditions).order_by(model.id)).first()


def _mismatch(problem, table: str, field: str) -> Mismatch:
    assert isinstance(problem, Mismatch), problem
    assert (problem.table, problem.field) == (table, field), problem
    return problem


def test_a_changed_ballot_is_named_with_what_the_log_says(app, record):
    ballot = _first(Ballot, Ballot.vote_id == record.endorsed.current_vote.id)
    problem = _tamper("ballots", "update", {"id": ballot.id}, {"choice": "reject", "comment": "Gefälscht."})
    found = _mismatch(problem, "ballots", "choice")
    assert (found.row, found.expected, found.found) == (str(ballot.id), "approve", "reject")
    assert found.application_id == record.endorsed.id
    # the command says the same, and fails
    with db.engine.begin() as connection:
        connection.execute(sa.update(Ballot.__table__).where(Ballot.id == ballot.id).values(choice="reject"))
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code != 0
    assert f"Tabelle ballots, Zeile {ballot.id}, Feld choice" in result.output
    assert "'approve'" in result.output and "'reject'" in result.output


def test_every_kind_of_derived_row_is_held_to_the_log(record, monkeypatch):
    monkeypatch.setattr(integrity, "BATCH", 2)  # three applications: read in two batches
    world = record.world
    closed = record.endorsed.current_vote
    voting = record.voting.current_vote
    ballot = _first(Ballot, Ballot.vote_id == closed.id)
    declared = _first(Recusal, Recusal.vote_id == voting.id, Recusal.declared_by_id.is_not(None))
    objection = _first(Objection, Objection.vote_id == voting.id)
    statement = _first(Statement, Statement.application_id == record.endorsed.id)
    document = _first(Document, Document.application_id == record.submitted.id)
    line = _first(CostLine, CostLine.category == "material")
    attendance = _first(SessionAttendance, SessionAttendance.session_id == record.session.id)
    text = _first(EventText, EventText.text == "Bitte in der Sitzung beraten.")
    silent = world.user("partner-lk-celle")  # has not voted on the second application
    cases = [
        (("ballots", "update", {"id": ballot.id}, {"comment": "Anders."}), ("ballots", "comment")),
        (
            ("ballots", "update", {"id": ballot.id}, {"rating_feasibility": 1}),
            ("ballots", "rating_feasibility"),
        ),
        (
            ("ballots", "update", {"id": ballot.id}, {"cast_at": ballot.cast_at - timedelta(days=3)}),
            ("ballots", "cast_at"),
        ),
        (("ballots", "delete", {"id": ballot.id}), ("ballots", "Zeile")),
        (
            (
                "ballots",
                "insert",
                None,
                {
                    "vote_id": voting.id,
                    "organisation_id": silent.organisation_id,
                    "choice": "approve",
                    "cast_by_id": silent.id,
                    "cast_at": datetime.now(UTC),
                },
            ),
            ("ballots", "Zeile"),
        ),
        (("recusals", "update", {"id": declared.id}, {"reason": "Anders."}), ("recusals", "reason")),
        (("recusals", "delete", {"id": declared.id}), ("recusals", "Zeile")),
        (
            (
                "recusals",
                "insert",
                None,
                {
                    "vote_id": closed.id,
                    "organisation_id": silent.organisation_id,
                    "reason": "x",
                    "created_at": datetime.now(UTC),
                },
            ),
            ("recusals", "Zeile"),
        ),
        (
            ("objections", "update", {"id": objection.id}, {"declared_by_id": silent.id}),
            ("objections", "declared_by_id"),
        ),
        (("objections", "delete", {"id": objection.id}), ("objections", "Zeile")),
        (
            ("applications", "update", {"id": record.endorsed.id}, {"state": "granted"}),
            ("applications", "state"),
        ),
        (
            (
                "applications",
                "update",
                {"id": record.submitted.id},
                {"next_due_on": datetime(2031, 1, 1).date()},
            ),
            ("applications", "next_due_on"),
        ),
        (("votes", "update", {"id": closed.id}, {"outcome": "not_approved"}), ("votes", "outcome")),
        (
            (
                "votes",
                "update",
                {"id": closed.id},
                {"frozen_tally": {"approve": 1, "reject": 12, "abstain": 0, "eligible": 13}},
            ),
            ("votes", "frozen_tally.approve"),
        ),
        (
            (
                "votes",
                "update",
                {"id": voting.id},
                {"mode": "circulation", "deadline_at": datetime.now(UTC) + timedelta(days=3)},
            ),
            ("votes", "mode"),
        ),
        (("statements", "update", {"id": statement.id}, {"sha256": "0" * 64}), ("statements", "sha256")),
        (("statements", "update", {"id": statement.id}, {"decision": "reject"}), ("statements", "decision")),
        (("documents", "update", {"id": document.id}, {"sha256": "f" * 64}), ("documents", "sha256")),
        (("documents", "delete", {"id": document.id}), ("documents", "Zeile")),
        (
            ("cost_lines", "update", {"id": line.id}, {"amount_cents": line.amount_cents + 100}),
            ("cost_lines", "Summe (cost_total)"),
        ),
        (
            ("session_attendance", "update", {"id": attendance.id}, {"present": not attendance.present}),
            ("session_attendance", "present"),
        ),
        (
            ("committee_sessions", "update", {"id": record.session.id}, {"place": "Anderswo"}),
            ("committee_sessions", "place"),
        ),
        (("event_texts", "update", {"id": text.id}, {"text": "Kein Widerspruch."}), ("event_texts", "text")),
        (("event_texts", "delete", {"id": text.id}), ("event_texts", "text")),
    ]
    wrong = []
    for (table, action, where, *values), (expected_table, expected_field) in cases:
        problem = _tamper(table, action, where, values[0] if values else None)
        if not isinstance(problem, Mismatch) or (problem.table, problem.field) != (
            expected_table,
            expected_field,
        ):
            wrong.append(f"{table} {action} {where}: {problem}")
    assert not wrong, "\n".join(wrong)
    assert verify_log()[1] is None  # everything put back


def _a_ballot(world) -> Ballot:
    application = world.application("partner_vote")
    return casting.cast_ballot(application, world.user("partner-dgb"), "abstain")


def test_a_changed_event_is_named_before_any_row(world):
    ballot = _a_ballot(world)
    with db.engine.begin() as connection:
        connection.execute(sa.update(Ballot.__table__).where(Ballot.id == ballot.id).values(choice="approve"))
        connection.execute(sa.text("UPDATE events SET hash = 'x' WHERE id = (SELECT max(id) FROM events)"))
    _, problem = verify_log()
    assert isinstance(problem, Break)


def test_the_coordinator_sees_the_last_check_and_a_failed_one_prominently(app, record, login):
    coordinator = login("coordinator")
    page = text_of(coordinator.get("/start").text)
    assert "Das Ereignisprotokoll wurde noch nie ohne Befund geprüft." in page
    assert app.test_cli_runner().invoke(args=["verify-log"]).exit_code == 0
    page = text_of(coordinator.get("/start").text)
    assert "Zuletzt ohne Befund geprüft am" in page and "Befehl verify-log" in page
    assert "stimmt nicht mehr" not in page

    ballot = _first(Ballot, Ballot.vote_id == record.endorsed.current_vote.id)
    with db.engine.begin() as connection:
        connection.execute(sa.update(Ballot.__table__).where(Ballot.id == ballot.id).values(choice="reject"))
    # the nightly check of tick (the first tick after 02:00 Berlin time, once a day)
    night = datetime.now(UTC).astimezone(integrity.calendar.BERLIN).replace(hour=2, minute=5)
    assert integrity.nightly(now=night) == -1
    assert integrity.nightly(now=night + timedelta(minutes=5)) == 0  # once that day
    html = coordinator.get("/start").text
    alert = html[html.index('id="alert-integrity"') :]
    alert = text_of(alert[: alert.index("</div>\n</div>")])
    assert "Das Ereignisprotokoll stimmt nicht mehr mit den Daten überein" in alert
    assert f"Tabelle ballots, Zeile {ballot.id}, Feld choice" in alert and "(tick" in alert
    page = text_of(html)
    assert "Zuletzt ohne Befund geprüft am" in page  # the last good one is still named
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntegrityCheck)) == 2
    assert "verify_log" in jobs.run_all()  # the job of tick


def test_another_alliances_coordinator_reads_no_details(app, world, other_alliance):
    ballot = _a_ballot(world)
    with db.engine.begin() as connection:
        connection.execute(sa.update(Ballot.__table__).where(Ballot.id == ballot.id).values(comment="Geheim"))
    integrity.check_and_record("verify-log")
    client = app.test_client()
    assert (
        client.post(
            "/anmelden", data={"email": other_alliance.coordinator.email, "password": "Antragsweg-Demo1"}
        ).status_code
        == 302
    )
    page = text_of(client.get("/start").text)
    assert "anderen Bündnisses" in page and "Geheim" not in page and "ballots" not in page
