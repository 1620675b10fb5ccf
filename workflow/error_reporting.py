"""Optional error reports with sentry-sdk, on only when SENTRY_DSN is set. Personal data stays
here: no default PII, no local variables, no request bodies, cookies or headers beyond a few
harmless ones; secret path parts redacted as in the logs; e-mail addresses and the signed-in
person's name and address removed from every text of the report; SQL parameters never put into
error messages. Each report carries the request id that the error page shows."""

from __future__ import annotations

import re

from flask import Flask, g, has_request_context

from workflow import logs

SCRUBBED = "[entfernt]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SAFE_HEADERS = frozenset(
    {"accept", "accept-language", "content-type", "content-length", "host", "user-agent"}
)


def prepare(app: Flask) -> None:
    """Before the database is bound: SQL parameters (e-mail addresses, names, hashes) stay out of
    the messages of database errors, which go into reports and logs (in production, and whenever
    reports are sent)."""
    from workflow.production import is_production

    if app.config.get("SENTRY_DSN") or is_production(app.config):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["hide_parameters"] = True
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=str(app.config.get("ENV") or "development"),
        integrations=[FlaskIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0,
        auto_session_tracking=False,
        send_client_reports=False,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )


def _personal_texts() -> list[str]:
    """The signed-in person's name and e-mail address, when this request has loaded them."""
    if not has_request_context():
        return []
    from workflow.models import User

    user = g.get("api_user") or g.get("_login_user")
    if not isinstance(user, User):
        return []
    texts = []
    for attribute in ("name", "email"):
        value = _loaded(user, attribute)
        if isinstance(value, str) and len(value) >= 3:
            texts.append(value)
    return texts


def _loaded(user, attribute: str):
    try:
        return getattr(user, attribute)
    except Exception:  # noqa: BLE001 - the database may be what failed; the address rule remains
        return None


def _scrub(value, personal: list[str]):
    if isinstance(value, str):
        for text in personal:
            value = value.replace(text, SCRUBBED)
        return EMAIL.sub(SCRUBBED, value)
    if isinstance(value, dict):
        return {key: _scrub(item, personal) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, personal) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in dict(headers).items() if k.lower() in SAFE_HEADERS}
        if "query_string" in request:
            request["query_string"] = logs.safe_query(str(request["query_string"] or ""))
        if has_request_context():
            from flask import request as current

            request["url"] = current.host_url.rstrip("/") + logs.safe_path()
        elif request.get("url"):
            request["url"] = logs.redact_path(str(request["url"]))
    event.pop("user", None)
    rid = logs.request_id()
    if rid:
        event.setdefault("tags", {})["request_id"] = rid
    return _scrub(event, _personal_texts())


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return _scrub(crumb, _personal_texts())
