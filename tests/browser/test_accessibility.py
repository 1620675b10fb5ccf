"""Every page each role reaches passes axe-core (WCAG 2.1 A/AA) and the Nu HTML Checker, and a vote
can be cast with the keyboard alone."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import axe_violations, screenshot, vnu_errors
from workflow import demo
from workflow.lifecycle import STATE_NAMES
from workflow.services.lifecycle import fire

ROLES = ["coordinator", "partner-dgb", "observer-nbank", "applicant-bildungswerk"]
MAX_PAGES_PER_ROLE = 40
PER_PATTERN = 2  # /antraege/7 and /antraege/8 are the same page with other data: two suffice
SKIP = re.compile(r"^/(abmelden|assets/|static/|sprache)|\.(pdf|csv|xlsx|ics|json)$|/download|/datei")


def login(page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto("/anmelden")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def crawl(page, base: str) -> dict[str, str]:
    """Visit every page reachable by links from the start page (GET only), return their HTML."""
    seen: dict[str, str] = {}
    patterns: dict[str, int] = {}
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        pattern = re.sub(r"\d+", "N", path)
        if path in seen or SKIP.search(urlsplit(path).path) or patterns.get(pattern, 0) >= PER_PATTERN:
            continue
        patterns[pattern] = patterns.get(pattern, 0) + 1
        try:
            response = page.goto(path)
        except PlaywrightError as error:  # a link to a file download (documents, exports)
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen[path] = response.text()
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urlsplit(urljoin(base + path, href))
            if target.netloc == urlsplit(base).netloc and target.path not in seen:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
        violations = axe_violations(page)
        assert not violations, (path, violations)
    return seen


@pytest.fixture
def every_state(world):
    for state in STATE_NAMES:
        world.application(state)
    # A long form sent back: its request stands in the status box (and its long form was carried).
    world.revised = world.application("long_form_submitted")
    fire(world.revised, "request_long_form_revision", world.user("coordinator"), {"deficiencies": "Fehlt."})
    return world


def test_every_page_of_every_role_is_accessible_and_valid(every_state, new_page, live_server, tmp_path):
    pages: dict[str, str] = {}
    anonymous = new_page()
    for path in ("/anmelden", "/barrierefreiheit", "/antraege/999999"):
        response = anonymous.goto(path)
        pages[f"anonymous {path}"] = response.text()
        assert not axe_violations(anonymous), path
    for key in ROLES:
        page = new_page()
        login(page, every_state.user(key).email)
        visited = crawl(page, live_server)
        assert len(visited) >= 3, (key, list(visited))
        pages |= {f"{key} {path}": html for path, html in visited.items()}
        if key == "applicant-bildungswerk":  # beyond the crawl's two application pages
            for path in (
                f"/antraege/{every_state.revised.id}",
                f"/antraege/{every_state.revised.id}/langfassung",
            ):
                pages[f"{key} {path}"] = page.goto(path).text()
                assert not axe_violations(page), path
    errors = vnu_errors(pages, tmp_path)
    assert not errors, errors
    print(f"\n{len(pages)} pages checked with axe-core and the Nu HTML Checker: no findings")


def test_a_vote_with_the_keyboard_alone(world, new_page):
    application = world.application("partner_vote")
    page = new_page()
    page.goto("/anmelden")
    tab_to(page, "#email")
    page.keyboard.type(world.user("partner-dgb").email)
    tab_to(page, "#password")
    page.keyboard.type(demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"/antraege/{application.id}")
    tab_to(page, "input[name='ballot-choice'][value='approve']")
    page.keyboard.press("Space")
    tab_to(page, "input[name='ballot-rating_feasibility']")  # Tab enters a radio group once …
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # … the arrow keys choose within it: 1 → 4
    tab_to(page, "form[action$='/votum'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    screenshot(page, "keyboard-vote")
    assert "Ihr Votum ist gespeichert" in page.content()
    from workflow.extensions import db
    from workflow.models import Ballot

    db.session.expire_all()
    stored = db.session.query(Ballot).one()
    assert (stored.choice, stored.rating_feasibility) == ("approve", 4)


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching `selector` has the focus (the keyboard's only way)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
