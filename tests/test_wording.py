"""Wording: no typo in an issued statement's metadata, articles that fit the noun after them, and
plural forms through Babel's ngettext wherever a count is followed by a noun (one and many)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests.conftest import text_of
from tests.test_deadlines import berlin_noon
from tests.test_statements import _closed_vote, _issue
from workflow import formatting
from workflow.extensions import db
from workflow.models import FundingPeriod, Statement
from workflow.rules.deadlines import BERLIN
from workflow.services import statements
from workflow.services.deadlines import STATEMENT, Deadline
from workflow.views.statements import _suggested_reasoning

GRANT = 24_000_000  # demo.new_application's requested grant


def test_the_statement_pdf_names_its_committee_without_a_typo(world, login):
    application = _closed_vote(world)
    assert _issue(login, application).status_code == 302
    statement = db.session.scalars(sa.select(Statement)).one()
    metadata = PdfReader(io.BytesIO(statements.stored_bytes(statement))).metadata
    assert metadata.subject == (
        f"Stellungnahme zu {application.reference} – Lenkungskreis, Allianz für Fachkräfte Nordostniedersachsen"
    )
    assert not [value for value in metadata.values() if "Lenkungskreiss" in str(value)]


def test_the_budget_warning_names_the_funding_period_with_a_fitting_article(world, login):
    db.session.scalars(sa.select(FundingPeriod)).one().budget_cents = GRANT - 1
    db.session.commit()
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 14)
    page = text_of(login("coordinator").get(f"/antraege/{application.id}/aktion/issue_statement").text)
    assert "verbleibend im Förderzeitraum „Strategieperiode 2024–2027“: 239.999,99 €" in page
    assert "im Strategieperiode" not in page


@pytest.mark.parametrize(
    ("mode", "counts", "expected"),
    [
        (
            "session",
            (1, 0, 0, 1),
            "Das Gremium „Steuerungsgruppe“ hat die Langfassung in einer Sitzung beraten. "
            "1 von 3 stimmberechtigten Bündnispartnern hat abgestimmt: "
            "1 Zustimmung, 0 Ablehnungen, 0 Enthaltungen. Ergebnis: Zustimmung.",
        ),
        (
            "circulation",
            (5, 1, 2, 8),
            "Das Gremium „Steuerungsgruppe“ hat die Langfassung im Umlaufverfahren beraten. "
            "8 von 3 stimmberechtigten Bündnispartnern haben abgestimmt: "
            "5 Zustimmungen, 1 Ablehnung, 2 Enthaltungen. Ergebnis: Zustimmung.",
        ),
    ],
)
def test_the_suggested_reasoning_fits_any_committee_mode_and_count(ctx, mode, counts, expected):
    approve, reject, abstain, cast = counts
    tally = {"approve": approve, "reject": reject, "abstain": abstain, "cast": cast, "eligible": 3}
    vote = {"mode": mode, "tally": tally, "outcome_label": "Zustimmung"}
    assert _suggested_reasoning(vote, "Steuerungsgruppe") == expected


def test_the_choice_counts_are_singular_and_plural(ctx):
    assert formatting.tally_summary({"approve": 1, "reject": 0, "abstain": 2, "eligible": 14}) == (
        "1 Zustimmung, 0 Ablehnungen, 2 Enthaltungen von 14 Stimmberechtigten"
    )
    assert formatting.choice_counts({"approve": 7, "reject": 1, "abstain": 1}) == (
        "7 Zustimmungen, 1 Ablehnung, 1 Enthaltung"
    )


def test_the_budget_counts_one_project_and_two_projects(world, login):
    world.application("endorsed")
    assert re.search(r": 1 Projekt\b(?!e)", text_of(login("coordinator").get("/budget").text))
    world.application("endorsed")
    assert ": 2 Projekte" in text_of(login("coordinator").get("/budget").text)


def test_the_table_finds_one_application_and_two_applications(world, login):
    world.application("consultation")
    assert "1 Antrag gefunden" in text_of(login("coordinator").get("/uebersicht/antraege").text)
    world.application("consultation")
    assert "2 Anträge gefunden" in text_of(login("coordinator").get("/uebersicht/antraege").text)


def test_a_partner_reads_one_day_left_and_two_days_left(world, login):
    application = world.application("partner_vote")
    vote = application.current_vote
    today = datetime.now(BERLIN).date()
    for days, expected in ((1, "noch 1 Tag)"), (2, "noch 2 Tage)")):
        # the test moves the deadline; the app only ever computes it
        vote.deadline_at = datetime.combine(today + timedelta(days=days), time(12), BERLIN)
        db.session.commit()
        assert expected in text_of(login("partner-dgb").get("/start").text)


def test_a_deadline_is_due_in_one_day_or_overdue_since_one_day():
    d = Deadline(STATEMENT, 1, berlin_noon(date(2026, 3, 16)), date(2026, 3, 30))
    assert d.describe(berlin_noon(date(2026, 3, 29))) == "fällig in 1 Tag"
    assert d.describe(berlin_noon(date(2026, 3, 31))) == "überfällig seit 1 Tag"
    assert d.describe(berlin_noon(date(2026, 3, 28))) == "fällig in 2 Tagen"


def test_the_login_throttle_waits_one_minute_or_several(app, world, client):
    from workflow.services import security

    for minutes, expected in ((1, "Bitte warten Sie 1 Minute und"), (15, "Bitte warten Sie 15 Minuten und")):
        app.config["LOGIN_THROTTLE_MINUTES"] = minutes
        try:
            for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
                security.record_failure(world.user("partner-dgb").email, "192.0.2.1")
            with pytest.raises(security.TooManyAttempts) as refused:
                security.check_throttle(world.user("partner-dgb").email, "192.0.2.1")
            assert expected in str(refused.value)
        finally:
            app.config["LOGIN_THROTTLE_MINUTES"] = 15


# -- whole sentences to translate ------------------------------------------------------------------

SENTENCE_TEMPLATES = ("applications/act.html", "applications/_next.html")


def _messages(template: str) -> list[tuple[str, ...]]:
    """The messages of a template as `make translations-update` extracts them (Babel's Jinja
    extractor): each a tuple of its forms (one, or singular and plural)."""
    from babel.messages.extract import extract_from_file

    from workflow import PROJECT_ROOT

    path = PROJECT_ROOT / "templates" / template
    found = extract_from_file("jinja2", str(path), options={"silent": "false"})
    return [m if isinstance(m, tuple) else (m,) for _, m, _, _ in found]


@pytest.mark.parametrize("template", SENTENCE_TEMPLATES)
def test_the_deadline_sentences_are_one_message_each_with_placeholders(template):
    """A translator gets whole sentences: no message is a piece of one (joined with `~` or set
    side by side), and none is glued to another in the template."""
    messages = [form for message in _messages(template) for form in message]
    pieces = ("überschritten", "fällt der Tag", "Ein Tag am Wochenende")
    for message in messages:
        if any(piece in message for piece in pieces) or "Kalendertag" in message:
            assert "%(" in message and message.rstrip().endswith((".", ")", "%(due)s")), message
    assert "überschritten" not in messages and not any(m.startswith(("fällt", "Ein Tag")) for m in messages)
    from workflow import PROJECT_ROOT

    source = (PROJECT_ROOT / "templates" / template).read_text()
    assert not re.search(r"\)\s*~|~\s*(_|ngettext)\(", source), "a sentence joined from pieces"
