"""GDPR: a person downloads what Antragsweg holds about them (Art. 15 and 20), as JSON."""

from __future__ import annotations

import json

from flask import Blueprint, Response
from flask_login import current_user, login_required

from workflow.services import privacy

bp = Blueprint("privacy", __name__)


@bp.get("/konto/daten.json")
@login_required
def export():
    data = privacy.export_person(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="antragsweg-meine-daten.json"',
            "Cache-Control": "no-store",
        },
    )
