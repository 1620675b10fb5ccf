"""Front-end assets installed by npm (KERN UX), served from node_modules; and the health check."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from workflow import PROJECT_ROOT

bp = Blueprint("assets", __name__)

# Only these package folders are served, nothing else of node_modules.
PACKAGES = {"kern": "@kern-ux/native/dist"}


def _package_root(package: str) -> Path:
    return Path(current_app.config["NODE_MODULES"] or PROJECT_ROOT / "node_modules") / PACKAGES[package]


@bp.get("/assets/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in PACKAGES:
        abort(404)
    return send_from_directory(_package_root(package), filename, max_age=86400)


@bp.app_url_defaults
def _fingerprint(endpoint: str, values: dict) -> None:
    """Links to the app's own files carry `?v=` and a hash of the content, so a proxy may let
    browsers keep them for a year (deploy/nginx/antragsweg.conf): a changed file is a new URL."""
    if endpoint == "static" and "filename" in values:
        path = Path(current_app.static_folder) / values["filename"]
    elif endpoint == "assets.vendor" and values.get("package") in PACKAGES and "filename" in values:
        path = _package_root(values["package"]) / values["filename"]
    else:
        return
    if "v" not in values and (version := _content_hash(str(path))):
        values["v"] = version


@lru_cache(maxsize=256)
def _content_hash(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return None


@bp.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
