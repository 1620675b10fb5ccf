"""Sign-in by mail link (issue 16, §2): partners and sponsors get a one-time link, valid 15 minutes,
bound to their account, throttled like the password login, announced when used in a new browser;
coordinators (second factor) cannot use it; the person lands on the page the mail pointed to.
Mails through the real SMTP server on loopback; once over real HTTP against gunicorn."""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import text_of
from workflow.extensions import db
from workflow.passwords import hash_password

SAME_ANSWER = "Wenn Partner oder Projektträger mit dieser Adresse ein Konto haben"


def _request(client, email: str, next_path: str | None = None):
    path = "/anmelden/link" + (f"?next={next_path}" if next_path else "")
    return client.post(path, data={"link-email": email})


def _link_mails(smtp, email: str) -> list:
    return [m for m in smtp.to(email) if m["Subject"] == "Ihr Anmeldelink für Antragsweg"]


def _link(message) -> str:
    url = re.search(r"https?://\S+/anmelden/link/\S+", message.get_content()).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_partner_signs_in_by_link_and_lands_where_the_mail_pointed(app, world, smtp):
    partner = world.user("partner-dgb")
    application = world.application("partner_vote")
    target = f"/antraege/{application.id}"
    client = app.test_client()
    response = _request(client, partner.email, target)
    assert response.status_code == 200 and SAME_ANSWER in text_of(response.text)
    (mail,) = _link_mails(smtp, partner.email)
    assert "Uhr" in mail.get_content()
    link = _link(mail)
    assert f"next={target.replace('/', '%2F')}" in link or f"next={target}" in link

    # A mail scanner opening the link uses nothing up; the page names the account.
    for _ in range(2):
        shown = client.get(link)
        assert shown.status_code == 200 and partner.email in text_of(shown.text)
    assert client.get("/start").status_code == 302  # not signed in by looking

    signed_in = client.post(link)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith(target)
    assert client.get(target).status_code == 200

    # Single use: the same link again, in another browser, is refused in German.
    again = app.test_client().post(link)
    assert again.status_code == 410 and "bereits verwendet" in text_of(again.text)


def test_the_link_expires_after_fifteen_minutes_and_cannot_be_altered(app, world, smtp):
    sponsor = world.user("applicant-lwz")
    _request(app.test_client(), sponsor.email)
    link = _link(_link_mails(smtp, sponsor.email)[0])
    assert app.config["SIGN_IN_LINK_MAX_AGE"] == 15 * 60
    app.config["SIGN_IN_LINK_MAX_AGE"] = -1
    try:
        expired = app.test_client().post(link)
        assert expired.status_code == 410 and "abgelaufen" in text_of(expired.text)
    finally:
        app.config["SIGN_IN_LINK_MAX_AGE"] = 15 * 60
    token = link.split("/anmelden/link/", 1)[1].split("?")[0]
    altered = app.test_client().post(f"/anmelden/link/{token[:-3]}abc")
    assert altered.status_code == 410 and "ungültig" in text_of(altered.text)
    # A password-reset link is no sign-in link, nor the other way round.
    assert app.test_client().post(f"/passwort/reset-password/{token}").status_code == 410


def test_the_link_is_bound_to_the_account_and_dies_with_a_password_change(app, world, smtp):
    partner = world.user("partner-hwk")
    _request(app.test_client(), partner.email)
    link = _link(_link_mails(smtp, partner.email)[0])
    partner.password_hash = hash_password("ein-ganz-neues-passwort")
    db.session.commit()
    refused = app.test_client().post(link)
    assert refused.status_code == 410


def test_coordinators_and_unknown_addresses_get_the_same_answer_and_no_link(app, world, smtp):
    coordinator = world.user("coordinator")
    coordinator.totp_secret = "JBSWY3DPEHPK3PXP"
    observer = world.user("observer-nbank")
    db.session.commit()
    client = app.test_client()
    for email in (coordinator.email, observer.email, "niemand@example.org"):
        response = _request(client, email)
        assert response.status_code == 200 and SAME_ANSWER in text_of(response.text)
        assert not _link_mails(smtp, email)


def test_no_link_for_a_coordinator_without_a_second_factor_yet_nor_a_partner_with_one(app, world, smtp):
    """A coordinator who has not enrolled yet would skip the enrolment with a link; a partner who
    chose a second factor keeps it."""
    coordinator = world.user("coordinator")
    assert coordinator.totp_secret is None
    partner = world.user("partner-lk-harburg")
    partner.totp_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    for person in (coordinator, partner):
        assert _request(app.test_client(), person.email).status_code == 200
        assert not _link_mails(smtp, person.email)


def test_a_next_added_to_a_valid_link_cannot_lead_elsewhere(app, world, smtp):
    partner = world.user("partner-dgb")
    _request(app.test_client(), partner.email)
    link = _link(_link_mails(smtp, partner.email)[0]).split("?")[0]
    response = app.test_client().post(link + "?next=//evil.example/x")
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_the_new_browser_notice_quotes_no_address_from_the_browser(app, world, smtp):
    sponsor = world.user("applicant-lwz")
    client = app.test_client()
    _request(client, sponsor.email)
    agent = "Mozilla/5.0 Bitte-sofort-https://evil.example/login-besuchen www.evil.example x@evil.example"
    client.post(_link(_link_mails(smtp, sponsor.email)[0]), headers={"User-Agent": agent})
    (notice,) = [m for m in smtp.to(sponsor.email) if m["Subject"] == "Neue Anmeldung bei Antragsweg"]
    assert "evil.example" not in notice.get_content() and "Mozilla/5.0" in notice.get_content()


def test_a_link_of_an_account_that_enrolled_a_second_factor_since_is_refused(app, world, smtp):
    partner = world.user("partner-agv")
    _request(app.test_client(), partner.email)
    link = _link(_link_mails(smtp, partner.email)[0])
    partner.totp_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    for response in (app.test_client().get(link), app.test_client().post(link)):
        assert response.status_code == 403 and "Passwort (und zweitem Faktor)" in text_of(response.text)


def test_requests_are_throttled_per_account_like_the_password_login(app, world, smtp):
    partner = world.user("partner-ihk")
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert _request(client, partner.email).status_code == 200
    refused = _request(client, partner.email.upper())
    assert refused.status_code == 429 and "Zu viele Anmeldelinks angefordert" in text_of(refused.text)
    assert len(_link_mails(smtp, partner.email)) == limit
    # The password login is not locked by requested links.
    password_login = app.test_client().post("/anmelden", data={"email": partner.email, "password": "x"})
    assert password_login.status_code == 401


def test_a_link_used_in_a_new_browser_is_announced_to_the_account(app, world, smtp):
    sponsor = world.user("applicant-bildungswerk")
    browser = app.test_client()
    _request(browser, sponsor.email)
    browser.post(_link(_link_mails(smtp, sponsor.email)[0]), headers={"User-Agent": "Firefox/133.0 (Linux)"})
    notices = [m for m in smtp.to(sponsor.email) if m["Subject"] == "Neue Anmeldung bei Antragsweg"]
    assert len(notices) == 1 and "Firefox/133.0 (Linux)" in notices[0].get_content()

    # The same browser, signed out and in again by link: known, no second notice.
    browser.post("/abmelden")
    _request(browser, sponsor.email)
    links = _link_mails(smtp, sponsor.email)
    assert browser.post(_link(links[-1])).status_code == 302
    assert len([m for m in smtp.to(sponsor.email) if m["Subject"] == "Neue Anmeldung bei Antragsweg"]) == 1

    # A browser the person signed in with by password is known as well.
    laptop = app.test_client()
    laptop.post("/anmelden", data={"email": sponsor.email, "password": "Antragsweg-Demo1"})
    laptop.post("/abmelden")
    _request(laptop, sponsor.email)
    links = _link_mails(smtp, sponsor.email)
    assert laptop.post(_link(links[-1])).status_code == 302
    assert len([m for m in smtp.to(sponsor.email) if m["Subject"] == "Neue Anmeldung bei Antragsweg"]) == 1


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_the_landing_page_is_only_ever_a_page_of_this_site(app, world, smtp, target):
    partner = world.user("partner-dgb")
    client = app.test_client()
    client.post("/anmelden/link", query_string={"next": target}, data={"link-email": partner.email})
    link = _link(_link_mails(smtp, partner.email)[0])
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] in ("/", "http://localhost/")


def test_bad_requests_get_a_german_form_error_and_no_mail(app, world, smtp):
    client = app.test_client()
    for data in ({}, {"link-email": "keine-adresse"}, {"link-email": "a" * 300 + "@example.org"}):
        response = client.post("/anmelden/link", data=data)
        assert response.status_code == 422 and "E-Mail-Adresse" in text_of(response.text)
    assert not [m for m in smtp.messages if m["Subject"] == "Ihr Anmeldelink für Antragsweg"]


def test_the_login_page_offers_the_link_with_the_page_to_return_to(client):
    page = client.get("/anmelden?next=/antraege/7").text
    assert "Anmeldelink per E-Mail" in page and 'action="/anmelden/link?next=/antraege/7"' in page


def test_sign_in_by_link_over_real_http(world, live_server, live_smtp, live_mailer):
    import requests

    partner = world.user("partner-lk-celle")
    application = world.application("partner_vote")
    browser = requests.Session()
    page = browser.get(f"{live_server}/anmelden?next=/antraege/{application.id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    sent = browser.post(
        f"{live_server}/anmelden/link?next=/antraege/{application.id}",
        data={"csrf_token": token, "link-email": partner.email},
    )
    assert sent.status_code == 200 and SAME_ANSWER in sent.text
    deadline = time.monotonic() + 15
    while not (mails := _link_mails(live_smtp, partner.email)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (mail,) = mails
    link = _link(mail)
    shown = browser.get(live_server + link)
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.text).group(1)
    landed = browser.post(live_server + link, data={"csrf_token": token})
    assert landed.status_code == 200 and landed.url.endswith(f"/antraege/{application.id}")
    assert application.title in landed.text
    assert "antragsweg_browser" in browser.cookies
