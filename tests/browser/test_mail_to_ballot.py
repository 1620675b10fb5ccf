"""From the vote mail to a cast ballot (issue 16, §2), in a real browser on a 390 px phone with
JavaScript disabled, against gunicorn and its mail sender: the mail is read from the real SMTP
server, its link followed; the page loads are counted (every document the browser loads, redirects'
targets included). Signed in, it takes at most three; signed out, the login page's sign-in link
(read from the second mail) leads back to the vote page, and from that mail it takes three again."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from tests.test_vote_page_http import LINK, _vote_mail
from workflow.extensions import db
from workflow.models import Ballot
from workflow.votes import timing

PHONE = {"width": 390, "height": 844}


def _sign_in_mail(live_smtp, address: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in live_smtp.to(address):
            if message["Subject"] == "Ihr Anmeldelink für Antragsweg":
                return message
        time.sleep(0.1)
    raise AssertionError(f"no sign-in mail to {address}")


def _open_vote(world, http, application) -> None:
    deadline = timing.default_circulation_deadline(application.alliance)
    opened = http("coordinator").post_form(
        f"/antraege/{application.id}/aktion/open_vote",
        {"mode": "circulation", "deadline": deadline.isoformat(), "session_id": "0"},
    )
    assert opened.status_code == 302


def _phone(browser, base_url):
    context = browser.new_context(
        base_url=base_url,
        java_script_enabled=False,
        viewport=PHONE,
        locale="de-DE",
        timezone_id="Europe/Berlin",
    )
    page = context.new_page()
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    return context, page, loads


def _cast(page) -> None:
    page.check("input[name='ballot-choice'][value='approve']")
    with page.expect_navigation():
        page.click("form[action$='/votum'] button[type=submit]")


def _ballot_of(world, key: str):
    db.session.expire_all()
    organisation_id = world.user(key).organisation_id
    return db.session.scalar(sa.select(Ballot).where(Ballot.organisation_id == organisation_id))


def test_signed_in_from_the_vote_mail_to_a_ballot_in_three_page_loads(
    world, http, site, live_smtp, live_mailer
):
    base_url, browser = site
    application = world.application("long_form_submitted")
    _open_vote(world, http, application)
    partner = world.user("partner-dgb")
    link = LINK.search(
        _vote_mail(live_smtp, partner.email, application.title).get_body(("plain",)).get_content()
    ).group(1)

    context, page, loads = _phone(browser, base_url)
    try:
        page.goto("/anmelden")
        page.fill("#email", partner.email)
        page.fill("#password", "Antragsweg-Demo1")
        with page.expect_navigation():
            page.click("form:has(#password) button[type=submit]")
        loads.clear()
        page.goto(link)
        _cast(page)
        print(f"\nsigned in, 390 px, no JavaScript: {len(loads)} page loads from the mail to the ballot")
        assert len(loads) <= 3, loads
        assert "Ihr Votum ist gespeichert" in page.content()
        assert _ballot_of(world, "partner-dgb").choice == "approve"
    finally:
        context.close()


def test_signed_out_the_sign_in_link_leads_back_to_the_vote(world, http, site, live_smtp, live_mailer):
    base_url, browser = site
    application = world.application("long_form_submitted")
    _open_vote(world, http, application)
    partner = world.user("partner-hwk")
    link = LINK.search(
        _vote_mail(live_smtp, partner.email, application.title).get_body(("plain",)).get_content()
    ).group(1)

    context, page, loads = _phone(browser, base_url)
    try:
        page.goto(link)  # signed out: the login page, which keeps where the mail pointed
        assert "/anmelden?next=" in page.url
        page.fill("#link-email", partner.email)
        with page.expect_navigation():
            page.click("form[action^='/anmelden/link'] button[type=submit]")
        before_mail = len(loads)
        sign_in = re.search(
            r"https?://\S+/anmelden/link/\S+", _sign_in_mail(live_smtp, partner.email).get_content()
        ).group(0)
        page.goto(sign_in)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.url.endswith(f"/antraege/{application.id}/votum")
        _cast(page)
        from_sign_in_mail = len(loads) - before_mail
        print(
            f"\nsigned out, 390 px, no JavaScript: {before_mail} page loads to ask for the link, "
            f"{from_sign_in_mail} from the sign-in mail to the ballot"
        )
        assert from_sign_in_mail <= 3, loads
        assert _ballot_of(world, "partner-hwk").choice == "approve"
    finally:
        context.close()
