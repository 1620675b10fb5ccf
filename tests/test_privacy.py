"""GDPR: one list of the places that hold personal data drives both the export and the erasure;
every text column of the schema is in it; after an erasure the person's name and address are
nowhere but in the retained decision records, and the event log still verifies."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import text_of
from workflow import demo
from workflow.extensions import db
from workflow.models import EventText, Organisation, User
from workflow.services import notifications, privacy
from workflow.services.integrity import verify_log
from workflow.services.lifecycle import fire
from workflow.votes import casting


def _text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.Enum):
                continue  # one of a fixed list of codes: it cannot hold a name
            if isinstance(column.type, (sa.String, sa.Text, sa.JSON)) or isinstance(
                getattr(column.type, "impl", None), (sa.String, sa.Text, sa.JSON)
            ):
                yield table.name, column.name


def test_every_text_column_is_classified_for_personal_data(ctx):
    classified = {(p.table, p.column) for p in privacy.PLACES}
    missing = [f"{t}.{c}" for t, c in _text_columns() if (t, c) not in classified]
    assert not missing, (
        "Text columns not classified in workflow/services/privacy.py PLACES (do they hold personal "
        f"data? then export and erasure must know them): {missing}"
    )
    stale = [
        p.name
        for p in privacy.PLACES
        if p.table not in db.metadata.tables or p.column and p.column not in db.metadata.tables[p.table].c
    ]
    assert not stale, stale


def _everywhere(matcher: privacy.Matcher, skip: set[str]) -> list[str]:
    """Every text column of every table that still names the person."""
    found = []
    for table_name, column_name in _text_columns():
        if f"{table_name}.{column_name}" in skip:
            continue
        table = db.metadata.tables[table_name]
        for (value,) in db.session.execute(sa.select(table.c[column_name])):
            if matcher.found_in(privacy._text_of(value) if value is not None else None):
                found.append(f"{table_name}.{column_name}: {value!r}"[:200])
    return found


def test_erasure_takes_the_person_out_of_every_place_and_the_log_still_verifies(app, world, login):
    sponsor = world.user("applicant-bildungswerk")
    sponsor.name = "Berta Beispiel"
    organisation = db.session.get(Organisation, sponsor.organisation_id)
    organisation.contact_person = "Berta Beispiel"
    organisation.address = "z. Hd. Frau Beispiel\nAm Markt 1\n21335 Lüneburg"
    db.session.commit()
    email = sponsor.email
    application = world.application("consultation")
    coordinator = world.user("coordinator")
    fire(
        application,
        "record_consultation",
        coordinator,
        {
            "consultation_date": application.created_at.date(),
            "participants": "Netzwerkkoordination; Berta Beispiel (Projektleitung)",
            "notes": f"Frau Beispiel ist unter {email} erreichbar; B. Beispiel bringt die Zahlen mit.",
            "recommendation": "Skizze einreichen.",
        },
    )
    for trigger in demo.ROUTES["partner_vote"][1:]:  # on from the consultation recorded above
        if trigger == "submit_long_form":
            demo.fill_long_form(application, sponsor)
        fire(application, trigger, *world.walker.step(trigger, sponsor))
    casting.cast_ballot(application, world.user("partner-dgb"), "reject", "Frau Beispiel sollte nachbessern.")
    notifications.notify([coordinator], "Rückruf", "Berta Beispiel bittet um Rückruf.")
    db.session.commit()
    matcher = privacy.Matcher(sponsor)

    exported = privacy.export_person(sponsor)
    listed = {p["place"] for p in exported["places"]}
    for place in (
        "organisations.contact_person",
        "organisations.address",
        "event_texts.text",
        "ballots.comment",
        "notifications.body",
    ):
        assert place in listed, (place, listed)
    assert listed <= {p.name for p in privacy.PLACES}  # the same list the erasure walks
    consultation = next(p for p in exported["places"] if p["place"] == "event_texts.text")
    assert any("Berta Beispiel (Projektleitung)" in r["value"] for r in consultation["rows"])
    assert {p["place"] for p in exported["not_shown"]} >= {"users.password_hash"}

    result = app.test_cli_runner().invoke(args=["erase-person", email, "--yes"])
    assert result.exit_code == 0, result.output
    assert "organisations.contact_person" in result.output and "event_texts.text" in result.output
    db.session.expire_all()

    retained = {p.name for p in privacy.places(privacy.RETAINED)}
    assert _everywhere(matcher, skip=retained) == []
    organisation = db.session.get(Organisation, organisation.id)
    assert organisation.contact_person == "[entfernt]"
    assert "Am Markt 1" in organisation.address and "Beispiel" not in organisation.address
    erased = db.session.get(User, sponsor.id)
    assert erased.email != email and not erased.active and erased.name.startswith("Gelöschte Person")
    # the record stays, without the name; the chain and every derived row still verify
    assert verify_log()[1] is None
    texts = [
        t.text for t in db.session.scalars(sa.select(EventText).where(EventText.redacted_at.is_not(None)))
    ]
    assert "Netzwerkkoordination; [entfernt] (Projektleitung)" in texts
    page = text_of(login("coordinator").get(f"/antraege/{application.id}").text)
    assert "Netzwerkkoordination; [entfernt] (Projektleitung)" in page and "Beispiel" not in page
    # a redacted text cannot be changed behind the app's back either
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(EventText.__table__)
            .where(EventText.text.like("Netzwerkkoordination; [entfernt]%"))
            .values(text="Netzwerkkoordination")
        )
    assert verify_log()[1] is not None


def test_the_erasure_record_is_chained_and_hides_the_old_text(world):
    sponsor = world.user("applicant-lwz")
    sponsor.name = "Carla Muster"
    db.session.commit()
    application = world.application("consultation", applicant="applicant-lwz")
    fire(
        application,
        "record_consultation",
        world.user("coordinator"),
        {"consultation_date": application.created_at.date(), "participants": "Carla Muster", "notes": "x"},
    )
    row = db.session.scalar(sa.select(EventText).where(EventText.text == "Carla Muster"))
    commitment, old_salt = row.commitment, row.salt
    privacy.erase_person(sponsor)
    row = db.session.get(EventText, row.id)
    assert (row.commitment, row.text) == (commitment, "[entfernt]") and row.salt != old_salt
    record = db.session.scalars(
        sa.select(privacy.Event).where(privacy.Event.kind == "personal_data_redacted")
    ).one()
    assert record.data["texts"] == {commitment: privacy.text_hash(row.salt, "[entfernt]")}
    assert verify_log()[1] is None
