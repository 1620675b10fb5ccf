"""Deadlines: Lower Saxony's calendar pinned, each deadline computed from the event that starts it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workflow.extensions import db
from workflow.models import Application
from workflow.rules.procedure import ProcedureRules
from workflow.services import deadlines
from workflow.services.deadlines import ASSESSMENT, CIRCULATION, STATEMENT, Deadline

DEFAULT = ProcedureRules()


def berlin_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)  # 11:00/12:00 in Berlin


@pytest.mark.parametrize(
    ("kind", "started", "expected", "why"),
    [
        (ASSESSMENT, date(2025, 10, 10), date(2025, 11, 3), "Reformationstag, Fr 31.10.2025"),
        (ASSESSMENT, date(2026, 3, 16), date(2026, 4, 7), "Ostermontag 06.04.2026"),
        (ASSESSMENT, date(2026, 3, 13), date(2026, 4, 7), "Karfreitag 03.04., Wochenende"),
        (ASSESSMENT, date(2026, 4, 23), date(2026, 5, 15), "Christi Himmelfahrt 14.05.2026"),
        (STATEMENT, date(2026, 5, 11), date(2026, 5, 26), "Pfingstmontag 25.05.2026"),
        (STATEMENT, date(2026, 4, 17), date(2026, 5, 4), "1. Mai 2026 (Freitag)"),
        (ASSESSMENT, date(2025, 12, 4), date(2025, 12, 29), "1./2. Weihnachtstag und Wochenende"),
        (STATEMENT, date(2025, 12, 18), date(2026, 1, 2), "Neujahr 2026, über den Jahreswechsel"),
        (ASSESSMENT, date(2025, 12, 12), date(2026, 1, 2), "Weihnachten bis Neujahr"),
        (CIRCULATION, date(2026, 5, 7), date(2026, 5, 15), "Umlauf über Himmelfahrt"),
        (STATEMENT, date(2026, 6, 1), date(2026, 6, 15), "ein gewöhnlicher Montag"),
    ],
)
def test_the_calendar_of_lower_saxony(kind, started, expected, why):
    assert deadlines.due(kind, berlin_noon(started), DEFAULT) == expected, why


def test_the_day_a_deadline_starts_is_berlins_day_across_the_change_to_summer_time():
    rules = ProcedureRules(statement_days=10)
    # 29.03.2026 01:30 in Berlin (CET) is still 28.03. in UTC: the Berlin day counts.
    started = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert deadlines.due(STATEMENT, started, rules) == date(2026, 4, 8)
    # After the change (CEST, UTC+2): 00:30 Berlin on 30.03. is 22:30 UTC on 29.03.
    started = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)
    assert deadlines.due(STATEMENT, started, rules) == date(2026, 4, 9)


def test_the_day_a_deadline_starts_is_berlins_day_across_the_change_to_winter_time():
    rules = ProcedureRules(statement_days=10)
    # 25.10.2026 00:30 in Berlin (still CEST, UTC+2) is 24.10. 22:30 in UTC.
    started = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    assert deadlines.due(STATEMENT, started, rules) == date(2026, 11, 4)
    # 23:30 UTC on 25.10. is 00:30 CET on 26.10.
    started = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)
    assert deadlines.due(STATEMENT, started, rules) == date(2026, 11, 5)


@pytest.mark.parametrize(
    ("due_on", "ends_utc"),
    [
        (date(2026, 3, 27), datetime(2026, 3, 27, 22, 59, 59, tzinfo=UTC)),  # CET
        (date(2026, 3, 30), datetime(2026, 3, 30, 21, 59, 59, tzinfo=UTC)),  # CEST
        (date(2026, 10, 23), datetime(2026, 10, 23, 21, 59, 59, tzinfo=UTC)),  # CEST
        (date(2026, 10, 26), datetime(2026, 10, 26, 22, 59, 59, tzinfo=UTC)),  # CET
    ],
)
def test_a_deadline_ends_at_midnight_in_berlin_summer_or_winter(due_on, ends_utc):
    deadline = Deadline(STATEMENT, 1, berlin_noon(date(2026, 3, 1)), due_on)
    assert deadline.ends_at == ends_utc


def test_status_running_due_soon_overdue_met():
    d = Deadline(STATEMENT, 1, berlin_noon(date(2026, 3, 16)), date(2026, 3, 30))
    assert d.status(berlin_noon(date(2026, 3, 26))) == "running"
    assert d.status(berlin_noon(date(2026, 3, 27))) == "due_soon"
    assert d.describe(berlin_noon(date(2026, 3, 27))) == "fällig in 3 Tagen"
    # 23:30 on the due day (Berlin, CEST) is still in time; 00:30 the next day is not.
    assert d.status(datetime(2026, 3, 30, 21, 30, tzinfo=UTC)) == "due_soon"
    assert d.describe(datetime(2026, 3, 30, 21, 30, tzinfo=UTC)) == "fällig heute"
    assert d.status(datetime(2026, 3, 30, 22, 30, tzinfo=UTC)) == "overdue"
    assert d.describe(berlin_noon(date(2026, 4, 2))) == "überfällig seit 3 Tagen"
    met = Deadline(STATEMENT, 1, d.started_at, d.due_on, met_at=berlin_noon(date(2026, 4, 1)))
    assert met.status(berlin_noon(date(2026, 5, 1))) == "met"
    assert met.met_on == date(2026, 4, 1) and met.met_late
    assert met.describe() == "erledigt am 01.04.2026 (nach Fristende)"


def test_submitting_a_sketch_starts_the_assessment_deadline(world):
    application = world.application("sketch_submitted")
    [deadline] = deadlines.for_application(application)
    assert deadline.kind is ASSESSMENT and deadline.met_at is None
    assert deadline.due_on == deadlines.due(ASSESSMENT, deadline.started_at, world.alliance.procedure)
    assert deadline.status() == "running"


def test_inviting_the_long_form_meets_the_assessment_deadline_with_its_date(world):
    application = world.application("long_form_draft")
    [deadline] = deadlines.for_application(application)
    assert deadline.kind is ASSESSMENT and deadline.status() == "met"
    assert deadline.met_on == date.today() and not deadline.met_late


def test_a_vote_runs_two_deadlines_and_closing_meets_the_circulation(world):
    application = world.application("partner_vote")
    kinds = {d.kind.name: d for d in deadlines.for_application(application)}
    assert kinds["assessment"].status() == "met"
    assert kinds["statement"].met_at is None and kinds["circulation"].met_at is None
    assert kinds["circulation"].due_on == deadlines.calendar.local_date(application.current_vote.deadline_at)
    world.walker.vote(application, ["approve"] * 14)
    kinds = {d.kind.name: d for d in deadlines.for_application(application)}
    assert kinds["circulation"].status() == "met" and kinds["statement"].met_at is None


def test_a_statement_meets_the_statement_deadline_and_withdrawal_drops_a_running_one(world):
    endorsed = world.application("endorsed")
    assert all(d.status() == "met" for d in deadlines.for_application(endorsed))
    withdrawn = world.application("sketch_submitted")
    world.walker.walk_to(withdrawn, "withdrawn", world.user("applicant-bildungswerk"))
    assert deadlines.for_application(withdrawn) == []


def test_a_running_deadline_keeps_its_date_when_the_rules_change(world):
    application = world.application("sketch_submitted")
    [before] = deadlines.for_application(application)
    world.alliance.rules = {"assessment_days": 60}
    db.session.commit()
    [after] = deadlines.for_application(application)
    assert after.due_on == before.due_on
    second = world.application("sketch_submitted")
    [new] = deadlines.for_application(second)
    assert new.due_on == deadlines.due(ASSESSMENT, new.started_at, ProcedureRules(assessment_days=60))


def test_the_stored_next_due_day_agrees_with_the_computation(world):
    """Application.next_due_on (what lists filter and sort by) is the computed next deadline,
    in every state an application can be walked to."""
    from workflow.lifecycle import STATE_NAMES

    made = [world.application(s) for s in STATE_NAMES]
    db.session.expire_all()
    computed = deadlines.for_applications(made)
    for application in made:
        expected = deadlines.next_running(computed[application.id])
        assert application.next_due_on == (expected.due_on if expected else None), application.state
        assert application.next_due_kind == (expected.kind.name if expected else None), application.state
    assert {a.state for a in made if a.next_due_on} == {
        "sketch_submitted",
        "sketch_assessment",
        "long_form_submitted",
        "partner_vote",
        "statement_pending",
    }


def test_a_circulation_moved_to_a_session_has_no_deadline_any_more(world):
    from workflow.votes import to_session

    application = world.application("partner_vote")
    assert CIRCULATION in [d.kind for d in deadlines.running(deadlines.for_application(application))]
    to_session.object_to_circulation(application, world.user("partner-dgb"), "Bitte in der Sitzung beraten.")
    assert CIRCULATION not in [d.kind for d in deadlines.running(deadlines.for_application(application))]
    # … and the stored day the cockpit filters and sorts by moved to the statement deadline.
    db.session.expire_all()
    running = deadlines.next_running(deadlines.for_application(application))
    assert running.kind is STATEMENT
    assert (application.next_due_on, application.next_due_kind) == (running.due_on, "statement")


def test_the_migration_fills_the_next_due_day_from_the_recorded_deadlines(world):
    """Databases from before the column get it filled by migration 0011 (as the lists used to
    compute it: from the deadlines the starting events recorded)."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    states = ("sketch_submitted", "long_form_submitted", "partner_vote", "statement_pending", "granted")
    expected = {a.id: (a.next_due_on, a.next_due_kind) for a in (world.application(s) for s in states)}
    assert sum(1 for day, _ in expected.values() if day) == 4
    db.session.commit()
    db.session.remove()
    try:
        downgrade(revision="0010")
    finally:
        upgrade()
    stored = db.session.execute(
        sa.select(Application.id, Application.next_due_on, Application.next_due_kind).where(
            Application.id.in_(list(expected))
        )
    )
    assert {i: (day, kind) for i, day, kind in stored} == expected


# -- past and future by Berlin's calendar (rules/deadlines.py) ----------------------------------------

# 23:30 UTC on 3 December is 00:30 on 4 December in Berlin: UTC's date (and a server's on UTC)
# still says the 3rd.
LATE_EVENING_UTC = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)


def test_past_and_future_days_follow_berlins_date_not_utcs():
    from workflow.rules import deadlines as rules

    assert rules.today(LATE_EVENING_UTC) == date(2026, 12, 4)
    assert rules.is_past_day(date(2026, 12, 3), LATE_EVENING_UTC)
    assert not rules.is_past_day(date(2026, 12, 4), LATE_EVENING_UTC)
    assert rules.is_future_day(date(2026, 12, 5), LATE_EVENING_UTC)
    assert not rules.is_future_day(date(2026, 12, 4), LATE_EVENING_UTC)
    # 22:00 UTC on the 3rd is 23:00 in Berlin on the 3rd: a day before Berlin's today.
    assert rules.planned_in_the_past(datetime(2026, 12, 3, 22, 0, tzinfo=UTC), LATE_EVENING_UTC)
    # Earlier on Berlin's today counts as today, not as the past; a moment ahead is still to come.
    assert not rules.planned_in_the_past(datetime(2026, 12, 3, 23, 10, tzinfo=UTC), LATE_EVENING_UTC)
    assert rules.still_to_come(datetime(2026, 12, 3, 23, 45, tzinfo=UTC), LATE_EVENING_UTC)
    assert not rules.still_to_come(datetime(2026, 12, 3, 23, 15, tzinfo=UTC), LATE_EVENING_UTC)


@pytest.mark.parametrize(
    ("day", "inside"),
    [
        (date(1999, 12, 31), False),
        (date(2000, 1, 1), True),
        (date(2099, 12, 31), True),
        (date(2100, 1, 1), False),
    ],
)
def test_the_days_the_procedure_knows(day, inside):
    from workflow.rules import deadlines as rules

    assert rules.day_in_range(day) is inside
