"""Front-end assets installed by npm (KERN UX), served from node_modules; and the health check."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from workflow import PROJECT_ROOT

bp = Blueprint("assets", __name__)

# Only these package folders are served, nothing else of node_modules.
PACKAGES = {"kern": "@kern-ux/native/dist"}


@bp.get("/assets/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in PACKAGES:
        abort(404)
    root = Path(current_app.config["NODE_MODULES"] or PROJECT_ROOT / "node_modules")
    return send_from_directory(root / PACKAGES[package], filename, max_age=86400)


@bp.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
