"""Deadlines that explain themselves (issue 19): why a deadline moved off a weekend or holiday, the
lengths beside each deadline from the alliance's own settings, and a statement deadline that ends
before the vote decides flagged to the coordinator when the vote is opened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import text_of
from workflow import demo
from workflow.extensions import db
from workflow.models import Event, Notification
from workflow.rules import deadlines as calendar
from workflow.services import alliances, notifications, sessions
from workflow.services import deadlines as deadline_service
from workflow.services.lifecycle import fire
from workflow.votes import timing

# A year ahead whose Christmas Day is a Friday: the count ends on 25.12., the deadline is Monday 28.12.
YEAR = next(y for y in range(date.today().year + 1, 2200) if date(y, 12, 25).weekday() == 4)
CHRISTMAS = f"25.12.{YEAR} ist ein Feiertag in Niedersachsen (Erster Weihnachtstag); Frist daher 28.12.{YEAR}"


def _morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


# -- 4. why a deadline falls on its day -------------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "note"),
    [
        (date(YEAR, 12, 25), CHRISTMAS),
        (
            date(YEAR, 12, 26),
            f"26.12.{YEAR} ist ein Samstag und ein Feiertag in Niedersachsen (Zweiter Weihnachtstag); "
            f"Frist daher 28.12.{YEAR}",
        ),
        (date(YEAR, 12, 19), f"19.12.{YEAR} ist ein Samstag; Frist daher 21.12.{YEAR}"),
        (date(YEAR, 12, 27), f"27.12.{YEAR} ist ein Sonntag; Frist daher 28.12.{YEAR}"),
        (date(YEAR, 12, 22), None),  # a Tuesday
    ],
)
def test_the_rules_say_why_a_deadline_moved(counted, note):
    assert calendar.shift_note(counted) == note


def test_holiday_names_are_german_whatever_the_systems_language(monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    calendar._holidays.cache_clear()
    try:
        assert calendar.holiday_name(date(YEAR, 12, 25)) == "Erster Weihnachtstag"
        assert calendar.holiday_name(date(YEAR, 10, 31)) == "Reformationstag"
        assert calendar.holiday_name(date(YEAR, 12, 22)) is None
    finally:
        calendar._holidays.cache_clear()


def test_the_open_vote_form_and_the_vote_explain_a_deadline_moved_off_christmas(world, login, monkeypatch):
    monkeypatch.setattr(timing, "utcnow", lambda: _morning(date(YEAR, 12, 18)))  # 7 days: 25.12.
    application = world.application("long_form_submitted")
    form = login("coordinator").get(f"/antraege/{application.id}/aktion/open_vote")
    assert f'value="{YEAR}-12-28"' in form.text
    text = text_of(form.text)
    assert f"Nach der Geschäftsordnung 7 Kalendertage ab heute: 28.12.{YEAR}. {CHRISTMAS}." in text
    response = login("coordinator").post(
        f"/antraege/{application.id}/aktion/open_vote",
        data={"mode": "circulation", "deadline": f"{YEAR}-12-28"},
    )
    assert response.status_code == 302
    opened = db.session.scalars(sa.select(Event).where(Event.trigger == "open_vote")).one()
    assert opened.data["deadline"] == f"{YEAR}-12-28" and opened.data["deadline_counted"] == f"{YEAR}-12-25"
    for key in ("coordinator", "partner-dgb"):
        page = text_of(login(key).get(f"/antraege/{application.id}").text)
        assert f"Frist: 28.12.{YEAR}, 23:59 Uhr ({CHRISTMAS})" in page, key
    mail = db.session.scalars(
        sa.select(Notification.body).where(
            Notification.user_id == world.user("partner-dgb").id,
            Notification.subject.like("Neue Abstimmung%"),
        )
    ).one()
    assert CHRISTMAS in mail
    db.session.expire_all()
    [running] = [d for d in deadline_service.for_application(application) if d.kind.name == "circulation"]
    assert running.explanation == CHRISTMAS


def test_a_chosen_saturday_says_so(world, login, monkeypatch):
    monkeypatch.setattr(timing, "utcnow", lambda: _morning(date(YEAR, 12, 10)))
    application = world.application("long_form_submitted")
    response = login("coordinator").post(
        f"/antraege/{application.id}/aktion/open_vote",
        data={"mode": "circulation", "deadline": f"{YEAR}-12-19"},
    )
    assert response.status_code == 302
    page = text_of(login("partner-hwk").get(f"/antraege/{application.id}").text)
    assert f"Frist: 21.12.{YEAR}, 23:59 Uhr (19.12.{YEAR} ist ein Samstag; Frist daher 21.12.{YEAR})" in page


def test_the_statement_deadline_on_the_page_in_the_api_and_the_sketchs_in_the_mail(
    world, login, api, monkeypatch
):
    application = world.application("long_form_draft")
    demo.fill_long_form(application, world.user("applicant-bildungswerk"))
    monkeypatch.setattr(deadline_service, "utcnow", lambda: _morning(date(YEAR, 12, 11)))  # 14 days: 25.12.
    fire(application, "submit_long_form", world.user("applicant-bildungswerk"))
    page = text_of(login("coordinator").get(f"/antraege/{application.id}").text)
    assert f"Frist für Rückmeldung und Stellungnahme: 28.12.{YEAR}" in page
    assert f"14 Kalendertage ab Eingang der Langfassung am 11.12.{YEAR}" not in page  # the event's own time
    assert "14 Kalendertage ab Eingang der Langfassung am" in page and f"{CHRISTMAS}." in page
    [statement] = [
        d
        for d in api("coordinator").get(f"/api/v1/applications/{application.id}").get_json()["deadlines"]
        if d["kind"] == "statement"
    ]
    assert (statement["due_on"], statement["days"], statement["explanation"]) == (
        f"{YEAR}-12-28",
        14,
        CHRISTMAS,
    )

    sketch = world.application("sketch_draft", applicant="applicant-lwz")
    monkeypatch.setattr(deadline_service, "utcnow", lambda: _morning(date(YEAR, 12, 4)))  # 21 days: 25.12.
    monkeypatch.setattr(notifications, "utcnow", lambda: _morning(date(YEAR, 12, 4)))
    fire(sketch, "submit_sketch", world.user("applicant-lwz"))
    mail = db.session.scalars(
        sa.select(Notification.body).where(
            Notification.user_id == world.user("coordinator").id,
            Notification.application_id == sketch.id,
            Notification.subject.like("Eingereicht%"),
        )
    ).one()
    assert f"Ziel für die Ersteinschätzung: 28.12.{YEAR}. ({CHRISTMAS}.)" in mail
    page = text_of(login("applicant-lwz").get(f"/antraege/{sketch.id}").text)
    assert f"Ziel für die Ersteinschätzung: 28.12.{YEAR}" in page and CHRISTMAS in page


# -- 5. the lengths beside each deadline come from the alliance's settings ---------------------------


def _settings(world, **rules) -> None:
    alliances.update_settings(world.alliance, world.user("coordinator"), rules, "Lenkungskreis", {})


def test_every_text_beside_a_deadline_gives_the_alliances_own_length(world, login):
    _settings(world, assessment_days=28, statement_days=10, circulation_days=5)
    sketch = world.application("sketch_submitted")
    long_form = world.application("long_form_submitted", applicant="applicant-lwz")
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{sketch.id}").text)
    assert "28 Kalendertage ab Einreichung der Skizze am" in page and "21 Kalendertage" not in page
    page = text_of(login("coordinator").get(f"/antraege/{long_form.id}").text)
    assert "10 Kalendertage ab Eingang der Langfassung am" in page and "14 Kalendertage" not in page
    form = text_of(login("coordinator").get(f"/antraege/{long_form.id}/aktion/open_vote").text)
    assert "Nach der Geschäftsordnung 5 Kalendertage ab heute" in form and "7 Kalendertage" not in form
    # A running deadline keeps the length it started with; a new one takes the new setting.
    _settings(world, assessment_days=1, circulation_days=1)
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{sketch.id}").text)
    assert "28 Kalendertage ab Einreichung der Skizze am" in page
    newer = world.application("sketch_submitted", applicant="applicant-elbtal")
    page = text_of(login("coordinator").get(f"/antraege/{newer.id}").text)
    assert "1 Kalendertag ab Einreichung der Skizze am" in page
    form = text_of(login("coordinator").get(f"/antraege/{long_form.id}/aktion/open_vote").text)
    assert "Nach der Geschäftsordnung 1 Kalendertag ab heute" in form


# -- 6. a statement deadline that ends before the vote decides ---------------------------------------


def test_a_statement_deadline_before_the_votes_deadline_is_flagged_when_the_vote_is_opened(world, login):
    _settings(world, statement_days=5)  # the circulation (7 days) would end after it
    session = sessions.schedule(
        world.user("coordinator"), datetime.now(UTC) + timedelta(days=30), "IHK Lüneburg", "Voten"
    )
    application = world.application("long_form_submitted")
    [statement] = deadline_service.running(deadline_service.for_application(application))
    due = f"{statement.due_on:%d.%m.%Y}"
    form = text_of(login("coordinator").get(f"/antraege/{application.id}/aktion/open_vote").text)
    assert f"Achtung: Die Frist für Rückmeldung und Stellungnahme endet am {due}" in form
    assert f"(nach Ablauf der Frist für die Stellungnahme am {due})" in form
    deadline = timing.default_circulation_deadline(world.alliance)
    response = login("coordinator").post(
        f"/antraege/{application.id}/aktion/open_vote",
        data={"mode": "circulation", "deadline": deadline.isoformat()},
    )
    assert response.status_code == 302  # a warning, not a refusal
    page = text_of(login("coordinator").get(f"/antraege/{application.id}").text)
    assert f"Achtung: Die Frist für Rückmeldung und Stellungnahme endet am {due}" in page
    assert "5 Kalendertage ab Eingang der Langfassung" in page
    assert "Achtung" not in text_of(login("partner-dgb").get(f"/antraege/{application.id}").text)

    # Onto a session after the statement deadline: flagged the same way.
    other = world.application("long_form_submitted", applicant="applicant-lwz")
    response = login("coordinator").post(
        f"/antraege/{other.id}/aktion/open_vote", data={"mode": "session", "session_id": session.id}
    )
    assert response.status_code == 302
    page = text_of(login("coordinator").get(f"/antraege/{other.id}").text)
    assert (
        "Achtung: Die Frist für Rückmeldung und Stellungnahme endet am" in page
        and "in der Sitzung am" in page
    )


def test_no_warning_when_the_vote_decides_before_the_statement_deadline(world, login):
    application = world.application("long_form_submitted")  # 14 days for the statement, 7 to vote
    form = text_of(login("coordinator").get(f"/antraege/{application.id}/aktion/open_vote").text)
    assert "Achtung" not in form
    late = (datetime.now(UTC) + timedelta(days=20)).date()
    refused = login("coordinator").post(
        f"/antraege/{application.id}/aktion/open_vote", data={"mode": "session", "session_id": "0"}
    )
    assert refused.status_code == 422  # no session chosen; the rules' deadline is fine
    assert "Achtung" not in text_of(refused.text)
    response = login("coordinator").post(
        f"/antraege/{application.id}/aktion/open_vote",
        data={"mode": "circulation", "deadline": late.isoformat()},
    )
    assert response.status_code == 302
    assert "Achtung: Die Frist für Rückmeldung" in text_of(
        login("coordinator").get(f"/antraege/{application.id}").text
    )
