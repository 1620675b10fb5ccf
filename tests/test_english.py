"""English (issue 16, §6): the catalogue is complete (no empty or fuzzy entry, every string of the
sources in it), and the pages a partner and a coordinator read in English hold none of the
catalogue's German source strings, times without "Uhr"."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import text_of
from workflow import PROJECT_ROOT
from workflow.services import sessions

CATALOGUE = PROJECT_ROOT / "workflow" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
# A German source string shorter than this (or without a space) could be a word English shares
# ("Budget", "Name") or a piece of the demo's German data; longer ones are sentences and labels.
MIN_LENGTH = 12


def _catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def test_the_english_catalogue_has_no_empty_or_fuzzy_entry():
    catalogue = _catalogue()
    assert len(catalogue) > 600
    assert [m.id for m in catalogue if m.id and m.fuzzy] == []
    assert [m.id for m in catalogue if m.id and not _translated(m)] == []


def test_every_string_of_the_sources_is_in_the_catalogue(tmp_path):
    template = tmp_path / "messages.pot"
    babel = [str(Path(sys.executable).with_name("pybabel"))]
    subprocess.run(
        [
            *babel,
            "extract",
            "-F",
            "workflow/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "N_",
            "--no-wrap",
            "-o",
            str(template),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as file:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(file) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue() if m.id}
    missing = sorted(extracted - known)
    assert missing == [], "make translations-update, then translate:\n" + "\n".join(missing)


def _german_pieces() -> set[str]:
    """The German source strings (and the literal pieces between their placeholders) that have
    an English translation of their own."""
    pieces = set()
    for message in _catalogue():
        if not message.id:
            continue
        german = message.id if isinstance(message.id, tuple) else (message.id,)
        english = message.string if isinstance(message.string, tuple) else (message.string,)
        for source in german:
            if source in english:
                continue
            for piece in PLACEHOLDER.split(source):
                piece = piece.strip(" .,:;()–-")
                if len(piece) >= MIN_LENGTH and " " in piece:
                    pieces.add(piece)
    return pieces


@pytest.fixture
def english_pages(world, login):
    vote = world.application("partner_vote")
    endorsed = world.application("endorsed")
    coordinator = world.user("coordinator")
    from datetime import datetime, time, timedelta

    from workflow.rules.deadlines import BERLIN

    session = sessions.schedule(
        coordinator,
        datetime.combine(datetime.now(BERLIN).date() + timedelta(days=10), time(10), tzinfo=BERLIN),
        "IHK Lüneburg",
        "",
    )
    from workflow.extensions import db

    db.session.commit()
    pages = {
        "partner-dgb": ["/start", "/", f"/antraege/{vote.id}", f"/antraege/{vote.id}/votum", "/sitzungen"],
        "coordinator": [
            "/start",
            "/uebersicht/antraege",
            f"/antraege/{vote.id}",
            f"/antraege/{endorsed.id}",
            f"/sitzungen/{session.id}",
            "/kennzahlen",
        ],
    }
    rendered = {}
    for key, paths in pages.items():
        person = login(key)
        assert person.post("/sprache", data={"language": "en", "next": "/"}).status_code == 302
        for path in paths:
            response = person.get(path)
            assert response.status_code == 200, (key, path)
            rendered[f"{key} {path}"] = html.unescape(text_of(response.text))
    return rendered


def _typed_texts() -> str:
    """Everything people typed (and the demo wrote): every text column and the events' data. A
    German source string that is also a piece of the data (a consultation note that says
    „Projektskizze einreichen; …") is the data's, not an untranslated label."""
    import json

    import sqlalchemy as sa

    from workflow.extensions import db

    texts = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        for row in db.session.execute(sa.select(*columns)) if columns else ():
            texts += [json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in row if v]
    return "\n".join(texts)


def test_pages_in_english_hold_none_of_the_catalogues_german_strings(english_pages):
    typed = _typed_texts()
    pieces = {piece for piece in _german_pieces() if piece not in typed}
    assert len(pieces) > 300, len(pieces)
    found = {page: sorted(piece for piece in pieces if piece in text) for page, text in english_pages.items()}
    left = {
        page: [f"{hit} (…{_around(english_pages[page], hit)}…)" for hit in hits]
        for page, hits in found.items()
        if hits
    }
    assert left == {}, "\n".join(f"{page}: {hits}" for page, hits in left.items())


def _around(text: str, piece: str, width: int = 40) -> str:
    at = text.index(piece)
    return text[max(0, at - width) : at + len(piece) + width]


def test_times_in_english_have_no_uhr(english_pages):
    for page, text in english_pages.items():
        found = re.search(r"\d\d:\d\d Uhr", text)
        assert not found, (page, text[max(0, found.start() - 80) : found.end()] if found else "")
    assert any(re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", text) for text in english_pages.values())


# -- what the Python code says: forms, flash messages, domain errors, mails ------------------------


def _in_english(client) -> None:
    assert client.post("/sprache", data={"language": "en", "next": "/"}).status_code == 302


def test_a_forms_validation_errors_are_english(client):
    _in_english(client)
    page = html.unescape(text_of(client.post("/anmelden", data={"email": "", "password": ""}).text))
    assert "Please enter your e-mail address." in page and "Please enter your password." in page
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." not in page and "Passwort" not in page


def test_a_flash_message_is_english_and_the_language_outlives_the_sign_out(login):
    person = login("partner-dgb")
    _in_english(person)
    page = html.unescape(text_of(person.post("/abmelden", follow_redirects=True).text))
    assert "You are signed out." in page and "Sie sind abgemeldet." not in page


def test_a_domain_error_is_english_on_an_english_page_and_german_otherwise(world, login):
    application = world.application("sketch_submitted")
    person = login("applicant-bildungswerk")  # the sponsor: the coordination starts the assessment
    action = f"/antraege/{application.id}/aktion/start_assessment"
    german = html.unescape(text_of(person.get(action).text))
    assert "Sie dürfen „Ersteinschätzung beginnen“ bei diesem Antrag nicht ausführen." in german
    _in_english(person)
    response = person.get(action)
    page = html.unescape(text_of(response.text))
    assert response.status_code == 403
    assert "You may not perform “Start first assessment” on this application." in page
    assert "No permission" in page and "Sie dürfen" not in page and "Keine Berechtigung" not in page


def test_mails_go_out_in_the_language_each_recipient_chose(world, login, smtp):
    """The language travels with the person: chosen on a page, kept on the account, used when
    someone else's action (here the coordination's, outside any request) writes the mail."""
    from workflow.extensions import db
    from workflow.services import lifecycle

    chooser = world.user("applicant-bildungswerk")
    _in_english(login("applicant-bildungswerk"))
    db.session.refresh(chooser)
    assert chooser.language == "en" and world.user("applicant-lwz").language == "de"
    coordinator = world.user("coordinator")
    english = world.application("sketch_submitted")
    german = world.application("sketch_submitted", applicant="applicant-lwz")
    for application in (english, german):
        lifecycle.fire(application, "start_assessment", coordinator)
    db.session.commit()

    def last_body(user):
        mails = smtp.to(user.email)
        assert mails, user.email
        return mails[-1]["Subject"], mails[-1].get_content()

    subject, body = last_body(chooser)
    assert subject == f"{english.reference}: First assessment"
    assert body.startswith(f"Dear {chooser.name},")
    assert f"Your application “{english.title}” ({english.reference}) has the status" in body
    assert "This message was sent automatically." in body
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d\)", body) and " Uhr" not in body
    assert "Guten Tag" not in body and "Ihr Antrag" not in body

    subject, body = last_body(world.user("applicant-lwz"))
    assert body.startswith(f"Guten Tag {world.user('applicant-lwz').name},")
    assert f"Ihr Antrag „{german.title}“ ({german.reference}) hat den Status" in body
    assert re.search(r"\d\d:\d\d Uhr\)", body) and "Diese Nachricht wurde automatisch versandt." in body


def test_a_mail_to_one_person_is_in_their_language(world, ctx):
    from workflow.extensions import db
    from workflow.models.notification import OutgoingMail
    from workflow.services import sign_in_links

    partner = world.user("partner-dgb")
    partner.language = "en"
    db.session.commit()
    sign_in_links.request_link(partner.email, "127.0.0.1", None)
    mail = db.session.query(OutgoingMail).filter_by(to_address=partner.email).all()[-1]
    assert mail.subject == "Your sign-in link for Antragsweg"
    assert "The link works once, until" in mail.body and " Uhr" not in mail.body


# -- the vote, sessions, deadlines and the lifecycle's labels (issue 16, §6, the rest) --------------

TIME = r"\d\d\.\d\d\.\d{4}, \d\d:\d\d"


def test_the_vote_pages_ballot_state_is_english_on_an_english_page(world, login):
    from workflow.votes import casting

    application = world.application("partner_vote")
    english, german = login("partner-dgb"), login("partner-hwk")
    _in_english(english)
    page = html.unescape(text_of(english.get(f"/antraege/{application.id}/votum").text))
    assert "Your vote: not cast yet" in page and "noch nicht abgegeben" not in page
    assert "Circulation procedure" in page and "Umlaufverfahren" not in page
    assert "Regional relevance" in page and "Regionale Relevanz" not in page  # the ballot's criteria
    assert "In favour" in page and "Zustimmung" not in page  # its choices
    casting.cast_ballot(application, world.user("partner-dgb"), "approve")
    page = html.unescape(text_of(english.get(f"/antraege/{application.id}/votum").text))
    assert re.search(rf"cast on {TIME}, you can change it until {TIME}(?! Uhr)", page), page
    assert "abgegeben am" not in page and "Sie können es bis" not in page
    casting.cast_ballot(application, world.user("partner-hwk"), "abstain")
    page = html.unescape(text_of(german.get(f"/antraege/{application.id}/votum").text))
    assert re.search(rf"abgegeben am {TIME} Uhr, Sie können es bis {TIME} Uhr ändern", page)


def test_a_vote_mail_is_english_for_a_partner_who_chose_english_german_for_the_others(world, smtp):
    from workflow.services.lifecycle import fire
    from workflow.votes import timing

    world.user("partner-dgb").language = "en"
    application = world.application("long_form_submitted")
    fire(
        application,
        "open_vote",
        world.user("coordinator"),
        {"mode": "circulation", "deadline": timing.default_circulation_deadline(application.alliance)},
    )
    [english] = [m for m in smtp.to(world.user("partner-dgb").email) if "vote" in m["Subject"]]
    assert re.fullmatch(rf"New vote: {re.escape(application.title)} – until {TIME}", english["Subject"])
    text = english.get_body(preferencelist=("plain",)).get_content()
    assert f"The long form “{application.title}” ({application.reference})" in text
    assert "Procedure: Circulation procedure" in text and "Vote now:" in text and " Uhr" not in text
    assert "Neue Abstimmung" not in text and "Jetzt abstimmen" not in text
    [german] = [m for m in smtp.to(world.user("partner-hwk").email) if "Abstimmung" in m["Subject"]]
    assert re.fullmatch(
        rf"Neue Abstimmung: {re.escape(application.title)} – bis {TIME} Uhr", german["Subject"]
    )
    assert "Verfahren: Umlaufverfahren" in german.get_body(preferencelist=("plain",)).get_content()


def test_a_session_moved_mail_is_english_for_who_chose_english(world, smtp):
    from datetime import datetime, time, timedelta

    from workflow.rules.deadlines import BERLIN

    world.user("partner-dgb").language = "en"
    coordinator = world.user("coordinator")
    day = datetime.now(BERLIN).date() + timedelta(days=10)
    session = sessions.schedule(coordinator, datetime.combine(day, time(10), tzinfo=BERLIN), "IHK", "Voten")
    sessions.reschedule(session, coordinator, datetime.combine(day, time(12), tzinfo=BERLIN), "HWK", "Voten")
    [english] = [m for m in smtp.to(world.user("partner-dgb").email) if "moved" in m["Subject"]]
    assert re.fullmatch(rf"Session moved: now on {TIME}", english["Subject"])
    text = english.get_content().replace("\r\n", "\n")
    assert re.search(
        rf"Moved from {TIME} to {TIME}; place: HWK\. The session takes place on {TIME}: HWK\.", text
    )
    assert "Agenda:\nVoten" in text and " Uhr" not in text and "Verlegt" not in text
    [german] = [m for m in smtp.to(world.user("partner-hwk").email) if "verlegt" in m["Subject"]]
    assert re.fullmatch(rf"Sitzung verlegt: neu am {TIME} Uhr", german["Subject"])


def test_deadline_notes_descriptions_and_setting_labels_in_english(ctx):
    from datetime import date, datetime, time

    from flask_babel import force_locale

    from workflow.rules import deadlines as calendar
    from workflow.rules.deadlines import BERLIN
    from workflow.services import deadlines
    from workflow.views.settings import SETTING_LABELS

    christmas = date(2026, 12, 25)
    german = "25.12.2026 ist ein Feiertag in Niedersachsen (Erster Weihnachtstag); Frist daher 28.12.2026"
    assert calendar.shift_note(christmas) == german and str(deadlines.shift_note(christmas)) == german
    met = deadlines.Deadline(
        deadlines.STATEMENT,
        1,
        datetime(2026, 12, 1, tzinfo=BERLIN),
        date(2026, 12, 10),
        met_at=datetime.combine(date(2026, 12, 11), time(9), tzinfo=BERLIN),
    )
    due = deadlines.Deadline(deadlines.STATEMENT, 1, datetime(2026, 12, 1, tzinfo=BERLIN), date(2026, 12, 10))
    today = datetime.combine(date(2026, 12, 10), time(9), tzinfo=BERLIN)
    with force_locale("en"):
        assert str(deadlines.shift_note(christmas)) == (
            "25.12.2026 is a public holiday in Lower Saxony (Christmas Day); the deadline is therefore 28.12.2026"
        )
        assert str(deadlines.shift_note(date(2026, 12, 26))).startswith(
            "26.12.2026 is a Saturday and a public"
        )
        assert met.describe(today) == "done on 11.12.2026 (after the deadline)"
        assert due.describe(today) == "due today"
        assert str(SETTING_LABELS["statement_days"]) == "Statement deadline"
    assert (
        met.describe(today) == "erledigt am 11.12.2026 (nach Fristende)"
        and due.describe(today) == "fällig heute"
    )


def test_the_lifecycle_labels_come_through_one_filter(ctx):
    from flask import render_template_string
    from flask_babel import force_locale

    with ctx.test_request_context(), force_locale("en"):
        assert render_template_string("{{ 'partner_vote' | state_label }}") == "Vote of the alliance partners"
        assert render_template_string("{{ 'open_vote' | trigger_label }}") == "Open the vote"


def test_the_history_tells_its_entries_in_the_pages_language(world, login):
    from workflow.votes import to_session

    application = world.application("partner_vote")
    partner = world.user("partner-dgb")
    to_session.object_to_circulation(application, partner, "Bitte im Gremium beraten.")
    english, german = login("coordinator"), login("observer-nbank")
    _in_english(english)
    page = html.unescape(text_of(english.get(f"/antraege/{application.id}").text))
    assert f"Objection to the circulation procedure: {partner.organisation.name}" in page
    assert "Vote moved to the session" in page and "Circulation procedure" in page
    assert "Widerspruch gegen das Umlaufverfahren" not in page and "in die Sitzung verlegt" not in page
    page = html.unescape(text_of(german.get(f"/antraege/{application.id}").text))
    assert f"Widerspruch gegen das Umlaufverfahren: {partner.organisation.name}" in page
    assert "Abstimmung in die Sitzung verlegt" in page


def test_the_vote_pages_plans_and_documents_are_english(world, login):
    application = world.application("partner_vote")
    partner = login("partner-dgb")
    _in_english(partner)
    page = html.unescape(text_of(partner.get(f"/antraege/{application.id}/votum").text))
    assert "Personnel costs (standard unit costs)" in page and "ESF+ grant" in page
    assert "Personalausgaben" not in page and "ESF+-Zuschuss" not in page
