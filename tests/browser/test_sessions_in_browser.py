"""Sessions and deadline explanations in a real browser against gunicorn (issue 19): the
coordinator enters a session that was not planned here, records its item and closes the vote in
the same step, moves a planned session, and reads why a chosen Saturday deadline moved. Each page:
a screenshot in test-artifacts/ and axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_accessibility import login
from tests.browser.test_journey import fill, submit
from workflow.extensions import db
from workflow.models import Application, Vote
from workflow.rules.deadlines import BERLIN
from workflow.services import sessions


def _check(page, name: str) -> None:
    screenshot(page, f"sessions-{name}")
    violations = axe_violations(page)
    assert not violations, (name, page.url, violations)


def test_sessions_and_deadline_explanations_in_a_real_browser(world, new_page):
    coordinator = world.user("coordinator")
    circulation = world.application("partner_vote")
    db.session.execute(
        sa.update(Vote)
        .where(Vote.id == circulation.current_vote.id)
        .values(opened_at=datetime.now(UTC) - timedelta(days=4))
    )
    today = datetime.now(BERLIN).date()
    planned = sessions.schedule(
        coordinator, datetime.combine(today + timedelta(days=20), time(14), tzinfo=BERLIN), "IHK Lüneburg", ""
    )
    long_form = world.application("long_form_submitted", applicant="applicant-lwz")
    db.session.commit()

    page = new_page()
    login(page, coordinator.email)
    # A session held two days ago, never planned here: entered afterwards with its vote.
    page.goto("/sitzungen")
    with page.expect_navigation():
        page.locator("a[href='/sitzungen/nachtragen']").click()
    held = today - timedelta(days=2)
    fill(
        page,
        {
            "day": held.isoformat(),
            "starts": "15:00",
            "place": "Kreishaus Uelzen",
            "application_ids": [str(circulation.id)],
            "minutes": "TOP 1: Langfassung beraten und abgestimmt.",
        },
    )
    _check(page, "nachtragen")
    submit(page)
    assert "nachgetragen" in page.content() and circulation.title in page.content()
    _check(page, "nachgetragen")
    with page.expect_navigation():
        page.locator(f"a[href$='/antraege/{circulation.id}']", has_text="Ergebnis erfassen").click()
    for fieldset in page.locator("fieldset.session-party").all()[:10]:
        fieldset.locator("input[value='present']").check()
        fieldset.locator("select[name$='_choice']").select_option("approve")
    _check(page, "ergebnis-erfassen")
    submit(page)
    db.session.expire_all()
    decided = db.session.get(Application, circulation.id)
    assert decided.state == "statement_pending" and decided.current_vote.outcome == "approved"

    # The planned session is moved; its page says so.
    page.goto(f"/sitzungen/{planned.id}")
    with page.expect_navigation():
        page.locator(f"a[href='/sitzungen/{planned.id}/bearbeiten']").click()
    fill(page, {"day": (today + timedelta(days=27)).isoformat(), "starts": "10:00"})
    _check(page, "verlegen")
    submit(page)
    assert "Verlegt vom" in page.content()

    # A circulation deadline typed on a Saturday moves to Monday and says why.
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    page.goto(f"/antraege/{long_form.id}/aktion/open_vote")
    assert "Nach der Geschäftsordnung 7 Kalendertage ab heute" in page.content()
    fill(page, {"mode": "circulation", "deadline": saturday.isoformat()})
    _check(page, "votum-eroeffnen")
    submit(page)
    panel = page.locator("#votum").inner_text()
    assert f"{saturday:%d.%m.%Y} ist ein Samstag" in panel and "Frist daher" in panel
    _check(page, "frist-erklaert")
