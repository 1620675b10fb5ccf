"""The coordinator sets the alliance's funding periods on a page (list, create, change name, days
and budget), through the same operation as `flask funding-period`; each change is an event of the
alliance; bad input is refused in German and saves nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Event, FundingPeriod
from workflow.services import budget

NEW = {
    "name": "Strategieperiode 2028–2030",
    "starts_on": "2028-01-01",
    "ends_on": "2030-12-31",
    "budget_cents": "1.500.000,00",
}


def _periods() -> list[tuple]:
    db.session.expire_all()
    return [
        (p.name, p.starts_on, p.ends_on, p.budget_cents)
        for p in db.session.scalars(sa.select(FundingPeriod).order_by(FundingPeriod.starts_on))
    ]


def _period_events() -> list[Event]:
    return list(
        db.session.scalars(sa.select(Event).where(Event.kind.like("funding_period_%")).order_by(Event.id))
    )


def test_the_coordinator_creates_a_period_and_it_is_an_event_of_the_alliance(world, login):
    coordinator = login("coordinator")
    assert "/budget/zeitraeume" in coordinator.get("/budget").text  # linked from the budget …
    assert "/budget/zeitraeume" in coordinator.get("/einstellungen").text  # … and the settings
    response = coordinator.post("/budget/zeitraeume", data=NEW)
    assert response.status_code == 303
    assert _periods()[-1] == ("Strategieperiode 2028–2030", date(2028, 1, 1), date(2030, 12, 31), 150_000_000)
    (event,) = _period_events()
    assert (event.kind, event.actor_id, event.application_id) == (
        "funding_period_created",
        world.user("coordinator").id,
        None,
    )
    assert event.data["changed"]["budget_cents"] == {"old": None, "new": 150_000_000}
    page = text_of(coordinator.get("/budget/zeitraeume").text)
    assert "Strategieperiode 2028–2030 01.01.2028 31.12.2030 1.500.000,00 €" in page
    assert "Katrin Koordinatorin: Förderzeitraum angelegt: Strategieperiode 2028–2030" in page
    settings = text_of(coordinator.get("/einstellungen").text)
    assert "Förderzeitraum angelegt: Strategieperiode 2028–2030 – erster Tag 01.01.2028" in settings
    assert "Strategieperiode 2028–2030" in coordinator.get("/budget").text  # the period selector


def test_changing_the_amount_and_days_records_what_changed(world, login):
    period = db.session.scalars(sa.select(FundingPeriod)).one()
    coordinator = login("coordinator")
    form = text_of(coordinator.get(f"/budget/zeitraeume/{period.id}").text)
    assert "Förderzeitraum ändern: Strategieperiode 2024–2027" in form
    changed = {
        "name": "Strategieperiode 2024–2027",
        "starts_on": "2024-01-01",
        "ends_on": "2028-06-30",
        "budget_cents": "2.500.000,00",
    }
    assert coordinator.post(f"/budget/zeitraeume/{period.id}", data=changed).status_code == 303
    assert _periods() == [("Strategieperiode 2024–2027", date(2024, 1, 1), date(2028, 6, 30), 250_000_000)]
    (event,) = _period_events()
    assert event.kind == "funding_period_changed"
    assert event.data["changed"] == {
        "ends_on": {"old": "2027-12-31", "new": "2028-06-30"},
        "budget_cents": {"old": 234_000_000, "new": 250_000_000},
    }
    page = text_of(coordinator.get("/budget/zeitraeume").text)
    assert "letzter Tag: 31.12.2027 → 30.06.2028; Budget: 2.340.000,00 € → 2.500.000,00 €" in page
    assert "Budget gesamt 2.500.000,00 €" in text_of(coordinator.get("/budget").text)
    # Saving it unchanged records nothing.
    assert coordinator.post(f"/budget/zeitraeume/{period.id}", data=changed).status_code == 303
    assert len(_period_events()) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ends_on": "2027-12-31"}, "Das Ende des Förderzeitraums liegt vor seinem Beginn."),
        (
            {"starts_on": "2027-07-01"},
            "Der Zeitraum überschneidet sich mit „Strategieperiode 2024–2027“ (01.01.2024 bis 31.12.2027)",
        ),
        (
            {"name": "Strategieperiode 2024–2027"},
            "Es gibt bereits einen Förderzeitraum „Strategieperiode 2024–2027“.",
        ),
        ({"name": "  "}, "Bitte geben Sie die Bezeichnung des Förderzeitraums an."),
        ({"budget_cents": "-5,00"}, "Der Betrag darf nicht negativ sein."),
        ({"budget_cents": "viel"}, "Bitte geben Sie einen Betrag in Euro ein"),
        ({"budget_cents": ""}, "Bitte geben Sie das Budget in Euro an"),
        ({"starts_on": "31.02.2028"}, "Kein gültiges Datum."),  # WTForms' German message
        ({"name": "x" * 101}, "Höchstens 100 Zeichen."),
    ],
)
def test_bad_input_is_refused_in_german_and_saves_nothing(world, login, data, message):
    before = _periods()
    response = login("coordinator").post("/budget/zeitraeume", data=NEW | data)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert _periods() == before and _period_events() == []


def test_another_alliances_period_is_not_there(world, other_alliance, login):
    foreign = FundingPeriod(
        alliance_id=other_alliance.alliance.id,
        name="Weser 2024–2027",
        starts_on=date(2024, 1, 1),
        ends_on=date(2027, 12, 31),
        budget_cents=100,
    )
    db.session.add(foreign)
    db.session.commit()
    coordinator = login("coordinator")
    assert coordinator.get(f"/budget/zeitraeume/{foreign.id}").status_code == 404
    assert coordinator.post(f"/budget/zeitraeume/{foreign.id}", data=NEW).status_code == 404
    assert "Weser 2024–2027" not in coordinator.get("/budget/zeitraeume").text
    assert budget.alliance_periods(world.alliance)[0].name == "Strategieperiode 2024–2027"


def test_the_command_is_the_same_operation(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["funding-period", *NEW.values()])
    assert result.exit_code == 0, result.output
    (event,) = _period_events()
    assert (event.kind, event.actor_id) == ("funding_period_created", None)
    overlap = runner.invoke(args=["funding-period", "Zwischenjahr", "2027-06-01", "2028-05-31", "1,00"])
    assert overlap.exit_code != 0 and "überschneidet sich mit" in overlap.output
    assert len(_periods()) == 2


def test_two_overlapping_periods_saved_at_once_are_not_both_kept(app, world):
    """On PostgreSQL, two connections: the second save waits for the first one's lock on the
    alliance and then sees its period (without the lock both passed the overlap check)."""
    from tests.concurrency import second_while_first_holds
    from workflow.models import Alliance

    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite has one writer at a time")
    alliance_id, coordinator_id = world.alliance.id, world.user("coordinator").id
    db.session.commit()

    def save(name, starts_on, ends_on):
        def call():
            alliance = db.session.get(Alliance, alliance_id)
            actor = db.session.get(type(world.user("coordinator")), coordinator_id)
            return budget.save_period(alliance, actor, name, starts_on, ends_on, 100_000_00)[0].name

        return call

    outcomes = second_while_first_holds(
        app,
        save("Periode A", date(2031, 1, 1), date(2032, 12, 31)),
        save("Periode B", date(2032, 6, 1), date(2033, 12, 31)),
    )
    assert outcomes == {"first": ("ok", "Periode A"), "second": ("refused", "RuleViolation")}, outcomes
    assert [p[0] for p in _periods() if p[1].year > 2030] == ["Periode A"]
