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
