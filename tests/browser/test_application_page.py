"""The application page people find their way in (issue 16, §3), in a real browser against
gunicorn: a table of contents, the long sections folded with a one-line summary, the earlier
history on request; a partner reaches the vote within two screen heights at 1280 × 900."""

from __future__ import annotations

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_accessibility import login

SCREEN = {"width": 1280, "height": 900}
TOP_OF = "s => document.querySelector(s).getBoundingClientRect().top + window.scrollY"
PAGE_HEIGHT = "() => document.documentElement.scrollHeight"


def test_a_partner_reaches_the_vote_within_two_screens(world, new_page):
    application = world.application("partner_vote")
    page = new_page()
    page.set_viewport_size(SCREEN)
    login(page, world.user("partner-dgb").email)
    page.goto(f"/antraege/{application.id}")
    vote_top, height = page.evaluate(TOP_OF, "#votum"), page.evaluate(PAGE_HEIGHT)
    print(f"\npartner, open vote, 1280 × 900: vote section at {vote_top:.0f} px, page {height} px tall")
    assert vote_top < 2 * SCREEN["height"], vote_top
    # Sketch and long form are folded, each with its one-line summary.
    folds = page.locator("details.page-fold")
    assert folds.count() >= 2
    for fold in folds.all():
        assert fold.get_attribute("open") is None
    summary = page.locator("details.page-fold:has(#langfassung) > summary").inner_text()
    assert "Langfassung" in summary and "Abschnitten vollständig" in summary
    assert not axe_violations(page)
    screenshot(page, "application-page-partner")


def test_the_table_of_contents_opens_a_folded_section(world, new_page):
    application = world.application("partner_vote")
    page = new_page()
    login(page, world.user("partner-dgb").email)
    page.goto(f"/antraege/{application.id}")
    toc = page.get_by_role("navigation", name="Inhalt dieser Seite")
    assert [a.get_attribute("href") for a in toc.locator("a").all()][:1] == ["#angaben"]
    toc.get_by_role("link", name="Langfassung").click()
    assert page.locator("details.page-fold:has(#langfassung)").get_attribute("open") is not None
    assert page.locator("#long-form-heading").is_visible()
    # The summary opens it by the keyboard, too.
    sketch = page.locator("details.page-fold:has(#skizze) > summary")
    sketch.focus()
    page.keyboard.press("Enter")
    assert page.locator("#sketch-heading").is_visible()


def test_the_sponsor_works_on_the_section_of_the_current_stage_unfolded(world, new_page):
    draft = world.application("long_form_draft")
    page = new_page()
    login(page, world.user("applicant-bildungswerk").email)
    page.goto(f"/antraege/{draft.id}")
    assert page.locator("details.page-fold:has(#langfassung)").get_attribute("open") is not None
    assert page.locator("details.page-fold:has(#skizze)").get_attribute("open") is None


def test_the_history_shows_its_latest_entries_and_the_rest_on_request(world, new_page):
    application = world.application("endorsed")
    page = new_page()
    login(page, world.user("coordinator").email)
    page.goto(f"/antraege/{application.id}")
    history = page.locator("#verlauf")
    visible = [e for e in history.locator("li.timeline__entry").all() if e.is_visible()]
    assert len(visible) == 5
    earlier = history.locator("details.timeline-earlier")
    hidden = earlier.locator("li.timeline__entry")
    assert hidden.count() > 0 and not hidden.first.is_visible()
    # A link to an earlier entry (as the revision request's box has) opens the list.
    first_id = hidden.first.get_attribute("id")
    page.goto(f"/antraege/{application.id}#{first_id}")
    assert earlier.get_attribute("open") is not None and page.locator(f"#{first_id}").is_visible()
