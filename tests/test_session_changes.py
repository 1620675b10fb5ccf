"""Committee sessions in the calendar feeds (moved, cancelled), a session recorded afterwards, and a
vote moved to a session showing the session wherever it showed its deadline (issue 19, "Sessions")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from tests.conftest import text_of
from workflow.extensions import db
from workflow.formatting import local_datetime
from workflow.models import Application, CommitteeSession, Event, Notification, Vote
from workflow.rules.deadlines import BERLIN
from workflow.services import deadlines, jobs, notifications, sessions
from workflow.services.errors import InvalidTransition, RuleViolation
from workflow.services.lifecycle import fire
from workflow.votes import timing, to_session

NOW = datetime.now(UTC)


def _reload(application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def _at(days: int, hour: int = 14) -> datetime:
    """A full hour in Berlin, `days` days from today."""
    return datetime.combine(NOW.astimezone(BERLIN).date() + timedelta(days=days), time(hour), tzinfo=BERLIN)


def _feed_url(client) -> str:
    page = client.post("/kalender")
    assert page.status_code == 200
    return re.search(r"<code>http://[^/]+(/kalender/[^<]+\.ics)</code>", page.text).group(1)


def _sessions_in(body: bytes) -> dict[str, object]:
    """The session entries of a feed (parsed with icalendar) by UID."""
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT") if "-session-" in str(e["UID"])}


def _on_session(world, session) -> Application:
    application = world.application("long_form_submitted")
    fire(application, "open_vote", world.user("coordinator"), {"mode": "session", "session_id": session.id})
    return application


# -- 1. sessions in the calendar feeds ------------------------------------------------------------


def test_sessions_are_in_the_coordinators_and_every_partners_feed_with_their_agenda(app, world, login):
    coordinator = world.user("coordinator")
    session = sessions.schedule(coordinator, _at(12), "IHK Lüneburg, Saal 3", "1. Begrüßung\n2. Voten")
    on_agenda = _on_session(world, session)
    feeds = {
        key: _sessions_in(app.test_client().get(_feed_url(login(key))).data)
        for key in ("coordinator", "partner-dgb", "partner-lk-lueneburg", "partner-ihk-deputy")
    }
    uid = f"non-session-{session.id}@antragsweg"
    for key, found in feeds.items():
        assert list(found) == [uid], key
        entry = found[uid]
        assert entry.decoded("DTSTART") == _at(12) and str(entry["DTSTART"].params["TZID"]) == "Europe/Berlin"
        assert entry.decoded("DTEND") > entry.decoded("DTSTART")
        assert str(entry["LOCATION"]) == "IHK Lüneburg, Saal 3"
        assert int(entry["SEQUENCE"]) == 0 and str(entry["STATUS"]) == "CONFIRMED"
        description = str(entry["DESCRIPTION"])
        assert "2. Voten" in description and f"{on_agenda.reference} – {on_agenda.title}" in description
        assert f"/sitzungen/{session.id}" in str(entry["URL"])
    # Sponsors and observers are not members of the committee: no sessions in their feeds.
    for key in ("applicant-bildungswerk", "observer-nbank"):
        assert _sessions_in(app.test_client().get(_feed_url(login(key))).data) == {}, key


def test_a_moved_and_then_cancelled_session_keeps_its_uid_and_counts_each_change(app, world, login, smtp):
    coordinator = world.user("coordinator")
    session = sessions.schedule(coordinator, _at(10), "IHK Lüneburg", "Voten")
    later = sessions.schedule(coordinator, _at(40), "HWK Lüneburg", "Voten")
    item = _on_session(world, session)
    url = _feed_url(login("partner-hwk"))
    uid = f"non-session-{session.id}@antragsweg"
    before = _sessions_in(app.test_client().get(url).data)[uid]

    page = login("coordinator").get(f"/sitzungen/{session.id}/bearbeiten")
    assert page.status_code == 200 and 'value="IHK Lüneburg"' in page.text
    moved = login("coordinator").post(
        f"/sitzungen/{session.id}/bearbeiten",
        data={
            "day": _at(11).date().isoformat(),
            "starts": "09:30",
            "place": "Leuphana, Raum 2",
            "agenda": "Voten",
        },
    )
    assert moved.status_code == 303
    after = _sessions_in(app.test_client().get(url).data)[uid]
    assert after.decoded("DTSTART") == _at(11).replace(hour=9, minute=30)
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1 == 1
    assert str(after["LOCATION"]) == "Leuphana, Raum 2"
    # The item went with it; the sponsor and the partners were told.
    assert _reload(item).current_vote.session_date == _at(11).date()
    assert any("Sitzung verlegt" in m["Subject"] for m in smtp.to(world.user("partner-dgb").email))
    assert any("Sitzung verlegt" in m["Subject"] for m in smtp.to(world.user("applicant-bildungswerk").email))
    page = text_of(login("partner-dgb").get(f"/sitzungen/{session.id}").text)
    assert (
        f"Verlegt vom {local_datetime(_at(10))} auf den {local_datetime(_at(11).replace(hour=9, minute=30))}"
        in page
    )

    refused = login("coordinator").post(f"/sitzungen/{session.id}/absagen", data={"cancel-reason": " "})
    assert refused.status_code == 422 and "Grund der Absage" in text_of(refused.text)
    cancelled = login("coordinator").post(
        f"/sitzungen/{session.id}/absagen", data={"cancel-reason": "Nicht beschlussfähig."}
    )
    assert cancelled.status_code == 303
    entry = _sessions_in(app.test_client().get(url).data)[uid]
    assert str(entry["STATUS"]) == "CANCELLED" and int(entry["SEQUENCE"]) == 2
    assert "Nicht beschlussfähig." in str(entry["DESCRIPTION"])
    # Its open item is on the next session's agenda now, and its history says why.
    vote = _reload(item).current_vote
    assert (vote.session_id, vote.session_date) == (later.id, _at(40).date())
    page = text_of(login("coordinator").get(f"/antraege/{item.id}").text)
    assert "Sitzung abgesagt" in page and f"Sitzung am {local_datetime(_at(40))}" in page
    assert "Abgesagt" in text_of(login("partner-dgb").get(f"/sitzungen/{session.id}").text)
    # A cancelled session can be neither moved nor cancelled again, and nothing waits for it.
    assert login("coordinator").get(f"/sitzungen/{session.id}/bearbeiten").status_code == 409
    again = login("coordinator").post(f"/sitzungen/{session.id}/absagen", data={"cancel-reason": "x"})
    assert again.status_code == 409
    assert timing.upcoming_sessions(world.alliance.id)[0].id == later.id
    # Once its day is over, the cancelled session leaves the feeds; a held one stays.
    db.session.execute(
        sa.update(CommitteeSession)
        .where(CommitteeSession.id == session.id)
        .values(starts_at=NOW - timedelta(days=2))
    )
    db.session.commit()
    assert uid not in _sessions_in(app.test_client().get(url).data)
    events = db.session.scalars(
        sa.select(Event.kind).where(Event.application_id.is_(None), Event.kind.like("session_%"))
    ).all()
    assert events.count("session_moved") == 1 and events.count("session_cancelled") == 1


def test_session_change_mails_tell_each_sponsor_of_their_own_application_only(world, smtp):
    coordinator = world.user("coordinator")
    session = sessions.schedule(coordinator, _at(10), "IHK Lüneburg", "1. Voten")
    later = sessions.schedule(coordinator, _at(30), "HWK Lüneburg", "Voten")
    ours, theirs = _on_session(world, session), _on_session(world, session)
    theirs.applicant_organisation_id = world.user("applicant-lwz").organisation_id
    ours.title, theirs.title = "Pflegeassistenz Uelzen", "Quereinstieg Metall Celle"
    db.session.commit()
    # A partner who wants session changes in the digest gets no mail of them now.
    notifications.set_preferences(world.user("partner-hwk"), {"session_changed": "digest"})
    smtp.messages.clear()

    sessions.reschedule(session, coordinator, _at(11), "Leuphana", "1. Voten")
    sessions.cancel(session, coordinator, "Nicht beschlussfähig.")
    sponsors = {
        "applicant-bildungswerk": (ours, theirs),
        "applicant-lwz": (theirs, ours),
    }
    for key, (own, other) in sponsors.items():
        mails = smtp.to(world.user(key).email)
        assert [m["Subject"] for m in mails] == [
            f"Sitzung verlegt: neu am {local_datetime(_at(11))}",
            f"Sitzung am {local_datetime(_at(11))} abgesagt",
        ], key
        for mail in mails:
            text = mail.get_content()
            assert own.title in text and own.reference in text, key
            assert other.title not in text and other.reference not in text, key
        assert f"Sitzung am {local_datetime(later.starts_at)}" in mails[1].get_content()
    # The committee's members read the whole agenda.
    for mail in smtp.to(world.user("partner-dgb").email):
        assert ours.title in mail.get_content() and theirs.title in mail.get_content()
    assert smtp.to(world.user("partner-hwk").email) == []
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.subject.like("Sitzung%"))
    ).all()
    assert set(kinds) == {"session_invitation", "session_changed"}
    held = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == world.user("partner-hwk").id, Notification.kind == "session_changed"
        )
    ).all()
    assert len(held) == 2 and all(n.held for n in held)


def test_a_sessions_change_is_told_alike_on_its_page_and_in_the_mail(world, login, smtp):
    coordinator = world.user("coordinator")
    session = sessions.schedule(coordinator, _at(10), "IHK", "Voten")
    sessions.reschedule(session, coordinator, _at(12), "HWK", "Voten")
    told = sessions.moved_text(_at(10), _at(12), "IHK", "HWK")
    assert told == f"Verlegt vom {local_datetime(_at(10))} auf den {local_datetime(_at(12))}; Ort: HWK"
    [moved] = [e for e in sessions.history(session) if e.kind == sessions.SESSION_MOVED]
    assert sessions.describe(moved) == told
    assert told in text_of(login("partner-dgb").get(f"/sitzungen/{session.id}").text)
    [mail] = [m for m in smtp.to(world.user("partner-dgb").email) if "verlegt" in m["Subject"]]
    assert told in mail.get_content()
    # Whether it may still change: one rule for the page, the form and the service.
    sessions.cancel(session, coordinator, "Terminkonflikt.")
    assert not sessions.may_change(session)
    with pytest.raises(InvalidTransition, match="abgesagt"):
        sessions.ensure_changeable(session)
    edit = login("coordinator").get(f"/sitzungen/{session.id}/bearbeiten")
    assert edit.status_code == 409 and "Die Sitzung ist abgesagt." in text_of(edit.text)


def test_cancelling_the_only_session_leaves_its_items_waiting_for_the_next(world, login):
    session = sessions.schedule(world.user("coordinator"), _at(5), "IHK", "Voten")
    item = _on_session(world, session)
    assert sessions.cancel(session, world.user("coordinator"), "Terminkonflikt.") == 1
    vote = _reload(item).current_vote
    assert vote.session_id is None and vote.mode == "session"
    assert "wartet auf die nächste Sitzung" in text_of(login("partner-dgb").get(f"/antraege/{item.id}").text)
    new = sessions.schedule(world.user("coordinator"), _at(20), "HWK", "")
    assert _reload(item).current_vote.session_id == new.id


def test_no_vote_is_opened_onto_a_cancelled_session(world):
    session = sessions.schedule(world.user("coordinator"), _at(5), "IHK", "Voten")
    sessions.cancel(session, world.user("coordinator"), "Terminkonflikt.")
    application = world.application("long_form_submitted")
    with pytest.raises(RuleViolation):
        fire(
            application, "open_vote", world.user("coordinator"), {"mode": "session", "session_id": session.id}
        )
    assert _reload(application).state == "long_form_submitted"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2020-01-01", "starts": "10:00", "place": "IHK"}, "Vergangenheit"),
        ({"day": "gestern", "starts": "10:00", "place": "IHK"}, "gültiges Datum"),
        ({"day": "DAY", "starts": "10:00", "place": ""}, "Ort oder den Link"),
    ],
)
def test_moving_a_session_keeps_the_planning_rules(world, login, data, message):
    session = sessions.schedule(world.user("coordinator"), _at(5), "IHK", "Voten")
    data = {k: _at(6).date().isoformat() if v == "DAY" else v for k, v in data.items()}
    response = login("coordinator").post(f"/sitzungen/{session.id}/bearbeiten", data=data)
    assert response.status_code == 422 and message in text_of(response.text)
    db.session.expire_all()
    assert (session.starts_at, session.sequence) == (_at(5), 0)
    assert login("partner-dgb").post(f"/sitzungen/{session.id}/bearbeiten", data=data).status_code == 403


def test_planning_in_the_past_is_decided_by_berlins_day_everywhere(world, monkeypatch):
    from workflow.services.errors import RuleViolation

    late_evening = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # 00:30 on 4 December in Berlin
    monkeypatch.setattr(sessions, "utcnow", lambda: late_evening)
    coordinator = world.user("coordinator")
    yesterday_in_berlin = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)  # UTC's today
    with pytest.raises(RuleViolation, match="Vergangenheit"):
        sessions.schedule(coordinator, yesterday_in_berlin, "IHK", "")
    session = sessions.schedule(coordinator, datetime(2026, 12, 10, 14, tzinfo=BERLIN), "IHK", "")
    with pytest.raises(RuleViolation, match="Vergangenheit"):
        sessions.reschedule(session, coordinator, yesterday_in_berlin, "IHK", "")
    # Entered afterwards: it must have begun (a moment), whatever the day.
    with pytest.raises(RuleViolation, match="Sitzung planen"):
        sessions.enter_past(coordinator, datetime(2026, 12, 4, 0, 45, tzinfo=BERLIN), "IHK", "", "", [])
    entered = sessions.enter_past(coordinator, datetime(2026, 12, 4, 0, 15, tzinfo=BERLIN), "IHK", "", "", [])
    assert entered.entered_afterwards


def test_a_day_outside_the_procedures_calendar_is_refused_by_the_services(world):
    from workflow.services import budget
    from workflow.services.errors import RuleViolation

    coordinator = world.user("coordinator")
    with pytest.raises(RuleViolation, match="zwischen dem 01.01.2000 und dem 31.12.2099"):
        sessions.schedule(coordinator, datetime(9999, 12, 31, 23, 59, tzinfo=BERLIN), "IHK", "")
    with pytest.raises(RuleViolation, match="zwischen dem 01.01.2000"):
        sessions.enter_past(coordinator, datetime(1, 1, 1, 12, tzinfo=UTC), "IHK", "", "", [])
    with pytest.raises(RuleViolation, match="zwischen dem 01.01.2000") as refused:
        budget.save_period(world.alliance, coordinator, "Z", date(2030, 1, 1), date(9999, 12, 31), 100)
    assert refused.value.field == "ends_on"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommitteeSession)) == 0


def test_a_session_that_has_begun_cannot_be_moved_or_cancelled(world, login):
    session = sessions.schedule(world.user("coordinator"), NOW - timedelta(minutes=5), "IHK", "Voten")
    assert "verlegen" not in text_of(login("coordinator").get(f"/sitzungen/{session.id}").text)
    assert login("coordinator").get(f"/sitzungen/{session.id}/bearbeiten").status_code == 409
    response = login("coordinator").post(f"/sitzungen/{session.id}/absagen", data={"cancel-reason": "x"})
    assert response.status_code == 409 and "bereits stattgefunden" in text_of(response.text)


def test_the_feed_over_real_http_follows_a_moved_session(world, http):
    coordinator = world.user("coordinator")
    session = sessions.schedule(coordinator, _at(9), "IHK Lüneburg", "Voten")
    item = _on_session(world, session)
    partner = http("partner-dgb")
    page = partner.post_form("/kalender", {}, form_page="/kalender")
    assert page.status_code == 200
    path = re.search(r"<code>https?://[^/]+(/kalender/[^<]+\.ics)</code>", page.text).group(1)
    anonymous = http(None)
    first = anonymous.get(path)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/calendar")
    uid = f"non-session-{session.id}@antragsweg"
    before = _sessions_in(first.content)[uid]
    assert item.title in str(before["DESCRIPTION"])
    moved = http("coordinator").post_form(
        f"/sitzungen/{session.id}/bearbeiten",
        {"day": _at(16).date().isoformat(), "starts": "10:00", "place": "HWK Lüneburg", "agenda": "Voten"},
    )
    assert moved.status_code == 303, moved.text[:500]
    after = _sessions_in(anonymous.get(path).content)[uid]
    assert after.decoded("DTSTART") == _at(16, hour=10)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["LOCATION"]) == "HWK Lüneburg"


# -- 2. a session recorded afterwards -------------------------------------------------------------


def _backdate(application, days: int) -> None:
    """Pretend the vote was opened `days` days ago (the test travels in time, not the app)."""
    db.session.execute(
        sa.update(Vote)
        .where(Vote.id == application.current_vote.id)
        .values(opened_at=NOW - timedelta(days=days))
    )
    db.session.commit()
    db.session.expire_all()


def test_the_coordinator_records_a_session_that_was_not_planned_here(world, login, smtp):
    coordinator = world.user("coordinator")
    circulation = world.application("partner_vote")  # running; its 1-day reminder is due
    _backdate(circulation, 6)
    circulation.current_vote.deadline_at = NOW + timedelta(hours=10)
    db.session.commit()
    waiting = world.application("partner_vote", applicant="applicant-lwz")
    to_session.object_to_circulation(waiting, world.user("partner-dgb"), "Bitte im Gremium beraten.")
    _backdate(waiting, 6)
    too_new = world.application("partner_vote", applicant="applicant-elbtal")  # opened today
    held = _at(-2, hour=15)  # two days ago

    form = login("coordinator").get("/sitzungen/nachtragen")
    assert form.status_code == 200
    for application in (circulation, waiting, too_new):
        assert f'value="{application.id}"' in form.text
    assert login("partner-dgb").get("/sitzungen/nachtragen").status_code == 403
    data = {
        "day": held.date().isoformat(),
        "starts": "15:00",
        "place": "Kreishaus Uelzen",
        "agenda": "Voten zu zwei Langfassungen",
        "minutes": "TOP 1: beide Anträge beraten.",
    }
    # A vote opened after the day of the session cannot have been decided there: nothing is saved.
    refused = login("coordinator").post(
        "/sitzungen/nachtragen", data={**data, "application_ids": [str(circulation.id), str(too_new.id)]}
    )
    assert refused.status_code == 422 and too_new.reference in text_of(refused.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommitteeSession)) == 0
    assert _reload(circulation).current_vote.mode == "circulation"
    # The planning rule stays: a session still to come is planned, not entered afterwards.
    future = login("coordinator").post(
        "/sitzungen/nachtragen", data={**data, "day": _at(2).date().isoformat()}
    )
    assert future.status_code == 422 and "Sitzung planen" in text_of(future.text)
    smtp.messages.clear()

    response = login("coordinator").post(
        "/sitzungen/nachtragen", data={**data, "application_ids": [str(circulation.id), str(waiting.id)]}
    )
    assert response.status_code == 303
    session = db.session.scalars(sa.select(CommitteeSession)).one()
    assert (
        session.entered_afterwards and session.starts_at == held and session.created_by_id == coordinator.id
    )
    page = text_of(login("partner-dgb").get(f"/sitzungen/{session.id}").text)
    assert f"Nachgetragen am {local_datetime(session.created_at)} von {coordinator.name}" in page
    assert "TOP 1: beide Anträge beraten." in page and circulation.title in page and waiting.title in page
    entered = db.session.scalars(sa.select(Event).where(Event.kind == "session_entered")).one()
    assert entered.actor_id == coordinator.id and entered.data["items"] == sorted(
        [circulation.id, waiting.id]
    )
    # No invitation for a session that took place; the circulation is over: no deadline, no
    # reminder, nothing for `tick` to close; the history says where it went.
    assert not any("Sitzung des Lenkungskreises am" in m["Subject"] for m in smtp.messages)
    vote = _reload(circulation).current_vote
    assert (vote.mode, vote.session_id, vote.deadline_at) == ("session", session.id, None)
    assert not [
        d for d in deadlines.for_application(circulation) if d.kind is deadlines.CIRCULATION and not d.met_at
    ]
    counts = jobs.run_all()
    assert counts["vote_reminders"] == 0 and counts["vote_deadlines"] == 0
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.subject.like("Erinnerung%"))
    )
    history = text_of(login("coordinator").get(f"/antraege/{circulation.id}").text)
    assert "In einer nachgetragenen Sitzung beraten" in history
    # It has taken place: an objection elsewhere does not put a vote on it.
    other = world.application("partner_vote", applicant="applicant-bildungswerk")
    to_session.object_to_circulation(other, world.user("partner-dgb"), "Beratungsbedarf.")
    assert _reload(other).current_vote.session_id is None

    # Each item is recorded as in any session: presence and ballots, closed in the same step by
    # the usual rules (quorum, majority).
    def record(application, present: int, choices: list[str]) -> int:
        vote = _reload(application).current_vote
        data = {"close": "y"}
        for i, org in enumerate(vote.eligible_organisations()):
            data[f"p{org.id}_attendance"] = "present" if i < present else "absent"
            if i < len(choices):
                data[f"p{org.id}_choice"] = choices[i]
                data[f"p{org.id}_comment"] = "Zu teuer." if choices[i] == "reject" else ""
        url = f"/sitzungen/{session.id}/antraege/{application.id}"
        assert "Ergebnis erfassen" in login("coordinator").get(f"/sitzungen/{session.id}").text
        return login("coordinator").post(url, data=data).status_code

    assert record(circulation, 10, ["approve"] * 8 + ["reject"] * 2) == 303
    decided = _reload(circulation)
    assert decided.state == "statement_pending" and decided.current_vote.outcome == "approved"
    assert decided.current_vote.frozen_tally["approve"] == 8
    closing = db.session.scalars(
        sa.select(Event).where(Event.application_id == circulation.id, Event.trigger == "close_vote")
    ).one()
    recorded = db.session.scalars(
        sa.select(Event).where(Event.application_id == circulation.id, Event.kind == "session_record")
    ).one()
    assert recorded.id < closing.id and recorded.created_at <= closing.created_at
    assert record(waiting, 3, ["approve"] * 3) == 303  # 3 of 14: no quorum
    assert _reload(waiting).current_vote.outcome == "not_approved"
    # What was entered afterwards is on the record: every row agrees with the chained events.
    from workflow.services.integrity import verify_log

    assert verify_log()[1] is None


def test_which_votes_a_session_entered_afterwards_may_take(world):
    coordinator = world.user("coordinator")
    future = sessions.schedule(coordinator, _at(10), "IHK", "Voten")
    on_future = _on_session(world, future)
    past = sessions.schedule(coordinator, NOW - timedelta(minutes=30), "HWK", "Voten")  # held today
    on_past = _on_session(world, past)
    decided = world.application("statement_pending", applicant="applicant-lwz")
    with_quorum = world.application("partner_vote", applicant="applicant-elbtal")
    world.walker.vote(with_quorum, ["approve"] * 8)
    with_quorum.current_vote.deadline_at = NOW - timedelta(minutes=1)  # ran out with quorum
    db.session.commit()
    for application in (on_future, on_past, with_quorum):
        _backdate(application, 3)
    offered = {a.id for a in sessions.attachable_votes(world.alliance.id, _at(-1).date())}
    assert on_future.id in offered  # dealt with earlier than planned
    assert on_past.id not in offered  # recorded in its own session
    assert with_quorum.id not in offered and decided.id not in offered
    with pytest.raises(Exception, match=on_past.reference):
        sessions.enter_past(coordinator, _at(-1), "Celle", "", "", [on_past.id])
    session = sessions.enter_past(coordinator, _at(-1), "Celle", "", "", [on_future.id])
    assert _reload(on_future).current_vote.session_id == session.id


# -- 3. a vote moved to a session shows the session, not its old deadline --------------------------


def _old_deadline_shown(text: str, deadline_at: datetime) -> bool:
    return (
        f"Frist: {local_datetime(deadline_at)}" in text
        or f"Frist: {deadline_at.astimezone(BERLIN):%d.%m.%Y}" in text
    )


def test_a_vote_moved_by_an_objection_shows_its_session_everywhere(app, world, login, api):
    sessions.schedule(world.user("coordinator"), _at(12), "IHK Lüneburg", "Voten")
    application = world.application("partner_vote")
    old = application.current_vote.deadline_at
    page = text_of(login("partner-hwk").get("/start").text)
    assert _old_deadline_shown(page, old)  # while it runs, it shows
    to_session.object_to_circulation(application, world.user("partner-dgb"), "Bitte im Gremium beraten.")
    when = f"Sitzung am {local_datetime(_at(12))}"
    for key in ("coordinator", "partner-hwk", "applicant-bildungswerk"):
        text = text_of(login(key).get(f"/antraege/{application.id}").text)
        assert not _old_deadline_shown(text, old) and when in text, key
    for key in ("partner-hwk", "partner-dgb", "coordinator"):
        text = text_of(login(key).get("/start").text)
        assert not _old_deadline_shown(text, old), key
    assert when in text_of(login("partner-hwk").get("/start").text)
    body = api("coordinator").get(f"/api/v1/applications/{application.id}").get_json()
    assert not [d for d in body["deadlines"] if d["kind"] == "circulation" and d["status"] != "met"]
    vote = api("partner-hwk").get(f"/api/v1/applications/{application.id}/vote").get_json()
    assert vote["deadline_at"] is None and datetime.fromisoformat(vote["session"]["starts_at"]) == _at(12)
    feed = Calendar.from_ical(app.test_client().get(_feed_url(login("partner-hwk"))).data)
    summaries = [str(e["SUMMARY"]) for e in feed.walk("VEVENT")]
    assert summaries == ["Sitzung: Lenkungskreis"]
    [entry] = feed.walk("VEVENT")
    assert application.title in str(entry["DESCRIPTION"])
    # The vote keeps no deadline (the open_vote event does): the protocol names the session.
    assert _reload(application).current_vote.deadline_at is None


def test_a_vote_moved_for_want_of_quorum_waits_for_the_next_session_on_every_page(world, login, api):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 2)
    application.current_vote.deadline_at = NOW - timedelta(minutes=5)
    db.session.commit()
    old = application.current_vote.deadline_at
    assert jobs.run_all()["vote_deadlines"] == 1
    waiting = "wartet auf die nächste Sitzung"
    for key in ("coordinator", "partner-dgb", "applicant-bildungswerk"):
        text = text_of(login(key).get(f"/antraege/{application.id}").text)
        assert not _old_deadline_shown(text, old) and waiting in text, key
    text = text_of(login("partner-hwk").get("/start").text)
    assert application.reference in text and waiting in text and not _old_deadline_shown(text, old)
    vote = api("coordinator").get(f"/api/v1/applications/{application.id}/vote").get_json()
    assert vote["deadline_at"] is None and vote["waiting_for_session"]
    assert not _old_deadline_shown(text_of(login("coordinator").get("/start").text), old)
