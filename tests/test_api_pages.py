"""The pages around the API: tokens on the profile page (shown once, revocable) and the
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
    page = sponsor.get("/profil")
    assert page.status_code == 200 and "Noch keine Tokens" in text_of(page.text)
    created = sponsor.post("/profil/tokens", data={"name": "Fachverfahren"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r"aw_[A-Za-z0-9_-]{20,}", created.text).group(0)
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.name == "Fachverfahren" and stored.token_hash == tokens.digest(token)
    assert token not in sponsor.get("/profil").text  # never shown again
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        api.get("/api/v1/me", headers=headers).get_json()["email"] == "antrag.bildungswerk@demo.antragsweg.de"
    )
    other = login("applicant-lwz").post(f"/profil/tokens/{stored.id}/widerrufen")
    assert other.status_code == 404  # someone else's token: not found
    revoked = sponsor.post(f"/profil/tokens/{stored.id}/widerrufen")
    assert revoked.status_code == 302
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert "widerrufen am" in text_of(sponsor.get("/profil").text)


def test_a_token_needs_a_name(login):
    response = login("partner-dgb").post("/profil/tokens", data={"name": "  "})
    assert response.status_code == 422 and "Namen" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_api_page_lists_every_operation(app):
    page = app.test_client().get("/api-dokumentation")
    assert page.status_code == 200
    text = text_of(page.text)
    for operation in OPERATIONS:
        assert f"{operation.method} {operation.path}" in text
    assert "consultation_date" in text and "Authorization: Bearer" in text
    assert "<script" not in page.text
