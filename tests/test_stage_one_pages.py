"""Every page of the first stage renders in German, without inline styles or scripts (CSP)."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("path", ["/registrieren", "/passwort-vergessen", "/anmelden"])
def test_public_pages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _check(response.text)


def test_pages_of_each_role(app, world, login):
    draft = world.application("sketch_draft")
    assessed = world.application("sketch_assessment")
    pages = {
        "applicant-bildungswerk": [
            "/",
            "/antraege/neu",
            f"/antraege/{draft.id}",
            f"/antraege/{draft.id}/skizze",
            "/benachrichtigungen",
        ],
        "coordinator": ["/eingang", "/personen/einladen", f"/antraege/{assessed.id}", "/benachrichtigungen"],
        "observer-nbank": [f"/antraege/{assessed.id}"],
    }
    for key, paths in pages.items():
        client = login(key)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (key, path)
            _check(response.text)


def _check(html: str) -> None:
    assert '<html lang="de">' in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # only scripts from the app's own files
