"""Phones (issue 16, §5): at 390 px the header and the menu collapse into a menu button that works
without JavaScript (`<details>`), so the page's first heading is on the first screen; at 1280 px
the menu stays open as before. Measured in a real browser against gunicorn."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_accessibility import login
from workflow.extensions import db
from workflow.rules.deadlines import BERLIN
from workflow.services import sessions

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}

FIRST_HEADING_TOP = "() => document.querySelector('main h1').getBoundingClientRect().top"
SCROLLS_SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
def pages(world):
    coordinator = world.user("coordinator")
    application = world.application("partner_vote")
    session = sessions.schedule(
        coordinator,
        datetime.combine(datetime.now(BERLIN).date() + timedelta(days=14), time(10), tzinfo=BERLIN),
        "IHK Lüneburg",
        "",
    )
    db.session.commit()
    return {
        "coordinator": ("/start", f"/antraege/{application.id}", f"/sitzungen/{session.id}"),
        "partner-dgb": ("/start", f"/antraege/{application.id}/votum", f"/antraege/{application.id}"),
    }


def _visible_nav_links(page) -> list[str]:
    return page.eval_on_selector_all(
        "header a[href]",
        "els => els.filter(e => e.checkVisibility()).map(e => e.getAttribute('href'))",
    )


def test_on_a_phone_the_first_heading_is_on_the_first_screen(world, pages, new_page):
    for key, paths in pages.items():
        page = new_page()
        page.set_viewport_size(PHONE)
        login(page, world.user(key).email)
        for path in paths:
            page.goto(path)
            top = page.evaluate(FIRST_HEADING_TOP)
            print(f"{key} {path} at 390 px: first heading {top:.0f} px from the top")
            assert top < PHONE["height"] / 3, (key, path, top)
            assert not page.evaluate(SCROLLS_SIDEWAYS), (key, path)
            # Only the brand link is in the closed header; the menu is one button away.
            assert _visible_nav_links(page) == ["/"], (key, path, _visible_nav_links(page))
        screenshot(page, f"phone-{key}-closed")


def test_the_menu_button_opens_the_menu_without_javascript(world, browser, live_server):
    context = browser.new_context(
        base_url=live_server, java_script_enabled=False, viewport=PHONE, locale="de-DE"
    )
    try:
        page = context.new_page()
        login(page, world.user("partner-dgb").email)
        page.goto("/start")
        menu = page.locator("header details.site-menu")
        assert _visible_nav_links(page) == ["/"]
        menu.locator("summary").click()  # the browser's own <details>: no script runs
        links = _visible_nav_links(page)
        assert "/start" in links and "/benachrichtigungen" in links, links
        assert menu.get_by_role("button", name="Abmelden").is_visible()
        screenshot(page, "phone-menu-open")
    finally:
        context.close()


def test_with_the_keyboard_the_menu_opens_and_is_accessible(world, new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    login(page, world.user("coordinator").email)
    page.goto("/start")
    page.locator("header details.site-menu summary").focus()
    page.keyboard.press("Enter")
    assert page.locator("header details.site-menu").get_attribute("open") is not None
    assert not axe_violations(page)


def test_on_a_laptop_the_menu_is_open_and_the_button_hidden(world, new_page):
    page = new_page()
    page.set_viewport_size(LAPTOP)
    login(page, world.user("partner-dgb").email)
    page.goto("/start")
    assert page.locator("header details.site-menu").is_hidden()
    links = _visible_nav_links(page)
    assert "/start" in links and "/benachrichtigungen" in links, links
    assert page.get_by_role("button", name="Abmelden").is_visible()
