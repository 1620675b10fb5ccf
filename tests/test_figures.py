"""The figures computed from the record (issue 17, section 2): funnel, processing times, amounts and
budget, for one alliance and across two, for a year and a funding period; the page, its rights and
its bad input; the CSV and XLSX over real HTTP; a fixed number of SQL statements.

Every application below is walked through the real operations; then its events are moved to the
days of its schedule (a Core update: only the test travels in time). Every expected figure is
worked out here from those schedules (never by asking the code under test)."""

from __future__ import annotations

import csv
import io
import math
import statistics
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import holidays
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import LoggedIn, text_of
from workflow import demo
from workflow.extensions import db
from workflow.figures import data, queries
from workflow.models import Application, Event, FundingObject, FundingPeriod, Organisation
from workflow.models.application import ApplicationDistrict, ApplicationField
from workflow.services import budget
from workflow.services.lifecycle import fire

BERLIN = ZoneInfo("Europe/Berlin")
NI_HOLIDAYS = holidays.country_holidays("DE", subdiv="NI", years=range(2024, 2028))
YEAR = 2026
# The triggers the figures read: each must be on the schedule of the application that fired it.
READ = {
    "record_consultation",
    "submit_sketch",
    "invite_long_form",
    "decline_sketch",
    "request_sketch_revision",
    "submit_long_form",
    "issue_statement",
    "pass_without_vote",
    "record_nbank_submission",
    "record_grant",
    "record_nbank_decline",
    "withdraw",
}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), BERLIN).replace(hour=hour)


def retime(application: Application, schedule: list[tuple[str, datetime]]) -> None:
    """Each scheduled trigger's event (in order) moves to its moment; the events between them (a
    vote opened, a section saved) to the moment of the scheduled one before."""
    events = db.session.execute(
        sa.select(Event.id, Event.kind, Event.trigger)
        .where(Event.application_id == application.id)
        .order_by(Event.id)
    ).all()
    pending = list(schedule)
    moment = schedule[0][1] - timedelta(hours=1)
    for event_id, kind, trigger in events:
        if kind == "transition" and pending and trigger == pending[0][0]:
            moment = pending.pop(0)[1]
        else:
            assert not (kind == "transition" and trigger in READ), (application.title, trigger, pending)
        db.session.execute(sa.update(Event).where(Event.id == event_id).values(created_at=moment))
    assert not pending, (application.title, pending)
    db.session.commit()


def working_days(start: datetime, end: date) -> int:
    """Working days in Lower Saxony after the start's day up to and including `end`, counted here
    from the holidays package itself."""
    first = start.astimezone(BERLIN).date()
    days = [first + timedelta(days=n) for n in range(1, (end - first).days + 1)]
    return sum(1 for d in days if d.weekday() < 5 and d not in NI_HOLIDAYS)


def calendar_days(start: datetime, end: date) -> int:
    return (end - start.astimezone(BERLIN).date()).days


def p90(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


GRANT = {"A": 10_000_000, "B": 20_000_000, "E": 30_000_000, "I": 40_000_000, "W": 5_000_000}
GRANTED = {"A": 9_000_000, "W": 5_000_000}
GRANTED_ON = {"A": date(2026, 5, 20), "W": date(2026, 3, 30)}

SCHEDULES = {
    # granted: assessment 10 days, statement 9 (over Easter), NBank 40
    "A": [
        ("record_consultation", at("2026-02-20")),
        ("submit_sketch", at("2026-03-02", 9)),
        ("invite_long_form", at("2026-03-12", 15)),
        ("submit_long_form", at("2026-04-01", 9)),
        ("issue_statement", at("2026-04-10", 12)),
        ("record_nbank_submission", at("2026-04-20")),
        ("record_grant", at("2026-05-22")),
    ],
    # not endorsed: statement after 21 days (beyond the deadline of 15.06.)
    "B": [
        ("record_consultation", at("2026-04-15")),
        ("submit_sketch", at("2026-05-04", 9)),
        ("invite_long_form", at("2026-05-29")),
        ("submit_long_form", at("2026-06-01", 9)),
        ("issue_statement", at("2026-06-22")),
    ],
    "C": [  # sketch declined after 2 days
        ("record_consultation", at("2026-06-10")),
        ("submit_sketch", at("2026-07-01", 9)),
        ("decline_sketch", at("2026-07-03")),
    ],
    "D": [  # invited, withdrawn while writing the long form
        ("record_consultation", at("2026-07-15")),
        ("submit_sketch", at("2026-08-03", 9)),
        ("invite_long_form", at("2026-08-10")),
        ("withdraw", at("2026-09-01")),
    ],
    "E": [  # funding object 3 needs no statement here: passed on without a vote after 4 days
        ("record_consultation", at("2026-08-20")),
        ("submit_sketch", at("2026-09-01", 9)),
        ("invite_long_form", at("2026-09-15")),
        ("submit_long_form", at("2026-10-01", 9)),
        ("pass_without_vote", at("2026-10-05")),
    ],
    "I": [  # endorsed, not yet at NBank
        ("record_consultation", at("2026-08-25")),
        ("submit_sketch", at("2026-09-07", 9)),
        ("invite_long_form", at("2026-09-28")),
        ("submit_long_form", at("2026-10-26", 9)),
        ("issue_statement", at("2026-11-02")),
    ],
    "F": [  # sketch in 2025, its assessment ends in 2026
        ("record_consultation", at("2025-12-01")),
        ("submit_sketch", at("2025-12-20", 9)),
        ("invite_long_form", at("2026-01-08")),
    ],
    "G": [("withdraw", at("2026-02-01"))],  # a consultation request withdrawn before the talk
    "H": [  # all in 2025
        ("record_consultation", at("2025-06-01")),
        ("submit_sketch", at("2025-06-10", 9)),
        ("decline_sketch", at("2025-06-20")),
    ],
    # the other alliance: granted, and its fixture's application at sketch_submitted
    "W": [
        ("record_consultation", at("2026-02-02")),
        ("submit_sketch", at("2026-02-09", 9)),
        ("invite_long_form", at("2026-02-16")),
        ("submit_long_form", at("2026-03-02", 9)),
        ("issue_statement", at("2026-03-09")),
        ("record_nbank_submission", at("2026-03-16")),
        ("record_grant", at("2026-04-01")),
    ],
    "X": [("record_consultation", at("2026-03-01")), ("submit_sketch", at("2026-03-05", 9))],
}


def _to_nbank(walker, application, sponsor, key: str) -> None:
    actor, data = walker.step("record_nbank_submission", sponsor)
    submitted = SCHEDULES[key][5][1].date()
    fire(application, "record_nbank_submission", actor, data | {"submitted_on": submitted})
    actor, data = walker.step("record_grant", sponsor)
    data |= {"granted_on": GRANTED_ON[key], "amount_granted": GRANTED[key]}
    fire(application, "record_grant", actor, data)


@pytest.fixture
def scenario(world, other_alliance):
    people, walker = world.people, world.walker
    sponsor, coordinator = people["applicant-bildungswerk"], people["coordinator"]
    third = next(fo for fo in world.alliance.funding_objects if fo.number == 3)
    db.session.execute(
        sa.update(FundingObject).where(FundingObject.id == third.id).values(needs_statement=False)
    )
    db.session.commit()
    apps = {}

    def new(key: str, number: int = 1, fields=None, districts=None) -> Application:
        application = demo.new_application(
            sponsor, f"Kennzahl {key}", number=number, grant=GRANT.get(key, 24_000_000)
        )
        if fields:
            application.fields_of_action, application.districts = fields, districts
            db.session.commit()
        apps[key] = application
        return application

    walker.walk_to(new("A"), "endorsed", sponsor)
    _to_nbank(walker, apps["A"], sponsor, "A")
    walker.walk_to(new("B", fields=["II"], districts=["Celle"]), "not_endorsed", sponsor)
    walker.walk_to(new("C"), "sketch_declined", sponsor)
    walker.walk_to(new("D"), "long_form_draft", sponsor)
    fire(apps["D"], "withdraw", sponsor, {"reason": "Der Träger hat andere Prioritäten gesetzt."})
    walker.walk_to(new("E", number=3), "long_form_submitted", sponsor)
    fire(apps["E"], "pass_without_vote", coordinator, {"note": "Weiterbildung: ohne Votum."})
    walker.walk_to(new("I"), "endorsed", sponsor)
    walker.walk_to(new("F"), "long_form_draft", sponsor)
    walker.walk_to(new("G"), "withdrawn", sponsor)
    walker.walk_to(new("H"), "sketch_declined", sponsor)
    # the other alliance
    weser_walker = demo.Walker(
        {"coordinator": other_alliance.coordinator, "partner-weser": other_alliance.partner}
    )
    w = demo.new_application(other_alliance.sponsor, "Weser bewilligt", grant=GRANT["W"])
    weser_walker.walk_to(w, "endorsed", other_alliance.sponsor)
    _to_nbank(weser_walker, w, other_alliance.sponsor, "W")
    apps["W"], apps["X"] = w, other_alliance.application
    for key, application in apps.items():
        retime(application, SCHEDULES[key])
    # the demo's period, set to the days of 2026/27 by its page's operation
    (seeded,) = budget.alliance_periods(world.alliance)
    period, _ = budget.save_period(
        world.alliance, coordinator, "2026/27", date(2026, 7, 1), date(2027, 6, 30), 100_000_000, seeded.id
    )
    weser_period, _ = budget.save_period(
        other_alliance.alliance,
        other_alliance.coordinator,
        "Weser 2026",
        date(2026, 1, 1),
        date(2026, 12, 31),
        50_000_000,
    )
    return SimpleNamespace(
        apps=apps, period=period, weser_period=weser_period, non=world.alliance, weser=other_alliance.alliance
    )


def _moment(key: str, trigger: str) -> datetime:
    return next(moment for t, moment in SCHEDULES[key] if t == trigger)


def _expected_times(keys_and_stretches) -> dict:
    calendar = [calendar_days(start, end) for start, end in keys_and_stretches]
    working = [working_days(start, end) for start, end in keys_and_stretches]
    return {
        "count": len(calendar),
        "median_days": statistics.median(calendar),
        "p90_days": p90(calendar),
        "median_working_days": statistics.median(working),
        "p90_working_days": p90(working),
    }


def _times_of(times: data.Times) -> dict:
    return {
        "count": times.count,
        "median_days": times.median_days,
        "p90_days": times.p90_days,
        "median_working_days": times.median_working_days,
        "p90_working_days": times.p90_working_days,
    }


# What reached, was declined at and withdrawn at each stage in 2026 (read off SCHEDULES above).
REACHED_2026 = {
    "consultation": "ABCDEI",
    "sketch": "ABCDEI",  # F's sketch came in 2025
    "invited": "ABDEIF",
    "long_form": "ABEI",
    "endorsed": "AEI",
    "nbank": "A",
    "granted": "A",
}
DECLINED_2026 = {"sketch": "C", "long_form": "B"}
WITHDRAWN_2026 = {"consultation": "G", "invited": "D"}


def _funnel(figures) -> dict:
    return {s.key: (s.reached, s.declined, s.withdrawn) for s in figures.funnel}


def _expected_funnel(reached, declined, withdrawn) -> dict:
    return {
        key: (len(reached.get(key, "")), len(declined.get(key, "")), len(withdrawn.get(key, "")))
        for key in REACHED_2026
    }


def test_the_figures_of_a_year_are_what_the_record_holds(scenario):
    figures = queries.figures([scenario.non.id], data.year_span(YEAR))
    assert _funnel(figures) == _expected_funnel(REACHED_2026, DECLINED_2026, WITHDRAWN_2026)

    times = {t.key: t for t in figures.times}
    # the first assessment: from the sketch to the invitation or decline, ended in 2026
    ends = {"A": "invite_long_form", "B": "invite_long_form", "C": "decline_sketch", "D": "invite_long_form"}
    ends |= {"E": "invite_long_form", "I": "invite_long_form", "F": "invite_long_form"}
    stretches = [
        (_moment(k, "submit_sketch"), _moment(k, end).astimezone(BERLIN).date()) for k, end in ends.items()
    ]
    assert _times_of(times["assessment"]) == _expected_times(stretches)
    assert times["assessment"].median_days == 14 and times["assessment"].p90_days == 25  # by hand, too
    # the statement: from the long form; within the deadline unless B (21 days, due 15.06.)
    statement = {
        "A": "issue_statement",
        "B": "issue_statement",
        "E": "pass_without_vote",
        "I": "issue_statement",
    }
    stretches = [
        (_moment(k, "submit_long_form"), _moment(k, end).astimezone(BERLIN).date())
        for k, end in statement.items()
    ]
    assert _times_of(times["statement"]) == _expected_times(stretches)
    assert times["statement"].within_promise == 3
    assert times["statement"].within_share == 75.0
    # A's statement over Easter: 9 calendar days, 5 working days (Good Friday, Easter Monday)
    a = next(d for d in times["statement"].durations if d.application_id == scenario.apps["A"].id)
    assert (a.days, a.working_days) == (9, 5)
    # NBank: from A's statement to the notice's date as recorded
    stretch = [(_moment("A", "issue_statement"), GRANTED_ON["A"])]
    assert _times_of(times["decision"]) == _expected_times(stretch)
    assert times["assessment"].within_promise is None and times["statement"].within_share is not None

    # amounts: requested = long forms of 2026 (A B E I), endorsed = A E I, granted = A
    amounts = {a.dimension: {r.key: r for r in a.rows} for a in figures.amounts}
    total = figures.amounts[0].total
    assert (total.requested_cents, total.endorsed_cents, total.granted_cents) == (
        GRANT["A"] + GRANT["B"] + GRANT["E"] + GRANT["I"],
        GRANT["A"] + GRANT["E"] + GRANT["I"],
        GRANTED["A"],
    )
    assert (total.requested_count, total.endorsed_count, total.granted_count) == (4, 3, 1)
    ai = GRANT["A"] + GRANT["E"] + GRANT["I"]
    for code in ("I", "digital"):  # A, E and I name I and digital; B names II
        row = amounts["field"][code]
        assert (row.requested_cents, row.endorsed_cents, row.granted_cents) == (ai, ai, GRANTED["A"])
    assert (amounts["field"]["II"].requested_cents, amounts["field"]["II"].endorsed_cents) == (GRANT["B"], 0)
    assert all(amounts["field"][c].requested_cents == 0 for c in ("III", "IV", "structural_change"))
    for district in ("Lüneburg", "Uelzen"):
        assert amounts["district"][district].requested_cents == ai
    assert (amounts["district"]["Celle"].requested_cents, amounts["district"]["Celle"].granted_cents) == (
        GRANT["B"],
        0,
    )
    assert amounts["district"]["Harburg"].requested_cents == 0
    first, third = amounts["funding_object"]["1"], amounts["funding_object"]["3"]
    assert (first.requested_cents, first.endorsed_cents, first.granted_cents) == (
        GRANT["A"] + GRANT["B"] + GRANT["I"],
        GRANT["A"] + GRANT["I"],
        GRANTED["A"],
    )
    assert (third.requested_cents, third.endorsed_cents, third.granted_cents) == (GRANT["E"], GRANT["E"], 0)
    assert amounts["funding_object"]["2"].requested_cents == 0

    # the budget of the period 2026/27 (overlapping the year): I's statement counts (committed);
    # A's came before the period, E was passed on without a vote and never counts
    (period,) = figures.budgets
    assert (
        period.name,
        period.total_cents,
        period.committed_cents,
        period.granted_cents,
        period.remaining_cents,
    ) == (
        "2026/27",
        100_000_000,
        GRANT["I"],
        0,
        100_000_000 - GRANT["I"],
    )


def test_another_year_a_period_and_two_alliances(scenario):
    figures_2025 = queries.figures([scenario.non.id], data.year_span(2025))
    assert _funnel(figures_2025) == _expected_funnel(
        {"consultation": "FH", "sketch": "FH"}, {"sketch": "H"}, {}
    )
    (assessment_2025, *_) = figures_2025.times
    assert (assessment_2025.count, assessment_2025.median_days) == (1, 10)  # H's; F's ended in 2026
    assert figures_2025.budgets == ()  # no period overlaps 2025

    # the period 2026/27: from 01.07.2026
    span = data.period_span(db.session.get(FundingPeriod, scenario.period.id))
    in_period = {
        key: "".join(k for k in value if _reached_at(k, key) >= at("2026-07-01", 0))
        for key, value in REACHED_2026.items()
    }
    assert in_period == {
        "consultation": "DEI",
        "sketch": "CDEI",
        "invited": "DEI",
        "long_form": "EI",
        "endorsed": "EI",
        "nbank": "",
        "granted": "",
    }
    assert _funnel(queries.figures([scenario.non.id], span)) == _expected_funnel(
        in_period, {"sketch": "C"}, {"invited": "D"}
    )

    # the other alliance alone, and both together: the sums
    weser = queries.figures([scenario.weser.id], data.year_span(YEAR))
    weser_reached = {"consultation": "WX", "sketch": "WX", "invited": "W", "long_form": "W"}
    weser_reached |= {"endorsed": "W", "nbank": "W", "granted": "W"}
    assert _funnel(weser) == _expected_funnel(weser_reached, {}, {})
    assert weser.amounts[0].total.granted_cents == GRANTED["W"]
    assert [(b.name, b.granted_cents) for b in weser.budgets] == [("Weser 2026", GRANTED["W"])]
    both = queries.figures([scenario.non.id, scenario.weser.id], data.year_span(YEAR))
    together = {k: REACHED_2026[k] + weser_reached[k] for k in REACHED_2026}
    assert _funnel(both) == _expected_funnel(together, DECLINED_2026, WITHDRAWN_2026)
    assert both.amounts[0].total.granted_cents == GRANTED["A"] + GRANTED["W"]
    decision = next(t for t in both.times if t.key == "decision")
    assert sorted(d.days for d in decision.durations) == sorted(
        [
            calendar_days(_moment("A", "issue_statement"), GRANTED_ON["A"]),
            calendar_days(_moment("W", "issue_statement"), GRANTED_ON["W"]),
        ]
    )
    assert [b.name for b in both.budgets] == ["2026/27", "Weser 2026"]


TRIGGER_OF = {
    "consultation": "record_consultation",
    "sketch": "submit_sketch",
    "invited": "invite_long_form",
    "long_form": "submit_long_form",
    "endorsed": "issue_statement",
    "nbank": "record_nbank_submission",
    "granted": "record_grant",
}


def _reached_at(key: str, stage: str) -> datetime:
    if stage == "endorsed" and key == "E":  # E was endorsed by passing it on without a vote
        return _moment(key, "pass_without_vote")
    return _moment(key, TRIGGER_OF[stage])


def _rows(page: str, title: str) -> list[str]:
    """The visible text of the table under the heading `title`."""
    text = text_of(page)
    start = text.index(title + ", ")
    return text[start : start + 400]


def test_the_page_shows_the_figures_to_the_coordination_and_observers_only(app, scenario, login):
    page = login("coordinator").get(f"/kennzahlen?jahr={YEAR}")
    assert page.status_code == 200
    funnel = _rows(page.text, "Vom Gespräch zum Bescheid")
    expected = _expected_funnel(REACHED_2026, DECLINED_2026, WITHDRAWN_2026)
    assert f"Skizzen eingereicht {' '.join(map(str, expected['sketch']))}" in funnel
    assert f"Langfassungen eingereicht {' '.join(map(str, expected['long_form']))}" in funnel
    assert (
        'role="img"' in page.text
        and '<title id="figures-funnel-svg">Erreichte Stufen: Beratungen 6;' in page.text
    )
    text = text_of(page.text)
    assert "Langfassung eingereicht bis Stellungnahme 4 8 21" in text  # count, median, p90 (days)
    assert "75,0 %" in text
    assert "Budget je Förderzeitraum" in text and "2026/27" in text
    # the period chosen: the same page for its days
    by_period = login("coordinator").get(f"/kennzahlen?zeitraum={scenario.period.id}")
    assert by_period.status_code == 200 and "01.07.2026 bis 30.06.2027" in text_of(by_period.text)
    # the navigation links it
    assert 'href="/kennzahlen"' in login("coordinator").get("/start").text

    # observers read it without the budget (they do not see the budget page either)
    observer = login("observer-nbank").get(f"/kennzahlen?jahr={YEAR}")
    assert observer.status_code == 200
    assert "Skizzen eingereicht 6 1 0" in text_of(observer.text)
    assert "Budget je Förderzeitraum" not in text_of(observer.text)
    assert login("observer-nbank").get(f"/kennzahlen.csv?jahr={YEAR}").status_code == 200
    # partners and sponsors: no
    for who in ("partner-dgb", "applicant-bildungswerk"):
        assert login(who).get("/kennzahlen").status_code == 403
        assert login(who).get("/kennzahlen.xlsx").status_code == 403
    assert app.test_client().get("/kennzahlen").status_code == 302
    # the other alliance's coordinator sees their own figures only
    weser = LoggedIn(app, "koordination@weser.example").get(f"/kennzahlen?jahr={YEAR}")
    weser_text = text_of(weser.text)
    assert "Skizzen eingereicht 2 0 0" in weser_text and "Bewilligt 1 0 0" in weser_text
    assert "2026/27" not in weser_text and "Weser 2026" in weser_text


def test_the_api_serves_the_same_figures_with_the_same_rights(scenario, api, other_alliance):
    answer = api("coordinator").get(f"/api/v1/figures?year={YEAR}")
    assert answer.status_code == 200, answer.text
    body = answer.json
    assert body["span"] == {
        "first_day": f"{YEAR}-01-01",
        "last_day": f"{YEAR}-12-31",
        "year": YEAR,
        "period_id": None,
        "name": str(YEAR),
    }
    expected = _expected_funnel(REACHED_2026, DECLINED_2026, WITHDRAWN_2026)
    assert {s["key"]: (s["reached"], s["declined"], s["withdrawn"]) for s in body["funnel"]} == expected
    times = {t["key"]: t for t in body["times"]}
    statement = {"A": "issue_statement", "B": "issue_statement", "E": "pass_without_vote", "I": "issue_statement"}
    stretches = [
        (_moment(k, "submit_long_form"), _moment(k, end).astimezone(BERLIN).date()) for k, end in statement.items()
    ]
    assert {k: times["statement"][k] for k in _expected_times(stretches)} == _expected_times(stretches)
    assert (times["statement"]["within_promise"], times["statement"]["within_promise_percent"]) == (3, 75.0)
    assert "durations" not in times["statement"]  # counted, never listed by application
    total = body["amounts"][0]["total"]
    assert (total["requested_cents"], total["endorsed_cents"], total["granted_cents"]) == (
        GRANT["A"] + GRANT["B"] + GRANT["E"] + GRANT["I"],
        GRANT["A"] + GRANT["E"] + GRANT["I"],
        GRANTED["A"],
    )
    (period,) = body["budgets"]
    assert (period["name"], period["committed_cents"]) == ("2026/27", GRANT["I"])
    by_period = api("coordinator").get(f"/api/v1/figures?period={scenario.period.id}").json
    assert by_period["span"]["period_id"] == scenario.period.id and by_period["span"]["first_day"] == "2026-07-01"

    # observers without the budget; partners and sponsors not at all; bad input in German
    observer = api("observer-nbank").get(f"/api/v1/figures?year={YEAR}")
    assert observer.status_code == 200 and observer.json["budgets"] == []
    assert observer.json["funnel"] == body["funnel"]
    for who in ("partner-dgb", "applicant-bildungswerk"):
        assert api(who).get("/api/v1/figures").status_code == 403
    assert api("coordinator").get("/api/v1/figures?year=abc").status_code == 400
    assert "2000 bis 2099" in api("coordinator").get("/api/v1/figures?year=1999").json["detail"]
    weser_period = db.session.scalars(
        sa.select(FundingPeriod).where(FundingPeriod.alliance_id == other_alliance.alliance.id)
    ).first()
    refused = api("coordinator").get(f"/api/v1/figures?period={weser_period.id}")
    assert refused.status_code == 422 and "Diesen Förderzeitraum gibt es in Ihrem Bündnis nicht." in refused.json["detail"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("jahr=abc", "Bitte geben Sie das Jahr als Zahl zwischen 2000 und 2099 an."),
        ("jahr=1999", "Bitte geben Sie das Jahr als Zahl zwischen 2000 und 2099 an."),
        ("jahr=99999999999999999999", "Bitte geben Sie das Jahr als Zahl zwischen 2000 und 2099 an."),
        ("zeitraum=abc", "Diesen Förderzeitraum gibt es in Ihrem Bündnis nicht."),
        ("zeitraum=WESER", "Diesen Förderzeitraum gibt es in Ihrem Bündnis nicht."),
    ],
)
def test_bad_choices_are_refused_in_german(world, other_alliance, login, query, message):
    weser_period, _ = budget.save_period(
        other_alliance.alliance, other_alliance.coordinator, "W", date(2026, 1, 1), date(2026, 12, 31), 1
    )
    query = query.replace("WESER", str(weser_period.id))
    for url in (f"/kennzahlen?{query}", f"/kennzahlen.csv?{query}", f"/kennzahlen.xlsx?{query}"):
        response = login("coordinator").get(url)
        assert response.status_code == 422, url
        assert message in text_of(response.text), url


def _csv_tables(body: bytes) -> dict[str, list[list[str]]]:
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    tables, current = {}, None
    for line in lines[1:]:
        if not line:
            current = None
        elif current is None:
            current = tables.setdefault(line[0], [])
        else:
            current.append(line)
    return tables


def test_csv_and_xlsx_over_http_hold_the_figures(scenario, http):
    coordinator = http("coordinator")
    response = coordinator.get(f"/kennzahlen.csv?jahr={YEAR}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "text/csv"
    assert response.headers.get("Transfer-Encoding") == "chunked"  # streamed
    assert response.headers["Content-Disposition"] == f'attachment; filename="kennzahlen-non-{YEAR}.csv"'
    tables = _csv_tables(response.content)
    expected = _expected_funnel(REACHED_2026, DECLINED_2026, WITHDRAWN_2026)
    funnel = tables["Vom Gespräch zum Bescheid"]
    assert funnel[0] == ["Stufe", "Erreicht", "Abgelehnt", "Zurückgezogen"]
    assert [row[1:] for row in funnel[1:]] == [[str(v) for v in expected[key]] for key in REACHED_2026]
    statement = next(r for r in tables["Bearbeitungszeiten"] if r[0].startswith("Langfassung"))
    assert statement[1:4] == ["4", "8", "21"] and statement[-2:] == ["3", "75,0 %"]
    fields = {row[0][:3].strip(" –"): row for row in tables["Beträge nach Handlungsfeld"][1:]}
    assert fields["II"][2] == "200.000,00 €"  # B's requested grant
    assert tables["Budget je Förderzeitraum"][1] == [
        "2026/27",
        "01.07.2026",
        "30.06.2027",
        "1.000.000,00 €",
        "400.000,00 €",
        "0,00 €",
        "600.000,00 €",
    ]

    response = coordinator.get(f"/kennzahlen.xlsx?zeitraum={scenario.period.id}")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Verlauf",
        "Bearbeitungszeiten",
        "Handlungsfelder",
        "Landkreise",
        "Fördergegenstände",
        "Budget",
    ]
    rows = list(workbook["Verlauf"].iter_rows(values_only=True))
    assert rows[2] == ("Stufe", "Erreicht", "Abgelehnt", "Zurückgezogen")
    assert [r[1] for r in rows[3:]] == [3, 4, 3, 2, 2, 0, 0]  # the period's funnel (see above)
    budget_row = list(workbook["Budget"].iter_rows(values_only=True))[3]
    assert budget_row[0] == "2026/27" and Decimal(str(budget_row[4])) == Decimal("400000")
    # the other alliance's export holds nothing of this one
    weser = http(None).login("koordination@weser.example").get(f"/kennzahlen.csv?jahr={YEAR}")
    assert "2026/27" not in weser.content.decode("utf-8-sig")


# -- a fixed number of statements ---------------------------------------------------------------------


def _bulk(world, count: int) -> int:
    """`count` applications, each of its own sponsor, with a year of events (consultation to grant,
    a third declined at the sketch, a third withdrawn), classified, in bulk."""
    now = at(f"{YEAR}-03-02")
    funding = world.alliance.funding_objects[0].id
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Application.id), 0))) + 1
    ids = range(start, start + count)
    sponsors = [
        Organisation(alliance_id=world.alliance.id, name=f"Träger {i}", kind="applicant") for i in ids
    ]
    db.session.add_all(sponsors)
    db.session.flush()
    db.session.execute(
        sa.insert(Application),
        [
            {
                "id": i,
                "alliance_id": world.alliance.id,
                "reference": f"NON-{YEAR}-K{i:06d}",
                "title": f"Massenantrag {i}",
                "summary": "",
                "applicant_organisation_id": sponsors[i - start].id,
                "funding_object_id": funding,
                "requested_grant_cents": 1000 * i,
                "total_cost_cents": 2000 * i,
                "state": "granted",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in ids
        ],
    )
    db.session.execute(sa.insert(ApplicationField), [{"application_id": i, "code": "I"} for i in ids])
    db.session.execute(sa.insert(ApplicationDistrict), [{"application_id": i, "name": "Celle"} for i in ids])
    route = [
        ("record_consultation", "sketch_draft", {}),
        ("submit_sketch", "sketch_submitted", {}),
        ("invite_long_form", "long_form_draft", {}),
        ("submit_long_form", "long_form_submitted", {}),
        ("issue_statement", "endorsed", {}),
        ("record_nbank_submission", "nbank_submitted", {}),
        ("record_grant", "granted", {"amount_granted": 500, "granted_on": f"{YEAR}-06-01"}),
    ]
    events = []
    for i in ids:
        steps = route[:2] + [("decline_sketch", "sketch_declined", {})] if i % 3 == 0 else route
        steps = route[:3] + [("withdraw", "withdrawn", {})] if i % 3 == 1 else steps
        for n, (trigger, to_state, recorded) in enumerate(steps):
            events.append(
                {
                    "alliance_id": world.alliance.id,
                    "application_id": i,
                    "kind": "transition",
                    "trigger": trigger,
                    "to_state": to_state,
                    "data": recorded,
                    "created_at": now + timedelta(days=5 * n, hours=i % 7),
                    "hash": f"{i:032d}{n:032d}",
                }
            )
    db.session.execute(sa.insert(Event), events)
    db.session.commit()
    return sum(1 for i in ids if i % 3 == 2)  # granted


def _statements(app, call) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split())[:90])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return seen


def test_the_same_number_of_statements_for_10_and_1000_applications(app, world, login):
    assert budget.alliance_periods(world.alliance)  # the demo's period: its budget is read too
    client = login("coordinator")
    url = f"/kennzahlen?jahr={YEAR}"

    def direct():
        db.session.expire_all()
        return queries.figures([world.alliance.id], data.year_span(YEAR))

    granted = _bulk(world, 10)
    client.get(url)  # warm up
    small_page, small = _statements(app, lambda: client.get(url)), _statements(app, direct)
    figures = direct()
    assert next(s for s in figures.funnel if s.key == "sketch").reached == 10
    assert next(s for s in figures.funnel if s.key == "granted").reached == granted
    granted += _bulk(world, 990)
    large_page, large = _statements(app, lambda: client.get(url)), _statements(app, direct)
    figures = direct()
    assert [(s.key, s.reached) for s in figures.funnel][1] == ("sketch", 1000)
    assert next(s for s in figures.funnel if s.key == "granted").reached == granted
    assert len(small) == len(large), (small, large)
    assert len(small_page) == len(large_page), (small_page, large_page)
    # the alliances, the events, funding objects, the applications' amounts, fields and districts,
    # the periods, and the budget's rule for the one period (its three reads, sponsors joined in)
    assert len(large) <= 11, large
    assert len(large_page) <= 25, large_page
