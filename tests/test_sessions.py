"""Committee sessions, objections to a circulation, the deadline (`tick`), reminders, notifications,
and bad ballots through the browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Application, Ballot, Event, Notification, SessionAttendance
from workflow.services import jobs, mail, sessions
from workflow.services.errors import InvalidTransition
from workflow.services.lifecycle import fire
from workflow.votes import casting, queries, session_items, timing, to_session
from workflow.votes import jobs as vote_jobs

NOW = datetime.now(UTC)


def _session(world, days: float = 10, place: str = "IHK Lüneburg, Saal 3"):
    return sessions.schedule(world.user("coordinator"), NOW + timedelta(days=days), place, "1. Begrüßung")


def _reload(application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def test_the_coordinator_schedules_a_session_and_opens_a_vote_onto_its_agenda(world, login, smtp):
    coordinator = login("coordinator")
    day = (NOW + timedelta(days=14)).date()
    response = coordinator.post(
        "/sitzungen/neu",
        data={
            "day": day.isoformat(),
            "starts": "14:00",
            "place": "https://video.example/lk",
            "agenda": "Anträge",
        },
    )
    assert response.status_code == 303
    assert any("Sitzung (Lenkungskreis)" in m["Subject"] for m in smtp.to(world.user("partner-dgb").email))
    session_id = int(response.location.rsplit("/", 1)[1])
    application = world.application("long_form_submitted")
    form = coordinator.get(f"/antraege/{application.id}/aktion/open_vote").text
    assert f'value="{session_id}"' in form and f"{day:%d.%m.%Y}, 14:00 Uhr" in form
    response = coordinator.post(
        f"/antraege/{application.id}/aktion/open_vote", data={"mode": "session", "session_id": session_id}
    )
    assert response.status_code == 302
    vote = _reload(application).current_vote
    assert (vote.mode, vote.session_id, vote.session_date) == ("session", session_id, day)
    page = text_of(login("partner-dgb").get(f"/sitzungen/{session_id}").text)
    assert application.title in page and "https://video.example/lk" in page
    # In a session vote, partners do not vote online: the coordination records it there.
    refused = login("partner-dgb").post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "approve"}
    )
    assert refused.status_code == 409 and "in der Sitzung" in text_of(refused.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2020-01-01", "starts": "10:00", "place": "IHK"}, "Vergangenheit"),
        ({"day": "morgen", "starts": "10:00", "place": "IHK"}, "gültiges Datum"),
        (
            {"day": (NOW + timedelta(days=3)).date().isoformat(), "starts": "10:00", "place": ""},
            "Ort oder den Link",
        ),
        # WTForms' own message for a time is English only.
        (
            {"day": (NOW + timedelta(days=3)).date().isoformat(), "starts": "25:61", "place": "IHK"},
            "gültige Uhrzeit",
        ),
        ({"day": (NOW + timedelta(days=3)).date().isoformat(), "starts": "14 Uhr", "place": "IHK"}, "HH:MM"),
    ],
)
def test_bad_session_input_is_refused(world, login, data, message):
    response = login("coordinator").post("/sitzungen/neu", data=data)
    assert response.status_code == 422 and message in text_of(response.text)
    assert sessions.list_for(world.user("coordinator")) == []
    assert login("partner-dgb").get("/sitzungen/neu").status_code == 403


def test_the_coordinator_records_a_session_present_absent_and_closes(world, login):
    application = world.application("long_form_submitted")
    coordinator = world.user("coordinator")
    session = _session(world, days=2)
    fire(application, "open_vote", coordinator, {"mode": "session", "session_id": session.id})
    session.starts_at = NOW - timedelta(hours=2)  # the session has taken place
    db.session.commit()
    vote = application.current_vote
    orgs = vote.eligible_organisations()
    data = {"close": "y"}
    for i, org in enumerate(orgs):
        present = i < 10
        data[f"p{org.id}_attendance"] = "present" if present else "absent"
        if present:
            data[f"p{org.id}_choice"] = "reject" if i == 0 else "approve"
            data[f"p{org.id}_comment"] = "Kostenplan zu hoch." if i == 0 else ""
            data[f"p{org.id}_rating_feasibility"] = "2" if i == 0 else "4"
    url = f"/sitzungen/{session.id}/antraege/{application.id}"
    bad = dict(data, **{f"p{orgs[0].id}_comment": ""})
    refused = login("coordinator").post(url, data=bad)
    assert refused.status_code == 422 and "Eine Ablehnung muss begründet werden" in refused.text
    assert login("partner-dgb").get(url).status_code == 403
    assert login("coordinator").post(url, data=data).status_code == 303
    application = _reload(application)
    vote = application.current_vote
    assert application.state == "statement_pending"
    assert (
        vote.frozen_tally["approve"] == 9 and vote.frozen_tally["reject"] == 1 and vote.outcome == "approved"
    )
    assert db.session.query(SessionAttendance).filter_by(present=False).count() == len(orgs) - 10
    cast = db.session.query(Event).filter_by(application_id=application.id, kind="ballot_cast").all()
    assert all(e.data["session_id"] == session.id and e.actor_id == coordinator.id for e in cast)
    # After closing, every partner sees the full tally and the average ratings.
    page = text_of(login("partner-dgb").get(f"/antraege/{application.id}").text)
    assert "Zustimmung: 9 · Ablehnung: 1" in page and "Kostenplan zu hoch." in page
    assert "Durchschnittliche Bewertung" in page and "3,8" in page  # (2 + 9×4) / 10
    minutes = login("coordinator").post(f"/sitzungen/{session.id}/protokoll", data={"minutes": "TOP 1: …"})
    assert minutes.status_code == 303 and "TOP 1" in login("partner-dgb").get(f"/sitzungen/{session.id}").text


def test_a_session_in_the_future_cannot_be_recorded(world):
    application = world.application("long_form_submitted")
    coordinator = world.user("coordinator")
    session = _session(world, days=5)
    fire(application, "open_vote", coordinator, {"mode": "session", "session_id": session.id})
    org = application.current_vote.eligible_organisations()[0]
    with pytest.raises(Exception, match="noch nicht stattgefunden"):
        session_items.record_session_item(
            application,
            coordinator,
            session,
            [{"organisation_id": org.id, "present": True, "choice": "approve"}],
        )
    assert db.session.query(Ballot).count() == 0


def test_an_objection_turns_the_circulation_into_an_item_of_the_next_session(world, login, smtp):
    later, sooner = _session(world, days=20), _session(world, days=6, place="HWK Lüneburg")
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-ihk"), "approve")
    mail.send_pending()
    smtp.messages.clear()
    response = login("partner-dgb").post(
        f"/antraege/{application.id}/widerspruch", data={"objection-reason": "Beratungsbedarf im Gremium."}
    )
    assert response.status_code == 303
    application = _reload(application)
    vote = application.current_vote
    assert (application.state, vote.mode, vote.session_id) == ("partner_vote", "session", sooner.id)
    assert later.id != sooner.id
    assert vote.tally().approve == 1  # the ballot already cast is kept
    # Everyone concerned hears of it: the coordination, every eligible partner, the sponsor.
    for key in ("coordinator", "partner-lk-celle", "partner-ihk-deputy", "applicant-bildungswerk"):
        assert any("kommt in die Sitzung" in m["Subject"] for m in smtp.to(world.user(key).email)), key
    page = text_of(login("partner-hwk").get(f"/antraege/{application.id}").text)
    assert "Widerspruch gegen das Umlaufverfahren" in page and "Beratungsbedarf im Gremium." in page
    assert "HWK Lüneburg" in page
    again = login("partner-hwk").post(
        f"/antraege/{application.id}/widerspruch", data={"objection-reason": "Auch."}
    )
    assert again.status_code == 409


def test_objections_are_refused_without_reason_after_the_deadline_and_from_outsiders(world, login):
    application = world.application("partner_vote")
    response = login("partner-dgb").post(
        f"/antraege/{application.id}/widerspruch", data={"objection-reason": ""}
    )
    assert response.status_code == 422 and "begründen Sie Ihren Widerspruch" in text_of(response.text)
    assert (
        login("observer-nbank")
        .post(f"/antraege/{application.id}/widerspruch", data={"objection-reason": "x"})
        .status_code
        == 403
    )
    vote = application.current_vote
    vote.deadline_at = NOW - timedelta(minutes=1)
    db.session.commit()
    late = login("partner-dgb").post(
        f"/antraege/{application.id}/widerspruch", data={"objection-reason": "x"}
    )
    assert late.status_code == 409 and "Frist" in text_of(late.text)
    assert _reload(application).current_vote.mode == "circulation"


def test_an_objection_without_a_scheduled_session_waits_for_the_next_one(world):
    application = world.application("partner_vote")
    to_session.object_to_circulation(application, world.user("partner-dgb"), "Bitte im Gremium beraten.")
    assert application.current_vote.session_id is None
    assert queries.panel(application.current_vote, world.user("partner-hwk"))["waiting_for_session"]
    session = _session(world, days=9)
    assert _reload(application).current_vote.session_id == session.id


# -- the deadline -------------------------------------------------------------------------------


def _past_deadline(application):
    vote = application.current_vote
    vote.deadline_at = NOW - timedelta(minutes=5)
    db.session.commit()


def test_tick_closes_a_due_circulation_with_quorum_once(world, login, smtp):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 5 + ["reject"] * 2)  # 7 of 14: quorum
    _past_deadline(application)
    # Before `tick` ran, pages already show the vote as closed, and partners see the tally.
    page = text_of(login("partner-lk-celle").get(f"/antraege/{application.id}").text)
    assert "geschlossen: Zustimmung" in page and "Zustimmung: 5 · Ablehnung: 2" in page
    late = login("partner-lk-celle").post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "approve"}
    )
    assert late.status_code == 409 and "Frist der Abstimmung ist abgelaufen" in text_of(late.text)
    assert jobs.run_all()["vote_deadlines"] == 1
    assert jobs.run_all()["vote_deadlines"] == 0  # idempotent
    application = _reload(application)
    assert application.state == "statement_pending" and application.current_vote.outcome == "approved"
    closes = db.session.query(Event).filter_by(application_id=application.id, trigger="close_vote").all()
    assert len(closes) == 1 and closes[0].actor_id is None
    assert any("Votum geschlossen" in m["Subject"] for m in smtp.to(world.user("coordinator").email))


def test_tick_moves_a_due_circulation_without_quorum_to_the_next_session(world, login):
    session = _session(world, days=4)
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 3)
    _past_deadline(application)
    page = text_of(login("partner-dgb").get(f"/antraege/{application.id}").text)
    assert "wartet auf die nächste Sitzung" in page and "Zustimmung: 3" not in page
    assert jobs.run_all()["vote_deadlines"] == 1
    application = _reload(application)
    assert (application.state, application.current_vote.mode) == ("partner_vote", "session")
    assert application.current_vote.session_id == session.id
    moved = db.session.query(Event).filter_by(application_id=application.id, kind="moved_to_session").one()
    assert moved.data["reason"] == "no_quorum"
    assert jobs.run_all()["vote_deadlines"] == 0


def test_reminders_go_only_to_partners_that_have_not_voted_each_once(world, smtp):
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-ihk-deputy"), "approve")  # IHK has voted
    casting.cast_ballot(application, world.user("partner-dgb"), "abstain")
    vote = application.current_vote
    vote.opened_at = NOW - timedelta(days=5)
    vote.deadline_at = NOW + timedelta(days=2, hours=12)  # the 3-day reminder is due, not the 1-day
    db.session.commit()
    smtp.messages.clear()
    jobs.run_all()
    jobs.run_all()

    def reminded(key):
        return [m for m in smtp.to(world.user(key).email) if m["Subject"].startswith("Erinnerung")]

    assert len(reminded("partner-hwk")) == 1 and len(reminded("partner-lk-celle")) == 1
    assert not reminded("partner-ihk") and not reminded("partner-ihk-deputy") and not reminded("partner-dgb")
    assert not reminded("coordinator")
    assert "Uhr" in reminded("partner-hwk")[0]["Subject"]
    vote.deadline_at = NOW + timedelta(hours=12)  # now the 1-day reminder is due
    db.session.commit()
    jobs.run_all()
    jobs.run_all()
    assert len(reminded("partner-hwk")) == 2 and not reminded("partner-dgb")


def test_the_coordinator_hears_once_when_quorum_is_reached(world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 8)
    coordinator = world.user("coordinator")
    quorum = db.session.query(Notification).filter(
        Notification.user_id == coordinator.id, Notification.subject.like("Quorum erreicht%")
    )
    assert quorum.count() == 1


def test_a_deadline_on_a_holiday_is_extended_and_tick_waits_for_it(world):
    from workflow.rules import deadlines as calendar

    application = world.application("partner_vote")
    # Opened on 24.10.: seven days later is Reformationstag (31.10., a holiday in Lower Saxony).
    year = NOW.year + 1
    deadline = timing.default_circulation_deadline(application.alliance, datetime(year, 10, 24).date())
    assert deadline > datetime(year, 10, 31).date() and deadline.weekday() < 5
    application.current_vote.deadline_at = calendar.end_of_day(deadline)
    db.session.commit()
    # The night after the holiday, `tick` leaves the vote open; the night after the extended day,
    # it is due.
    after_holiday = calendar.end_of_day(datetime(year, 10, 31).date()) + timedelta(hours=1)
    assert application.id not in vote_jobs._due_circulations(after_holiday)
    after_deadline = calendar.end_of_day(deadline) + timedelta(hours=1)
    assert application.id in vote_jobs._due_circulations(after_deadline)


# -- bad ballots through the browser ------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "data", "status", "message"),
    [
        (
            "partner-dgb",
            {"ballot-choice": "approve", "ballot-rating_feasibility": "0"},
            422,
            "Keine gültige Auswahl",
        ),
        (
            "partner-dgb",
            {"ballot-choice": "approve", "ballot-rating_feasibility": "6"},
            422,
            "Keine gültige Auswahl",
        ),
        ("partner-dgb", {"ballot-choice": "reject", "ballot-comment": " "}, 422, "Ablehnung muss begründet"),
        (
            "partner-dgb",
            {"ballot-choice": "approve", "ballot-organisation_id": "IHK"},
            422,
            "Organisation des Votums ist ungültig",
        ),
        (
            "partner-dgb",
            {"ballot-choice": "approve", "ballot-organisation_id": "OTHER"},
            403,
            "eigenen Organisation",
        ),
        ("applicant-bildungswerk", {"ballot-choice": "approve"}, 403, "Nur Vertreterinnen"),
        ("coordinator", {"ballot-choice": "approve"}, 403, "Nur Vertreterinnen"),
    ],
)
def test_bad_ballots_in_the_browser_are_4xx_in_german_and_store_nothing(
    world, login, who, data, status, message
):
    application = world.application("partner_vote")
    if data.get("ballot-organisation_id") == "OTHER":
        data = dict(data, **{"ballot-organisation_id": str(world.orgs["ihk"].id)})
    response = login(who).post(f"/antraege/{application.id}/votum", data=data)
    assert response.status_code == status
    assert message in text_of(response.text)
    assert db.session.query(Ballot).count() == 0


def test_a_recused_partner_cannot_vote_and_a_double_submit_keeps_one_ballot(world, login):
    application = world.application("partner_vote")
    casting.declare_conflict(application, world.user("partner-agv"), "Beirat.")
    response = login("partner-agv").post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "approve"}
    )
    assert response.status_code == 403 and "befangen" in text_of(response.text)
    partner = login("partner-dgb")
    for _ in range(2):
        assert (
            partner.post(f"/antraege/{application.id}/votum", data={"ballot-choice": "approve"}).status_code
            == 303
        )
    assert db.session.query(Ballot).count() == 1
    # The same ballot sent again (a double click, a retry after a node died) records nothing new.
    assert db.session.query(Event).filter_by(kind="ballot_cast").count() == 1


def test_no_vote_is_closed_twice_when_the_last_ballot_and_a_close_meet(world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 13)
    fire(application, "close_vote", world.user("coordinator"))
    with pytest.raises(InvalidTransition):
        world.walker.vote(application, ["approve"] * 14)
