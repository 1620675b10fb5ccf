"""Antragsweg: the application path of a regional skilled-labour alliance."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Request, request
from werkzeug.routing import IntegerConverter

from workflow.config import Defaults

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """A number beyond the database's integers becomes id 0, which no row has: the view answers
    404 as for any unknown id (the route still matches, so the method is never the problem)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


class ClosingRequest(Request):
    """Closes the temporary file of every uploaded part when the request ends: werkzeug leaves
    those of a multipart body it could not finish parsing (cut off, no closing boundary) open."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.pop("_upload_streams", ()):
            stream.close()


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "ANTRAGSWEG_INSTANCE_PATH", str(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.request_class = ClosingRequest
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("ANTRAGSWEG")
    else:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Ids in URLs are database integers: a number beyond them is a 404, never an overflow (500).
    app.url_map.converters["int"] = BoundedIntConverter
    _configure_database_url(app)
    from workflow import error_reporting, logs, metrics, production

    production.check(app)  # ANTRAGSWEG_ENV=production: refuse a configuration that would lose data or leak
    _configure_secret_key(app)

    from workflow import cli, formatting, i18n, instrumentation
    from workflow.extensions import csrf, db, login_manager, migrate
    from workflow.views import register_blueprints

    request_log = logs.init_app(app)  # JSON lines, request ids
    metrics.init_app(app, request_log)
    error_reporting.prepare(app)
    error_reporting.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    formatting.register(app)
    register_blueprints(app)
    cli.register(app)
    instrumentation.init_app(app)

    import workflow.services  # noqa: F401  (registers the effects of the domain modules)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        return response

    @app.context_processor
    def _globals():
        from flask_login import current_user

        from workflow.views.navigation import items_for

        return {
            "current_language": i18n.current_language(),
            "request_path": request.path,
            "nav_items": items_for(current_user),
        }

    _configure_proxies(app)  # last: outermost, so everything inside sees the client's values
    return app


def _configure_database_url(app: Flask) -> None:
    """DATABASE_URL (ANTRAGSWEG_DATABASE_URL) picks the database; relative SQLite paths live in
    the instance folder."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            url = "sqlite:///" + str(Path(app.instance_path) / path)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # Concurrent requests wait for SQLite's write lock instead of failing at once.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}


def _configure_proxies(app: Flask) -> None:
    """Scheme, host and client address come from the proxies only when TRUSTED_PROXIES says how
    many there are: each adds one value to X-Forwarded-*, and only those last values are read."""
    trusted = app.config["TRUSTED_PROXIES"]
    if isinstance(trusted, bool) or not isinstance(trusted, int) or trusted < 0:
        raise ValueError(
            f"TRUSTED_PROXIES (ANTRAGSWEG_TRUSTED_PROXIES) muss die Zahl der Proxys vor der "
            f"Anwendung sein (0, 1, 2 …), nicht {trusted!r}."
        )
    if trusted:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
