"""Every page each role reaches passes axe-core (WCAG 2.1 A/AA) and the Nu HTML Checker, lays out
without horizontal scrolling at 1280 and 390 px (legends above their fields, numbers right-aligned,
no KERN step markers on figures), and a vote can be cast with the keyboard alone."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import axe_violations, screenshot, vnu_errors
from workflow import demo
from workflow.lifecycle import STATE_NAMES
from workflow.services.lifecycle import fire

ROLES = ["coordinator", "partner-dgb", "observer-nbank", "applicant-bildungswerk"]
MAX_PAGES_PER_ROLE = 40
PER_PATTERN = 2  # pages of one pattern (see crawl) differ only in their data: two suffice
SKIP = re.compile(r"^/(abmelden|assets/|static/|sprache)|\.(pdf|csv|xlsx|ics|json)$|/download|/datei")
WIDTHS = (1280, 390)  # a laptop and a phone; the page is measured again at each, not reloaded
HEIGHT = 720

# What a person sees go wrong in the layout, measured in the browser (computed styles and boxes).
LAYOUT_FINDINGS = r"""() => {
    const found = [];
    const root = document.documentElement;
    const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '')
        + ' "' + (el.innerText || '').trim().slice(0, 40) + '"';
    const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    const inScroller = el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) { if (scrolls(a)) return true; } return false; };
    if (root.scrollWidth > root.clientWidth) {
        const wide = [...document.body.querySelectorAll('*')]
            .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1);
        const leaves = els => { const set = new Set(els); return els.filter(el => ![...el.children].some(c => set.has(c))); };
        let culprits = leaves(wide.filter(el => !inScroller(el)));
        if (!culprits.length) culprits = leaves(wide);  // positioned outside their scrolling region
        found.push(`page scrolls sideways: ${root.scrollWidth} px in ${root.clientWidth} px, because of `
            + culprits.slice(0, 3).map(describe).join('; '));
    }
    for (const el of document.body.querySelectorAll('*')) {
        if (scrolls(el) && el.scrollWidth > el.clientWidth + 1) {
            const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
            if (el.getAttribute('tabindex') !== '0' || el.getAttribute('role') !== 'region' || !named)
                found.push('scrolls without being a focusable, labelled region: ' + describe(el));
        }
    }
    for (const legend of document.querySelectorAll('fieldset > legend')) {
        const box = legend.getBoundingClientRect();
        if (!box.height) continue;
        const next = legend.nextElementSibling;
        const label = legend.parentElement.querySelector('label');
        for (const el of [next, label]) {
            if (el && el.getBoundingClientRect().height && el.getBoundingClientRect().top < box.bottom - 1)
                found.push(`legend "${legend.innerText.trim()}" on the line of ${describe(el)}`);
        }
        const text = legend.parentElement.innerText;
        const at = text.indexOf(legend.innerText.trim());
        if (at >= 0 && !/^\s/.test(text.slice(at + legend.innerText.trim().length) || ' '))
            found.push(`legend "${legend.innerText.trim()}" runs into the text after it: "${text.slice(at, at + 60)}"`);
    }
    for (const el of document.querySelectorAll('.kern-number')) {
        if (!el.closest('.kern-task-list, .kern-summary'))
            found.push('KERN step marker (kern-number) on ' + describe(el));
    }
    const figure = /^(-?\d{1,3}(\.\d{3})*(,\d+)?\s?(€|%)?|\d+)$/;
    for (const table of document.querySelectorAll('table')) {
        const numericColumns = new Set();
        for (const row of table.querySelectorAll('tbody tr')) {
            for (const cell of row.cells) {  // row headers are labels, even when they are numbers
                if (cell.tagName === 'TH' || !figure.test(cell.innerText.trim())) continue;
                numericColumns.add(cell.cellIndex);
                if (!['right', 'end'].includes(getComputedStyle(cell).textAlign))
                    found.push('number not right-aligned: ' + describe(cell));
            }
        }
        const head = table.tHead && table.tHead.rows[0];
        if (head && [...head.cells].every(c => c.colSpan === 1)) {
            for (const index of numericColumns) {
                const cell = head.cells[index];
                if (cell && !['right', 'end'].includes(getComputedStyle(cell).textAlign))
                    found.push('header of a column of numbers not right-aligned: ' + describe(cell));
            }
        }
    }
    return found;
}"""


def login(page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto("/anmelden")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def layout_findings(page, path: str, widths: tuple[int, ...] = WIDTHS) -> list[str]:
    """What goes wrong in the layout of the loaded page at each width (the viewport is resized,
    the page is not reloaded); the viewport is back at the first width afterwards."""
    found: dict[str, int] = {}
    for width in widths:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        for finding in page.evaluate(LAYOUT_FINDINGS):
            key = f"{path} at {width} px: {finding}"
            found[key] = found.get(key, 0) + 1
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    return [f"{finding} (×{n})" if n > 1 else finding for finding, n in found.items()]


def crawl(page, base: str, layout: list[str], who: str, start: tuple[str, ...] = ()) -> dict[str, str]:
    """Visit every page reachable by links from the start page (GET only), return their HTML and
    add what goes wrong in their layout to `layout`. `start` are pages to visit first."""
    seen: dict[str, str] = {}
    patterns: dict[str, int] = {}
    queue = [*start, "/"]
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        # /antraege/7 and /antraege/8, ?status=a and ?status=b: the same page with other data
        parts = urlsplit(path)
        pattern = re.sub(r"\d+", "N", parts.path) + "?" + ",".join(sorted(parse_qs(parts.query)))
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
        layout += layout_findings(page, f"{who} {path}")
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
    layout: list[str] = []
    anonymous = new_page()
    for path in ("/anmelden", "/registrieren", "/barrierefreiheit", "/antraege/999999"):
        response = anonymous.goto(path)
        pages[f"anonymous {path}"] = response.text()
        assert not axe_violations(anonymous), path
        layout += layout_findings(anonymous, f"anonymous {path}")
    # Read first: an application after its statement (its history holds the budget confirmation)
    # for every role that may see it, the sponsor's sketch and long form sections being edited.
    endorsed = every_state.application("endorsed")
    draft, long_form = every_state.application("sketch_draft"), every_state.application("long_form_draft")
    first = {
        "applicant-bildungswerk": (
            f"/antraege/{endorsed.id}",
            f"/antraege/{draft.id}/skizze",
            f"/antraege/{long_form.id}/langfassung/costs",
        ),
    }
    for key in ROLES:
        page = new_page()
        login(page, every_state.user(key).email)
        visited = crawl(page, live_server, layout, key, start=first.get(key, (f"/antraege/{endorsed.id}",)))
        assert len(visited) >= 3, (key, list(visited))
        pages |= {f"{key} {path}": html for path, html in visited.items()}
        if key == "applicant-bildungswerk":  # beyond the crawl's two application pages
            for path in (
                f"/antraege/{every_state.revised.id}",
                f"/antraege/{every_state.revised.id}/langfassung",
            ):
                pages[f"{key} {path}"] = page.goto(path).text()
                assert not axe_violations(page), path
    assert not layout, "\n".join(layout)
    errors = vnu_errors(pages, tmp_path)
    assert not errors, errors
    print(f"\n{len(pages)} pages checked with axe-core and the Nu HTML Checker: no findings")


@pytest.mark.parametrize("where", ["", "/votum"])  # the application page, the vote page
def test_a_vote_with_the_keyboard_alone(world, new_page, where):
    application = world.application("partner_vote")
    page = new_page()
    page.goto("/anmelden")
    tab_to(page, "#email")
    page.keyboard.type(world.user("partner-dgb").email)
    tab_to(page, "#password")
    page.keyboard.type(demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"/antraege/{application.id}{where}")
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
