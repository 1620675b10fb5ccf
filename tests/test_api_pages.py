"""The pages around the API: tokens on the account page (shown once, revocable) and the
human-readable page of the OpenAPI document."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.conftest import text_of
from workflow.api.registry import OPERATIONS
from workflow.extensions import db
from workflow.models import ApiToken
from workflow.services import tokens


def test_a_person_creates_a_token_sees_it_once_and_revokes_it(app, world, login):
    sponsor = login("applicant-bildungswerk")
    page = sponsor.get("/konto/")
    assert page.status_code == 200 and "Noch keine Tokens" in text_of(page.text)
    created = sponsor.post("/konto/tokens", data={"name": "Fachverfahren"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r"aw_[A-Za-z0-9_-]{20,}", created.text).group(0)
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.name == "Fachverfahren" and stored.token_hash == tokens.digest(token)
    assert token not in sponsor.get("/konto/").text  # never shown again
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        api.get("/api/v1/me", headers=headers).get_json()["email"] == "antrag.bildungswerk@demo.antragsweg.de"
    )
    other = login("applicant-lwz").post(f"/konto/tokens/{stored.id}/widerrufen")
    assert other.status_code == 404  # someone else's token: not found
    revoked = sponsor.post(f"/konto/tokens/{stored.id}/widerrufen")
    assert revoked.status_code == 302 and revoked.headers["Location"].endswith("/konto/#api-tokens")
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert "widerrufen am" in text_of(sponsor.get("/konto/").text)


def test_a_token_needs_a_name(login):
    response = login("partner-dgb").post("/konto/tokens", data={"name": "  "})
    assert response.status_code == 422 and "Namen" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_one_account_page_with_second_factor_tokens_and_calendar(app, world, login):
    coordinator = login("coordinator")
    page = coordinator.get("/konto/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = text_of(page.text)
    for heading in ("Zwei-Faktor-Anmeldung", "API-Tokens", "Fristen im eigenen Kalender"):
        assert heading in text
    assert 'href="/kalender"' in page.text
    old = coordinator.get("/profil")
    assert old.status_code == 301 and old.headers["Location"].endswith("/konto/#api-tokens")
    menu = page.text.split('class="kern-container site-nav site-wide"', 1)[1].split("</nav>", 1)[0]
    navigation = re.findall(r'<li><a class="kern-link" href="([^"]+)"', menu)
    assert navigation.count("/konto/") == 1 and "/profil" not in navigation
    assert "Profil und API" not in page.text


def test_the_api_page_lists_every_operation(app):
    page = app.test_client().get("/api-dokumentation")
    assert page.status_code == 200
    text = text_of(page.text)
    for operation in OPERATIONS:
        assert f"{operation.method} {operation.path}" in text
    assert "consultation_date" in text and "Authorization: Bearer" in text
    assert "<script" not in page.text
