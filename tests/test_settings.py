"""The alliance's own settings page, every change an event; `flask create-alliance`."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import LoggedIn, text_of
from workflow import demo
from workflow.extensions import db
from workflow.models import Alliance, Event, FundingObject, Organisation, User
from workflow.services import deadlines

FORM = {
    "committee_name": "Lenkungsausschuss",
    "assessment_days": "28",
    "statement_days": "14",
    "circulation_days": "10",
    "quorum_percent": "60",
    "secret_while_open": "0",
    "attributed_comments": "0",
    "max_funding_rate_percent": "70",
    "reminder_days": "5, 1",
    "revision_reminder_days": "10",
    "statement_needed": ["1", "2"],
}


def test_the_coordinator_changes_every_rule_and_each_change_is_an_event(world, login):
    client = login("coordinator")
    page = client.get("/einstellungen")
    assert page.status_code == 200 and 'value="21"' in page.text
    response = client.post("/einstellungen", data=FORM)
    assert response.status_code == 303
    db.session.expire_all()
    alliance = db.session.get(Alliance, world.alliance.id)
    rules = alliance.procedure
    assert (rules.assessment_days, rules.circulation_days, rules.quorum_percent) == (28, 10, 60)
    assert not rules.secret_while_open and not rules.attributed_comments
    assert rules.max_funding_rate_percent == 70
    assert rules.reminder_days == (5, 1) and rules.revision_reminder_days == (10,)
    assert alliance.committee_name == "Lenkungsausschuss"
    needs = {fo.number: fo.needs_statement for fo in alliance.funding_objects}
    assert needs == {1: True, 2: True, 3: False}
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "settings_changed")).all()
    assert event.application_id is None and event.actor_id == world.user("coordinator").id
    assert event.data["changed"]["assessment_days"] == {"old": 21, "new": 28}
    assert event.data["changed"]["funding_object_3_needs_statement"] == {"old": True, "new": False}
    assert "Frist Ersteinschätzung: 21 → 28" in text_of(client.get("/einstellungen").text)


def test_bad_settings_are_refused_in_german_and_nothing_changes(world, login):
    response = login("coordinator").post(
        "/einstellungen",
        data={**FORM, "quorum_percent": "0", "reminder_days": "drei", "assessment_days": "x"},
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Zwischen 1 und 100." in text and "Bitte Tage als Zahlen angeben" in text
    assert "Bitte geben Sie eine ganze Zahl ein." in text
    assert 'value="Lenkungsausschuss"' in response.text  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Alliance, world.alliance.id).rules == {}
    assert not db.session.scalars(sa.select(Event).where(Event.kind == "settings_changed")).all()


def test_only_the_coordinator_reaches_the_settings(world, login):
    for key in ("partner-dgb", "applicant-bildungswerk", "observer-nbank"):
        assert login(key).get("/einstellungen").status_code == 403
        assert login(key).post("/einstellungen", data=FORM).status_code == 403
    assert db.session.get(Alliance, world.alliance.id).rules == {}


def test_a_vote_keeps_the_rules_it_was_opened_under_and_a_deadline_its_date(world, login):
    voting = world.application("partner_vote")
    waiting = world.application("sketch_submitted")
    [before] = deadlines.for_application(waiting)
    assert (
        login("coordinator").post("/einstellungen", data={**FORM, "quorum_percent": "100"}).status_code == 303
    )
    db.session.expire_all()
    assert voting.current_vote.procedure.quorum_percent == 50
    assert not voting.current_vote.tally().quorum_reached
    world.walker.vote(voting, ["approve"] * 7)  # 7 of 13: quorum under the old rules (50 %)
    assert voting.current_vote.tally().quorum_reached
    [after] = deadlines.for_application(waiting)
    assert after.due_on == before.due_on
    later = world.application("partner_vote", applicant="applicant-lwz")
    assert later.current_vote.procedure.quorum_percent == 100


def test_partners_and_representatives_are_added_and_deactivated(world, login):
    client = login("coordinator")
    assert client.post("/einstellungen/partner", data={"partner-name": "Jobcenter Celle"}).status_code == 303
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Jobcenter Celle"))
    assert org.kind == "partner" and org.alliance_id == world.alliance.id
    response = client.post(
        "/einstellungen/personen",
        data={
            "person-organisation": str(org.id),
            "person-name": "Jana Job",
            "person-email": "jana@jc.example",
        },
    )
    assert response.status_code == 303
    jana = db.session.scalar(sa.select(User).where(User.email == "jana@jc.example"))
    assert jana.role == "partner" and jana.organisation_id == org.id and jana.active
    # a new vote counts the new partner
    application = world.application("partner_vote")
    assert org.id in {o.id for o in application.current_vote.eligible_organisations()}
    assert client.post(f"/einstellungen/personen/{jana.id}/deaktivieren").status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, jana.id).active
    assert client.post(f"/einstellungen/partner/{org.id}/deaktivieren").status_code == 303
    db.session.expire_all()
    assert not db.session.get(Organisation, org.id).active
    later = world.application("partner_vote", applicant="applicant-lwz")
    assert org.id not in {o.id for o in later.current_vote.eligible_organisations()}
    kinds = db.session.scalars(
        sa.select(Event.kind).where(Event.application_id.is_(None)).order_by(Event.id)
    ).all()
    assert kinds == [
        "partner_added",
        "representative_added",
        "representative_deactivated",
        "partner_deactivated",
    ]


def test_bad_partner_input_is_refused_in_german(world, login):
    client = login("coordinator")
    response = client.post(
        "/einstellungen/partner", data={"partner-name": "DGB Region Nord-Ost-Niedersachsen"}
    )
    assert response.status_code == 422 and "Es gibt bereits eine Organisation" in response.text
    response = client.post(
        "/einstellungen/personen",
        data={
            "person-organisation": str(world.orgs["dgb"].id),
            "person-name": "X",
            "person-email": world.user("partner-dgb").email,
        },
    )
    assert response.status_code == 422 and "Es gibt bereits ein Konto" in response.text
    response = client.post(
        "/einstellungen/personen",
        data={"person-organisation": "999999", "person-name": "X", "person-email": "x@y.example"},
    )
    assert response.status_code == 422
    assert client.post("/einstellungen/partner/999999/deaktivieren").status_code == 404
    assert (
        client.post(f"/einstellungen/personen/{world.user('coordinator').id}/deaktivieren").status_code == 404
    )


def test_another_alliance_cannot_touch_this_ones_partners_or_see_its_settings(app, world, other_alliance):
    weser = LoggedIn(app, "koordination@weser.example")
    page = weser.get("/einstellungen")
    assert page.status_code == 200
    assert "IHK Lüneburg-Wolfsburg" not in page.text and "Handelskammer Weser" in page.text
    dgb = world.orgs["dgb"]
    assert weser.post(f"/einstellungen/partner/{dgb.id}/deaktivieren").status_code == 404
    assert (
        weser.post(f"/einstellungen/personen/{world.user('partner-dgb').id}/deaktivieren").status_code == 404
    )
    response = weser.post(
        "/einstellungen/personen",
        data={"person-organisation": str(dgb.id), "person-name": "X", "person-email": "x@weser.example"},
    )
    assert response.status_code == 422
    assert weser.post("/einstellungen", data=FORM).status_code == 303
    db.session.expire_all()
    assert db.session.get(Alliance, world.alliance.id).rules == {}
    assert db.session.get(Alliance, other_alliance.alliance.id).procedure.quorum_percent == 60


def test_create_alliance_sets_up_a_further_alliance_with_its_coordinator(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-alliance",
            "elbe",
            "Fachkräftebündnis Elbe",
            "--coordinator-email",
            "k@elbe.example",
            "--coordinator-name",
            "Kai Elbe",
            "--password",
            demo.DEMO_PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Bündnis angelegt: Fachkräftebündnis Elbe (elbe)" in result.output
    alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == "elbe"))
    user = db.session.scalar(sa.select(User).where(User.email == "k@elbe.example"))
    assert user.role == "coordinator" and user.alliance_id == alliance.id
    numbers = db.session.scalars(
        sa.select(FundingObject.number).where(FundingObject.alliance_id == alliance.id)
    )
    assert sorted(numbers) == [1, 2, 3]
    LoggedIn(app, "k@elbe.example")  # can log in
    again = runner.invoke(
        args=[
            "create-alliance",
            "elbe",
            "Noch eins",
            "--coordinator-email",
            "z@elbe.example",
            "--password",
            demo.DEMO_PASSWORD,
        ]
    )
    assert again.exit_code != 0 and "Es gibt bereits ein Bündnis" in again.output
    bad = runner.invoke(
        args=[
            "create-alliance",
            "Elbe Süd!",
            "X",
            "--coordinator-email",
            "y@elbe.example",
            "--password",
            demo.DEMO_PASSWORD,
        ]
    )
    assert bad.exit_code != 0 and "Kürzel" in bad.output
