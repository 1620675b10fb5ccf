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
        page: [f"{hit} (…{_around(english_pages[page], hit)}…)" for hit in hits] for page, hits in found.items() if hits
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
