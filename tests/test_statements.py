"""The statement: drafted from the record, issued once as a PDF/A-3 with the decision record
embedded, stored with its hash, served from storage, corrected as a new version, verifiable."""

from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests import stored
from tests.conftest import make_pdf, text_of
from workflow.extensions import db
from workflow.models import Application, Event, Notification, Statement
from workflow.services import pdf, statements
from workflow.services.errors import RuleViolation
from workflow.services.lifecycle import fire
from workflow.votes import casting


def _closed_vote(world, choices=("approve",) * 6 + ("reject", "abstain"), attributed=True):
    """An application whose vote closed: one partner recused, some silent, ballots with comments."""
    if not attributed:
        world.alliance.rules = {**world.alliance.rules, "attributed_comments": False}
        db.session.commit()
    application = world.application("partner_vote")
    casting.declare_conflict(application, world.user("partner-agv"), "Mitglied des Projektbeirats.")
    # The DGB first approves, then changes its mind: both casts are kept, the last counts.
    casting.cast_ballot(application, world.user("partner-dgb"), "approve", "Erst dafür.", rating_feasibility=5)
    eligible = {o.id for o in application.current_vote.eligible_organisations()}
    voters = [
        p
        for p in world.walker.partners
        if p.organisation_id in eligible and p.organisation_id != world.user("partner-dgb").organisation_id
    ]
    for partner, choice in zip(voters, choices, strict=False):
        comment = "Die Zielgruppe ist gut versorgt." if choice == "reject" else None
        casting.cast_ballot(
            application, partner, choice, comment, rating_skilled_labour=4, rating_feasibility=3
        )
    casting.cast_ballot(
        application,
        world.user("partner-dgb"),
        "approve",
        "Tarifbindung im Projekt sichern.",
        rating_feasibility=2,
    )
    fire(application, "close_vote", world.user("coordinator"))
    assert application.state == "statement_pending"
    return application


ISSUE = {
    "decision": "endorse",
    "statement": "Der Lenkungskreis befürwortet das Projekt.",
    "conditions": "Halbjährlicher Bericht an den Lenkungskreis.",
    "recommendations": "Kooperation mit der Agentur für Arbeit ausbauen.",
    "requested_changes": "",
}


def _issue(login, application, data=ISSUE):
    return login("coordinator").post(f"/antraege/{application.id}/aktion/issue_statement", data=data)


def test_the_drafting_page_is_prefilled_from_the_record(world, login):
    application = _closed_vote(world)
    page = text_of(login("coordinator").get(f"/antraege/{application.id}/aktion/issue_statement").text)
    assert "Ergebnis des Votums: Zustimmung" in page
    assert "Zustimmung Ablehnung Enthaltung Abgegeben Stimmberechtigt 7 1 1 9 13" in page
    assert "Arbeitgeberverband Lüneburg-Nordostniedersachsen: Mitglied des Projektbeirats." in page
    assert "Landkreis Heidekreis" in page  # silent: did not vote
    assert "Umsetzbarkeit und Angemessenheit der Kosten 2,9 9" in page  # (5 is replaced by 2) 8×3+2 / 9
    assert "DGB Region Nord-Ost-Niedersachsen (Zustimmung): Tarifbindung im Projekt sichern." in page
    assert "Positive Stellungnahme" in page and "Negative Stellungnahme" not in page  # follows the outcome
    assert "9 von 13 stimmberechtigten Bündnispartnern haben abgestimmt" in page  # suggested reasoning
    assert "Lenkungskreis“ hat die Langfassung im Umlaufverfahren beraten" in page


def test_issuing_renders_a_pdf_a3_once_with_the_decision_record_embedded(world, login):
    application = _closed_vote(world)
    response = _issue(login, application)
    assert response.status_code == 302, text_of(response.text)[:400]
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.state == "endorsed"
    statement = db.session.scalars(sa.select(Statement)).one()
    assert (statement.version, statement.replaces_id, statement.decision) == (1, None, "endorse")
    assert statement.reference == f"{application.reference}/S1"

    download = login("applicant-bildungswerk").get(f"/antraege/{application.id}/stellungnahme/1.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    data = download.data
    import hashlib

    assert hashlib.sha256(data).hexdigest() == statement.sha256
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == statement.pages >= 1
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Allianz für Fachkräfte Nordostniedersachsen",
        "c/o IHK Lüneburg-Wolfsburg · Am Sande 1 · 21335 Lüneburg",
        statement.reference,
        "Positive Stellungnahme",
        "Halbjährlicher Bericht an den Lenkungskreis.",
        "Kooperation mit der Agentur für Arbeit ausbauen.",
        "Arbeitgeberverband Lüneburg-Nordostniedersachsen (Mitglied des Projektbeirats.)",
        "Katrin Koordinatorin",
        f"Seite 1 von {statement.pages}",
    ):
        assert expected in text, expected
    assert re.search(r"Lüneburg, \d\d\.\d\d\.\d{4}", text)

    # The embedded record is the stored one, and says what the vote said.
    assert list(reader.attachments) == [statements.RECORD_NAME]
    record = json.loads(reader.attachments[statements.RECORD_NAME][0])
    assert record == statement.record
    vote = application.current_vote
    for key in ("approve", "reject", "abstain", "eligible"):
        assert record["tally"][key] == vote.frozen_tally[key], key
    assert (record["tally"]["approve"], record["tally"]["reject"], record["tally"]["abstain"]) == (7, 1, 1)
    assert record["recusals"] == [
        {
            "organisation": "Arbeitgeberverband Lüneburg-Nordostniedersachsen",
            "reason": "Mitglied des Projektbeirats.",
        }
    ]
    assert len(record["ballots"]) == 9 and "Landkreis Heidekreis" in record["silent"]
    assert record["application"]["reference"] == application.reference
    assert record["vote"]["closed_at"] == vote.closed_at.isoformat()
    assert record["statement"]["decision"] == "endorse"

    # PDF/A-3u, as its XMP metadata says.
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part="3"', xmp) and re.search(r'pdfaid:conformance="U"', xmp)

    # The event names the statement and its hash; the sponsor is told.
    event = db.session.scalars(sa.select(Event).where(Event.trigger == "issue_statement")).one()
    assert (
        event.data["sha256"] == statement.sha256 and event.data["statement_reference"] == statement.reference
    )
    assert event.data["conditions"] == ISSUE["conditions"]
    sponsor = world.user("applicant-bildungswerk")
    assert db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == sponsor.id, Notification.subject.contains("Stellungnahme")
        )
    )
    # The application page shows the hash.
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{application.id}").text)
    assert statement.sha256 in page and "Stellungnahme herunterladen" in page


def test_downloads_come_from_storage_and_are_never_rendered_again(world, login, monkeypatch):
    application = _closed_vote(world)
    _issue(login, application)
    statement = db.session.scalars(sa.select(Statement)).one()

    def refuse(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(pdf, "render", refuse)
    first = login("coordinator").get(f"/antraege/{application.id}/stellungnahme/1.pdf").data
    second = login("partner-dgb").get(f"/antraege/{application.id}/stellungnahme/1.pdf").data
    assert first == second == stored.raw(statement.storage_key)


def test_a_changed_stored_file_is_refused_not_served(world, login):
    application = _closed_vote(world)
    _issue(login, application)
    statement = db.session.scalars(sa.select(Statement)).one()
    stored.tamper(statement.storage_key)
    response = login("applicant-bildungswerk").get(f"/antraege/{application.id}/stellungnahme/1.pdf")
    assert response.status_code == 409
    assert "Prüfwert" in text_of(response.text)


def test_issuing_twice_gets_a_409_and_changes_nothing(world, login):
    application = _closed_vote(world)
    assert _issue(login, application).status_code == 302
    second = _issue(login, application, ISSUE | {"statement": "Zweiter Tab."})
    assert second.status_code == 409
    assert "nicht möglich" in text_of(second.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.trigger == "issue_statement")
        )
        == 1
    )
    assert (
        db.session.scalars(sa.select(Statement)).one().record["statement"]["statement"] == ISSUE["statement"]
    )


def test_a_statement_against_the_outcome_is_refused_and_nothing_is_stored(world, login):
    application = _closed_vote(world)
    files_before = stored.keys()
    response = _issue(login, application, ISSUE | {"decision": "reject"})
    assert response.status_code == 422
    assert "Keine gültige Auswahl" in text_of(response.text)
    with pytest.raises(RuleViolation, match="folgen"):
        fire(application, "issue_statement", world.user("coordinator"), ISSUE | {"decision": "reject"})
    db.session.expire_all()
    assert db.session.get(Application, application.id).state == "statement_pending"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0
    assert stored.keys() == files_before


def test_a_failed_issue_leaves_no_file_behind(world, monkeypatch):
    application = _closed_vote(world)
    files_before = stored.keys()
    from workflow.services import notifications

    def broken(*args, **kwargs):
        raise RuntimeError("mail queue broken")

    monkeypatch.setattr(notifications, "state_changed", broken)
    with pytest.raises(RuntimeError):
        fire(application, "issue_statement", world.user("coordinator"), ISSUE)
    assert stored.keys() == files_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0


def test_comments_are_anonymised_when_the_rules_say_so(world, login):
    application = _closed_vote(world, attributed=False)
    page = text_of(login("coordinator").get(f"/antraege/{application.id}/aktion/issue_statement").text)
    assert "anonymisiert" in page and "DGB Region Nord-Ost-Niedersachsen (Zustimmung)" not in page
    _issue(login, application)
    statement = db.session.scalars(sa.select(Statement)).one()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(statements.stored_bytes(statement))).pages)
    assert "Tarifbindung im Projekt sichern." in text
    assert "Bündnispartner " in text and "DGB Region Nord-Ost-Niedersachsen (Zustimmung)" not in text
    assert all("comment" not in b for b in statement.record["ballots"])


def test_a_correction_is_a_new_version_naming_the_one_it_replaces(app, world, login, tmp_path):
    application = _closed_vote(world)
    _issue(login, application)
    coordinator = login("coordinator")
    form = text_of(coordinator.get(f"/antraege/{application.id}/stellungnahme/berichtigen").text)
    assert "Der Lenkungskreis befürwortet das Projekt." in form
    data = ISSUE | {"replaces_version": "1", "correction_reason": "Tippfehler in der Auflage."}
    data["conditions"] = "Vierteljährlicher Bericht an den Lenkungskreis."
    response = coordinator.post(f"/antraege/{application.id}/stellungnahme/berichtigen", data=data)
    assert response.status_code == 302, text_of(response.text)[:300]
    first, second = db.session.scalars(sa.select(Statement).order_by(Statement.version)).all()
    assert (second.version, second.replaces_id, second.decision) == (2, first.id, "endorse")
    assert second.record["statement"]["replaces"] == first.reference
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(statements.stored_bytes(second))).pages)
    assert f"Stellungnahme {first.reference}" in text and "Vierteljährlicher" in text
    # The replaced version is still there, unchanged.
    old = coordinator.get(f"/antraege/{application.id}/stellungnahme/1.pdf").data
    import hashlib

    assert hashlib.sha256(old).hexdigest() == first.sha256
    # A stale form (two tabs) is refused, and so is a version no statement has (a 5000-digit one too).
    stale = coordinator.post(f"/antraege/{application.id}/stellungnahme/berichtigen", data=data)
    assert stale.status_code == 409
    for version in ("9" * 5000, "02", " 2", "２"):
        absurd = data | {"replaces_version": version}
        response = coordinator.post(f"/antraege/{application.id}/stellungnahme/berichtigen", data=absurd)
        assert response.status_code == 409 and "schon berichtigt" in text_of(response.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 2
    # verify-statement knows both, and says that the first was corrected.
    path = tmp_path / "alt.pdf"
    path.write_bytes(old)
    result = app.test_cli_runner().invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 0 and "berichtigt" in result.output and second.reference in result.output


def test_verify_statement_tells_issued_changed_and_foreign_files_apart(app, world, login, tmp_path):
    application = _closed_vote(world)
    _issue(login, application)
    statement = db.session.scalars(sa.select(Statement)).one()
    issued = statements.stored_bytes(statement)
    runner = app.test_cli_runner()

    original = tmp_path / "stellungnahme.pdf"
    original.write_bytes(issued)
    result = runner.invoke(args=["verify-statement", str(original)])
    assert result.exit_code == 0, result.output
    assert "Echt und unverändert" in result.output and statement.reference in result.output

    changed = tmp_path / "geaendert.pdf"
    changed.write_bytes(issued.replace(b"Positive", b"Negative", 1) + b"\n%x")
    result = runner.invoke(args=["verify-statement", str(changed)])
    assert result.exit_code == 1 and "NICHT unverändert" in result.output

    foreign = tmp_path / "fremd.pdf"
    foreign.write_bytes(make_pdf(1))
    result = runner.invoke(args=["verify-statement", str(foreign)])
    assert result.exit_code == 1 and "Keine von dieser Instanz" in result.output

    result = runner.invoke(args=["verify-statement", str(tmp_path / "fehlt.pdf")])
    assert result.exit_code == 1


def test_the_vote_protocol_lists_every_ballot_with_its_history(world, login):
    application = _closed_vote(world)
    response = login("partner-ihk").get(f"/antraege/{application.id}/votum/protokoll.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    assert "Abstimmungsprotokoll" in text
    assert "Erst dafür." in text and "Tarifbindung im Projekt sichern." in text  # both casts of the DGB
    assert "Mitglied des Projektbeirats." in text
    assert login("coordinator").get(f"/antraege/{application.id}/votum/protokoll.pdf").status_code == 200
    assert (
        login("applicant-bildungswerk").get(f"/antraege/{application.id}/votum/protokoll.pdf").status_code
        == 403
    )


def test_partners_get_the_protocol_only_after_the_vote_closed(world, login):
    application = world.application("partner_vote")
    assert login("partner-ihk").get(f"/antraege/{application.id}/votum/protokoll.pdf").status_code == 403
    assert login("coordinator").get(f"/antraege/{application.id}/votum/protokoll.pdf").status_code == 200
    other = world.application("consultation")
    assert login("partner-ihk").get(f"/antraege/{other.id}/votum/protokoll.pdf").status_code == 404


def test_the_pdf_renderer_fetches_nothing_but_the_apps_assets(ctx, tmp_path):
    fetcher = pdf.AssetsOnlyFetcher()
    assert b"@page" in fetcher.fetch(pdf.ASSET_ORIGIN + "document.css").read()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.org/logo.png",
        pdf.ASSET_ORIGIN + "../../config.py",
        "data:text/css,body{}",
    ):
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the pdf")
    from weasyprint import HTML

    fetcher = pdf.AssetsOnlyFetcher()
    HTML(
        string=f'<html lang="de"><title>x</title><img src="file://{secret}"><img src="http://127.0.0.1:9/a.png">',
        base_url=pdf.ASSET_ORIGIN,
        url_fetcher=fetcher,
    ).write_pdf()
    assert fetcher.refused == [f"file://{secret}", "http://127.0.0.1:9/a.png"]
