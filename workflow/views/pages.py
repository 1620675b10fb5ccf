"""Pages everyone may read: the accessibility statement (BITV 2.0)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template("pages/accessibility.html", contact=current_app.config["ACCESSIBILITY_CONTACT"])
