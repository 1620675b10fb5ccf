"""The vote page in a real browser (issue 16, §1): axe-core and the Nu HTML Checker find nothing,
for a partner and the coordination, with a refused ballot too; no horizontal scrolling down to
320 px; a ballot cast with JavaScript disabled."""

from __future__ import annotations

from tests.browser.conftest import axe_violations, screenshot, vnu_errors
from tests.browser.test_accessibility import layout_findings, login
from workflow.extensions import db
from workflow.models import Ballot

WIDTHS = (1280, 390, 320)


def test_the_vote_page_is_accessible_and_fits_320_px(world, new_page, tmp_path):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve", "reject"])
    url = f"/antraege/{application.id}/votum"
    pages, layout = {}, []
    for key in ("partner-dgb", "coordinator"):
        page = new_page()
        login(page, world.user(key).email)
        pages[f"{key} {url}"] = page.goto(url).text()
        assert not axe_violations(page), key
        layout += layout_findings(page, f"{key} {url}", WIDTHS)
        if key == "partner-dgb":  # a reject without a reason: refused, shown on the page
            page.check("input[name='ballot-choice'][value='reject']")
            with page.expect_navigation():
                page.click("form[action$='/votum'] button[type=submit]")
            assert "Eine Ablehnung muss begründet werden." in page.content()
            pages[f"{key} {url} (refused)"] = page.content()
            assert not axe_violations(page), "refused"
            layout += layout_findings(page, f"{key} {url} (refused)", WIDTHS)
            page.set_viewport_size({"width": 320, "height": 720})
            screenshot(page, "vote-page-320")
    assert not layout, "\n".join(layout)
    errors = vnu_errors(pages, tmp_path)
    assert not errors, errors


def test_a_ballot_on_the_vote_page_without_javascript(world, site):
    application = world.application("partner_vote")
    base_url, browser = site
    context = browser.new_context(
        base_url=base_url, java_script_enabled=False, locale="de-DE", timezone_id="Europe/Berlin"
    )
    try:
        page = context.new_page()
        login(page, world.user("partner-dgb").email)
        page.goto(f"/antraege/{application.id}/votum")
        assert "noch nicht abgegeben" in page.inner_text("#ihr-votum")
        page.check("input[name='ballot-choice'][value='abstain']")
        page.check("input[name='ballot-rating_regional_relevance'][value='3']")
        with page.expect_navigation():
            page.click("form[action$='/votum'] button[type=submit]")
        assert page.url.endswith(f"/antraege/{application.id}/votum#ihr-votum")
        state = page.inner_text("#ballot-state")
        assert state.startswith("abgegeben am ") and "Sie können es bis" in state
    finally:
        context.close()
    db.session.expire_all()
    stored = db.session.query(Ballot).one()
    assert (stored.choice, stored.rating_regional_relevance) == ("abstain", 3)
