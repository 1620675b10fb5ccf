"""The alliance's budget per funding period, computed from the record; the warning and recorded
confirmation when a positive statement would exceed it."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Application, Event, FundingPeriod, Statement
from workflow.rules import budget as rules
from workflow.services.lifecycle import fire

GRANT = 24_000_000  # demo.new_application's requested grant: 240.000,00 €


def _period() -> FundingPeriod:
    return db.session.scalars(sa.select(FundingPeriod)).one()


def test_the_demo_period_holds_2_34_million_until_the_end_of_2027(world):
    period = _period()
    assert (period.budget_cents, period.ends_on.isoformat()) == (234_000_000, "2027-12-31")


def test_committed_granted_released_follow_the_record(world):
    endorsed = world.application("endorsed")
    submitted = world.application("nbank_submitted")
    granted = world.application("granted")
    declined = world.application("nbank_declined")
    withdrawn_after = world.application("endorsed")
    fire(withdrawn_after, "withdraw", world.user("coordinator"), {"reason": "Träger aufgelöst."})
    world.application("not_endorsed")
    world.application("statement_pending")
    figures = _period().figures()
    assert figures.committed == 2 * GRANT  # endorsed + submitted
    assert figures.granted == GRANT  # the demo grants what was requested
    assert figures.remaining == 234_000_000 - 3 * GRANT
    status = {e.application_id: e.status for e in figures.entries}
    assert status == {
        endorsed.id: "committed",
        submitted.id: "committed",
        granted.id: "granted",
        declined.id: "released",
        withdrawn_after.id: "released",
    }


def test_a_grant_replaces_the_requested_amount():
    entry = rules.Entry(1, "R", "T", "A", "granted", requested_cents=100, granted_cents=80)
    assert rules.figures(1000, [entry]).granted == 80
    assert rules.figures(1000, [entry]).remaining == 920


def test_passing_without_a_vote_does_not_count_against_the_budget(world):
    fo = world.alliance.funding_objects[2]
    fo.needs_statement = False
    db.session.commit()
    application = world.application("long_form_submitted", number=3)
    fire(application, "pass_without_vote", world.user("coordinator"), {"note": "Landesaufruf."})
    assert application.state == "endorsed"
    assert _period().figures().entries == ()


def test_the_budget_page_shows_figures_bar_and_projects(world, login):
    endorsed = world.application("endorsed")
    world.application("granted")
    for who in ("coordinator", "partner-ihk"):
        response = login(who).get("/budget")
        assert response.status_code == 200
        page = text_of(response.text)
        assert "Budget gesamt 2.340.000,00 €" in page
        assert "Gebunden 240.000,00 €" in page and "Bewilligt 240.000,00 €" in page
        assert "Verbleibend 1.860.000,00 €" in page
        assert endorsed.reference in page
        assert 'role="img"' in response.text and "<title" in response.text
        assert "style=" not in response.text
    assert login("applicant-bildungswerk").get("/budget").status_code == 403
    assert login("observer-nbank").get("/budget").status_code == 403


def _pending(world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 14)
    assert application.state == "statement_pending"
    return application


ISSUE = {"decision": "endorse", "statement": "Befürwortet.", "requested_changes": ""}


def test_exceeding_the_budget_warns_and_needs_a_recorded_confirmation(world, login):
    period = _period()
    period.budget_cents = GRANT - 1
    db.session.commit()
    application = _pending(world)
    coordinator = login("coordinator")
    page = text_of(coordinator.get(f"/antraege/{application.id}/aktion/issue_statement").text)
    assert "Budget wird überschritten" in page and "ausdrücklich" in page
    refused = coordinator.post(f"/antraege/{application.id}/aktion/issue_statement", data=ISSUE)
    assert refused.status_code == 422
    assert "überschreitet das verbleibende Budget" in text_of(refused.text)
    db.session.expire_all()
    assert db.session.get(Application, application.id).state == "statement_pending"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0

    confirmed = coordinator.post(
        f"/antraege/{application.id}/aktion/issue_statement", data=ISSUE | {"budget_confirmed": "y"}
    )
    assert confirmed.status_code == 302, text_of(confirmed.text)[:300]
    event = db.session.scalars(sa.select(Event).where(Event.trigger == "issue_statement")).one()
    assert event.data["budget_confirmed"] is True
    assert event.data["budget_remaining_cents"] == GRANT - 1
    statement = db.session.scalars(sa.select(Statement)).one()
    assert statement.record["budget"]["confirmed"] is True and statement.record["budget"]["would_exceed"]
    page = text_of(coordinator.get("/budget").text)
    assert "Das Budget ist überschritten" in page


def test_within_the_budget_no_confirmation_is_asked(world, login):
    application = _pending(world)
    page = text_of(login("coordinator").get(f"/antraege/{application.id}/aktion/issue_statement").text)
    assert "Budget wird überschritten" not in page and "verbleibend 2.340.000,00 €" in page
    fire(application, "issue_statement", world.user("coordinator"), ISSUE | {"budget_confirmed": False})
    assert application.state == "endorsed"


def test_the_funding_period_command_sets_a_budget(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["funding-period", "Strategieperiode 2024–2027", "2024-01-01", "2027-12-31", "3.850.000,00"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _period().budget_cents == 385_000_000
    bad = runner.invoke(args=["funding-period", "X", "2027-01-01", "2026-01-01", "1,00"])
    assert bad.exit_code != 0 and "vor seinem Beginn" in bad.output
    bad = runner.invoke(args=["funding-period", "X", "2026-01-01", "2027-01-01", "viel"])
    assert bad.exit_code != 0
