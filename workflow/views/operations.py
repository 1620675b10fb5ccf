"""For the operators: /readyz (can this node serve?) and /metrics (Prometheus). Neither needs a
login; neither tells addresses, paths or versions. /healthz (is the process alive?) is in assets.py."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from workflow import metrics
from workflow.services import monitoring

bp = Blueprint("operations", __name__)


@bp.get("/readyz")
def readyz():
    result = monitoring.readiness()
    response = jsonify(result.as_json())
    response.status_code = 200 if result.ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def prometheus():
    if not metrics.allowed():
        abort(404)  # not configured for this client: as if there were nothing
    body, content_type = metrics.exposition()
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}
