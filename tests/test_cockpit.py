"""The coordinator's cockpit and table, the partner's and the sponsor's start pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import LoggedIn, move_deadline, text_of
from workflow.extensions import db
from workflow.models import Application, ApplicationDistrict, ApplicationField, Event, Vote
from workflow.models.types import utcnow
from workflow.rules.deadlines import local_date
from workflow.services.lifecycle import fire
from workflow.views import panels


def set_deadline(application, trigger: str, days_from_today: int) -> str:
    """Pretend the deadline recorded by `trigger` falls `days_from_today` from today (Berlin)."""
    day = local_date(utcnow()) + timedelta(days=days_from_today)
    move_deadline(application, trigger, day)
    return day.isoformat()


def test_the_cockpit_ranks_overdue_and_due_soon_by_deadline(world, login):
    later = world.application("sketch_submitted")
    set_deadline(later, "submit_sketch", 2)
    first = world.application("long_form_submitted", applicant="applicant-lwz")
    set_deadline(first, "submit_long_form", -4)
    today = world.application("sketch_assessment", applicant="applicant-elbtal")
    set_deadline(today, "submit_sketch", 0)
    calm = world.application("sketch_submitted", applicant="applicant-lwz")  # 21 days: not listed
    page = login("coordinator").get("/start")
    assert page.status_code == 200
    text = text_of(page.text)
    due = text.split("Überfällig und bald fällig")[1].split("Anträge nach Status")[0]
    assert due.index(first.reference) < due.index(today.reference) < due.index(later.reference)
    assert calm.reference not in due
    assert "überfällig seit 4 Tagen" in due and "fällig heute" in due and "fällig in 2 Tagen" in due


def test_the_chart_counts_every_state_readably_without_javascript(world, login):
    world.application("sketch_submitted")
    world.application("sketch_submitted", applicant="applicant-lwz")
    world.application("granted")
    page = login("coordinator").get("/start")
    assert "<script" not in page.text and "style=" not in page.text
    text = text_of(page.text)
    assert "Projektskizze eingereicht 2" in text and "Bewilligt (Zuwendungsbescheid) 1" in text
    assert "Ersteinschätzung 0" in text
    assert '<caption class="kern-body" id="state-chart-caption">Anträge nach Status' in page.text
    assert 'aria-hidden="true"' in page.text  # the bars repeat the numbers; the table carries them


def test_panels_of_other_features_plug_into_the_cockpit(world, login):
    @panels.panel("test-budget", "dashboard/_panel.html", order=30, roles=("coordinator",))
    def _budget(user):
        return {"heading": "Budget", "items": ["Noch 1.234.567,00 € frei"], "link": None}

    try:
        assert "Noch 1.234.567,00 € frei" in login("coordinator").get("/start").text
        assert "Noch 1.234.567,00 €" not in login("partner-dgb").get("/start").text
    finally:
        panels._PANELS.pop("test-budget")


def test_the_partners_start_page_shows_votes_awaiting_them_with_deadlines(world, login):
    open_vote = world.application("partner_vote")
    closed = world.application("endorsed", applicant="applicant-lwz")
    page = text_of(login("partner-dgb").get("/start").text)
    awaiting = page.split("Abstimmungen, die auf Ihre Organisation warten")[1].split("Zuletzt")[0]
    assert open_vote.reference in awaiting and "Frist:" in awaiting and "Uhr" in awaiting
    recent = page.split("Zuletzt abgeschlossene")[1]
    assert closed.reference in recent and "Zustimmung" in recent and "Stellungnahme vom" in recent
    world.walker.vote(open_vote, ["approve"])  # the first eligible partner (IHK)
    ihk = text_of(login("partner-ihk").get("/start").text)
    assert open_vote.reference in ihk.split("Schon abgestimmt")[1]


def test_the_partners_open_lists_show_the_most_urgent_and_how_many_there_are(world, login, monkeypatch):
    """However many votes are open, the start page lists a bounded number, earliest deadline first."""
    from workflow.models import Vote
    from workflow.services import overview

    later = world.application("partner_vote")
    sooner = world.application("partner_vote", applicant="applicant-lwz")
    vote = db.session.scalar(sa.select(Vote).where(Vote.application_id == sooner.id))
    vote.deadline_at -= timedelta(days=2)
    db.session.commit()
    monkeypatch.setattr(overview, "START_LIST_LIMIT", 1)
    page = text_of(login("partner-dgb").get("/start").text)
    awaiting = page.split("Abstimmungen, die auf Ihre Organisation warten")[1].split("Zuletzt")[0]
    assert "Die 1 mit der frühesten Frist; weitere Abstimmungen warten auf Ihr Votum." in awaiting
    assert sooner.reference in awaiting and later.reference not in awaiting


def test_the_sponsors_start_page_says_what_happens_next_who_acts_by_when(world, login):
    submitted = world.application("sketch_submitted")
    revised = world.application("sketch_assessment")
    fire(revised, "request_sketch_revision", world.user("coordinator"), {"reason": "Bitte Kosten erläutern."})
    other = world.application("sketch_submitted", applicant="applicant-lwz")
    page = text_of(login("applicant-bildungswerk").get("/start").text)
    assert other.reference not in page
    row = page.split(submitted.reference)[1].split("Testprojekt")[0]
    assert "Ersteinschätzung" in row and "Netzwerkkoordination" in row and "fällig in" in row
    row = page.split(revised.reference)[1].split("Testprojekt")[0]
    assert "Überarbeitung erbeten am" in row and "Bitte Kosten erläutern." in row and "Antragsteller" in row


def test_only_the_coordinator_sees_the_table_and_exports(world, login):
    for key in ("partner-dgb", "applicant-bildungswerk", "observer-nbank"):
        assert login(key).get("/uebersicht/antraege").status_code == 403
        assert login(key).get("/uebersicht/antraege.csv").status_code == 403
    assert login("observer-nbank").get("/start").status_code == 302


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=sketch_submitted", {"A"}),
        ("foerdergegenstand=2", {"B"}),
        ("handlungsfeld=III", {"C"}),
        ("landkreis=Heidekreis", {"C"}),
        ("suche=Pflege", {"B"}),
        ("suche=L%C3%BCneburger+Weiterbildung", {"B"}),
        ("ueberfaellig=y", {"A"}),
        ("jahr=2001", set()),
    ],
)
def test_the_table_filters(world, login, query, expected):
    made = {
        "A": world.application("sketch_submitted"),
        "B": world.application("consultation", applicant="applicant-lwz", number=2),
        "C": world.application("long_form_draft", applicant="applicant-elbtal", number=3),
    }
    made["B"].title = "Pflegeprojekt"
    made["C"].fields_of_action = ["III"]
    made["C"].districts = ["Heidekreis"]
    db.session.commit()
    set_deadline(made["A"], "submit_sketch", -1)
    page = login("coordinator").get(f"/uebersicht/antraege?{query}")
    assert page.status_code == 200
    shown = {key for key, a in made.items() if a.reference in page.text}
    assert shown == expected
    if "suche=" not in query:
        assert (
            made["A"].reference
            in login("coordinator").get("/uebersicht/antraege?suche=" + made["A"].reference).text
        )


def test_search_by_reference_and_sorting_and_pagination(world, login, monkeypatch):
    from workflow.services import overview

    monkeypatch.setattr(overview, "PER_PAGE", 2)
    apps = [world.application("consultation") for _ in range(5)]
    client = login("coordinator")
    page1 = client.get("/uebersicht/antraege?sortierung=reference")
    assert "Seite 1 von 3" in text_of(page1.text)
    assert apps[0].reference in page1.text and apps[2].reference not in page1.text
    page3 = client.get("/uebersicht/antraege?sortierung=reference&seite=3")
    assert apps[4].reference in page3.text and apps[0].reference not in page3.text
    desc = client.get("/uebersicht/antraege?sortierung=reference&absteigend=y")
    assert apps[4].reference in desc.text and apps[0].reference not in desc.text
    assert 'aria-sort="descending"' in desc.text
    beyond = client.get("/uebersicht/antraege?seite=99")
    assert beyond.status_code == 200 and "Seite 3 von 3" in text_of(beyond.text)


def test_bad_filters_are_a_422_in_german(world, login):
    response = login("coordinator").get("/uebersicht/antraege?status=fliegen&jahr=abc&seite=0")
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Bitte wählen Sie einen der angebotenen Werte." in text
    assert "Bitte ein Jahr zwischen 2000 und 2100 als Zahl." in text
    assert login("coordinator").get("/uebersicht/antraege.csv?sortierung=x").status_code == 422


def _bulk_applications(world, count: int) -> None:
    """`count` applications with fields, districts and a running deadline, inserted in bulk."""
    now = datetime.now(UTC)
    sponsor = world.user("applicant-bildungswerk")
    funding = world.alliance.funding_objects[0].id
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Application.id), 0))) + 1
    states = ("sketch_submitted", "long_form_submitted", "partner_vote", "granted")
    day = local_date(now) + timedelta(days=(count % 5) - 2)
    db.session.execute(
        sa.insert(Application),
        [
            {
                "id": start + i,
                "alliance_id": world.alliance.id,
                "reference": f"NON-2026-B{start + i:06d}",
                "title": f"Massenantrag {i}",
                "summary": "",
                "applicant_organisation_id": sponsor.organisation_id,
                "funding_object_id": funding,
                "requested_grant_cents": 1000 * i,
                "total_cost_cents": 2000 * i,
                "state": states[i % 4],
                "created_at": now,
                "updated_at": now - timedelta(minutes=i),
                "version": 1,
                "next_due_on": day if i % 4 != 3 else None,
                "next_due_kind": (("assessment", "statement", "circulation", None)[i % 4]),
            }
            for i in range(count)
        ],
    )
    db.session.execute(
        sa.insert(Vote),
        [
            {
                "alliance_id": world.alliance.id,
                "application_id": start + i,
                "mode": "circulation",
                "opened_at": now,
                "deadline_at": now + timedelta(days=i % 9),
                "rules": {},
            }
            for i in range(count)
            if i % 4 == 2
        ],
    )
    db.session.execute(
        sa.insert(ApplicationField), [{"application_id": start + i, "code": "I"} for i in range(count)]
    )
    db.session.execute(
        sa.insert(ApplicationDistrict), [{"application_id": start + i, "name": "Celle"} for i in range(count)]
    )
    db.session.execute(
        sa.insert(Event),
        [
            {
                "alliance_id": world.alliance.id,
                "application_id": start + i,
                "kind": "transition",
                "trigger": "submit_sketch" if i % 4 == 0 else "submit_long_form",
                "data": {"deadline": day.isoformat(), "deadline_days": 21},
                "created_at": now,
            }
            for i in range(count)
            if i % 4 in (0, 1)
        ],
    )
    db.session.commit()


def _queries(app, client, url: str, headers: dict | None = None) -> int:
    from workflow.extensions import db as ext_db

    with app.app_context():
        engine = ext_db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers=headers or {})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return [" ".join(s.split())[:90] for s in statements]


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("coordinator", "/uebersicht/antraege"),
        (
            "coordinator",
            "/uebersicht/antraege?sortierung=deadline&ueberfaellig=y&landkreis=Celle&handlungsfeld=I",
        ),
        ("coordinator", "/uebersicht/antraege?sortierung=sponsor&absteigend=y&seite=2"),
        ("coordinator", "/uebersicht/antraege?status=granted&suche=Massen&seite=3"),
        ("coordinator", "/start"),
        ("partner-dgb", "/start"),
        ("applicant-bildungswerk", "/start"),
        ("coordinator", "/"),
        ("coordinator", "/api/v1/applications"),
        ("coordinator", "/api/v1/applications?state=partner_vote&page=2&per_page=1"),
        ("partner-dgb", "/api/v1/applications"),
    ],
)
def test_the_list_pages_need_the_same_number_of_queries_for_10_and_1000_applications(app, world, who, url):
    """Every list page (HTML and API) runs a fixed number of SQL statements, however many
    applications, votes and deadlines there are; the benchmarks (bench/load.py) time them."""
    if url.startswith("/api/"):
        from tests.conftest import ApiClient

        api = ApiClient(app, world.user(who))
        client, headers = api.client, {"Authorization": f"Bearer {api.token}"}
    else:
        client, headers = LoggedIn(app, world.user(who).email), {}
    _bulk_applications(world, 10)
    client.get(url, headers=headers)  # warm up (the session's first queries)
    small = _queries(app, client, url, headers)
    _bulk_applications(world, 990)
    large = _queries(app, client, url, headers)
    assert len(small) == len(large), (small, large)
    assert len(large) < 12, large


def test_another_alliance_sees_nothing_of_this_one(app, world, login, other_alliance):
    mine = world.application("sketch_submitted")
    weser = LoggedIn(app, "koordination@weser.example")
    for url in (
        "/start",
        "/uebersicht/antraege",
        "/uebersicht/antraege?ueberfaellig=y",
        "/uebersicht/antraege.csv",
    ):
        page = weser.get(url)
        assert page.status_code == 200, url
        body = page.get_data(as_text=True)
        assert mine.reference not in body and "Testprojekt" not in body, url
        assert (
            other_alliance.application.reference in body or url.endswith("ueberfaellig=y") or url == "/start"
        )
        ours = login("coordinator").get(url).get_data(as_text=True)
        assert other_alliance.application.reference not in ours and "Geheimprojekt" not in ours
    assert "Geheimprojekt" not in text_of(login("coordinator").get("/start").text)
    weser_start = text_of(weser.get("/start").text)
    assert "Projektskizze eingereicht 1" in weser_start
    assert "Geheimprojekt" not in login("partner-dgb").get("/start").text
    partner = LoggedIn(app, "partner@weser.example")
    assert "Testprojekt" not in partner.get("/start").text
    sponsor = LoggedIn(app, "antrag@weser.example")
    assert "Geheimprojekt Weser" in sponsor.get("/start").text
    assert mine.title not in sponsor.get("/start").text


@pytest.mark.parametrize("who", ["coordinator", "partner-dgb", "applicant-bildungswerk", "observer-nbank"])
def test_the_application_page_reads_each_kind_of_record_once(app, world, who):
    """A granted application (sketch, long form with plans, a vote of 14 ballots, statement, NBank's
    documents, a long history): every statement of its page runs once (no query per ballot, event,
    organisation or document), and there are at most 13 (the history's personal texts, held
    outside the chained events, are one of them)."""
    application = world.application("granted")
    client = LoggedIn(app, world.user(who).email)
    url = f"/antraege/{application.id}"
    client.get(url)  # warm up
    statements = _queries(app, client, url)
    assert len(set(statements)) == len(statements), statements
    assert len(statements) <= 13, statements
