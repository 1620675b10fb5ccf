"""The personal iCalendar feed: secret, revocable, stored hashed, valid RFC 5545 in Europe/Berlin."""

from __future__ import annotations

import re

import sqlalchemy as sa
from icalendar import Calendar

from tests.conftest import LoggedIn
from workflow.extensions import db
from workflow.models import CalendarFeed
from workflow.services import deadlines


def _feed_url(client) -> str:
    page = client.post("/kalender")
    assert page.status_code == 200
    return re.search(r"<code>http://[^/]+(/kalender/[^<]+\.ics)</code>", page.text).group(1)


def _parse(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_the_coordinators_feed_holds_every_running_deadline_valid_and_in_berlin_time(app, world, login):
    sketch = world.application("sketch_submitted")
    vote = world.application("partner_vote", applicant="applicant-lwz")
    world.application("granted")
    url = _feed_url(login("coordinator"))
    calendar = _parse(app.test_client().get(url))  # no login: the token is the key
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Berlin"
    assert {c.name for c in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    events = calendar.walk("VEVENT")
    summaries = {str(e["SUMMARY"]) for e in events}
    assert f"Frist: Ersteinschätzung der Projektskizze – {sketch.reference}" in summaries
    assert f"Frist: Votum im Umlaufverfahren – {vote.reference}" in summaries
    assert f"Frist: Rückmeldung und Stellungnahme zur Langfassung – {vote.reference}" in summaries
    assert len(events) == 3
    [sketch_event] = [e for e in events if sketch.reference in str(e["SUMMARY"])]
    [expected] = deadlines.for_application(sketch)
    assert sketch_event.decoded("DTSTART") == expected.due_on
    assert f"/antraege/{sketch.id}" in str(sketch_event["URL"])
    for event in events:
        assert event["UID"] and event.decoded("DTSTAMP").tzinfo is not None


def test_uids_are_stable_so_clients_update_instead_of_duplicating(app, world, login):
    world.application("sketch_submitted")
    url = _feed_url(login("coordinator"))
    first = {str(e["UID"]) for e in _parse(app.test_client().get(url)).walk("VEVENT")}
    second = {str(e["UID"]) for e in _parse(app.test_client().get(url)).walk("VEVENT")}
    assert first == second and len(first) == 1


def test_each_person_gets_the_deadlines_that_concern_them(app, world, login):
    own = world.application("sketch_submitted")
    other = world.application("sketch_submitted", applicant="applicant-lwz")
    vote = world.application("partner_vote", applicant="applicant-elbtal")
    sponsor = _parse(app.test_client().get(_feed_url(login("applicant-bildungswerk"))))
    text = " ".join(str(e["SUMMARY"]) for e in sponsor.walk("VEVENT"))
    assert own.reference in text and other.reference not in text and vote.reference not in text
    partner = _parse(app.test_client().get(_feed_url(login("partner-dgb"))))
    text = " ".join(str(e["SUMMARY"]) for e in partner.walk("VEVENT"))
    assert text == f"Frist: Votum im Umlaufverfahren – {vote.reference}"


def test_the_token_is_stored_hashed_and_a_new_one_or_revoking_ends_the_old(app, world, login):
    world.application("sketch_submitted")
    client = login("coordinator")
    url = _feed_url(client)
    token = url.removeprefix("/kalender/").removesuffix(".ics")
    stored = db.session.scalars(sa.select(CalendarFeed.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    newer = _feed_url(client)
    assert app.test_client().get(url).status_code == 404
    assert app.test_client().get(newer).status_code == 200
    assert client.post("/kalender/widerrufen").status_code == 302
    assert app.test_client().get(newer).status_code == 404
    assert app.test_client().get("/kalender/erfunden.ics").status_code == 404


def test_a_deactivated_person_has_no_feed(app, world, login):
    url = _feed_url(login("partner-dgb"))
    world.user("partner-dgb").active = False
    db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_another_alliances_feed_holds_nothing_of_this_one(app, world, login, other_alliance):
    mine = world.application("sketch_submitted")
    weser = LoggedIn(app, "koordination@weser.example")
    feed = _parse(app.test_client().get(_feed_url(weser)))
    text = " ".join(str(e["SUMMARY"]) for e in feed.walk("VEVENT"))
    assert other_alliance.application.reference in text and mine.reference not in text
    ours = _parse(app.test_client().get(_feed_url(login("coordinator"))))
    assert other_alliance.application.reference not in " ".join(
        str(e["SUMMARY"]) for e in ours.walk("VEVENT")
    )
    page = weser.get("/kalender")
    assert page.status_code == 200
