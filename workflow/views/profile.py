"""The old address of the personal page (now /konto, views/account.py) and the human-readable page
of the API's OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

bp = Blueprint("profile", __name__)


@bp.get("/profil")
def show():
    """API tokens moved to the account page."""
    return redirect(url_for("account.index") + "#api-tokens", 301)


@bp.get("/api-dokumentation")
def api_docs():
    from workflow.api.openapi import DESCRIPTION, operations_by_tag

    return render_template("api/docs.html", groups=operations_by_tag(), description=DESCRIPTION)
