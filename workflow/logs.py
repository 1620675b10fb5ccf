"""Logs as JSON lines on stderr (python-json-logger): one line per request, and the app's own records
(mail, webhooks, `tick`) in the same shape. Every request has an id: the proxy's `X-Request-ID` when
it sends a well-formed one, a new one otherwise; it is returned as `X-Request-ID`, added to every
record logged while the request runs and printed on error pages, so that a person can quote it.

Secrets never reach a log line: path parts that are tokens (the calendar feed, the confirmation,
invitation and reset links, whatever route names an argument like a secret) and the values of
query parameters named like one are replaced by REDACTED; headers (bearer tokens, cookies) and
bodies are never logged.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "antragsweg.request_id"
_FIELDS_KEY = "antragsweg.request_fields"
# nginx's $request_id is 32 hex digits; a UUID has dashes. Anything else is replaced.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
REDACTED = "REDACTED"
# Route arguments that carry a secret (their value is the credential); `token_id` and the like
# are row ids, not secrets.
SECRET_ARGUMENT = re.compile(
    r"(token|secret|nonce|signature|code|hash|digest|password)(?!_id$)", re.IGNORECASE
)
SECRET_PARAMETER = re.compile(
    r"token|secret|key|code|pass|signature|sig$|auth|nonce|session|otp|ticket", re.IGNORECASE
)
# A path nobody routed: long runs of token characters are redacted (a mistyped secret link).
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_~=%.-]{24,}")
# Methods by name for metrics and logs; anything else a client invents is "OTHER".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Finished = Callable[[dict], None]


def formatter() -> JsonFormatter:
    """The one shape of every line (deploy/gunicorn.conf.py gives gunicorn's own the same)."""
    return JsonFormatter(
        "{levelname}{name}{process}{message}",
        style="{",
        timestamp="time",
        rename_fields={"levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (pytest and click swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = request.environ.get(REQUEST_ID_KEY)
        return True


def configure(level: str = "INFO") -> None:
    """JSON lines for the app's loggers (`workflow.*`), once per process."""
    logger = logging.getLogger("workflow")
    logger.setLevel(level)
    if any(getattr(handler, "antragsweg_json", False) for handler in logger.handlers):
        return
    handler = _StderrHandler()
    handler.antragsweg_json = True
    handler.setFormatter(formatter())
    handler.addFilter(_RequestId())
    logger.addHandler(handler)
    # gunicorn's root handler writes JSON lines too: the app's records would come out twice.
    logger.propagate = False


def request_id() -> str | None:
    return request.environ.get(REQUEST_ID_KEY) if has_request_context() else None


def _incoming_request_id(value: str | None) -> str | None:
    return value if value and _VALID_REQUEST_ID.fullmatch(value) else None


def safe_path() -> str:
    """The request's path with every secret route argument replaced by REDACTED."""
    rule, arguments = request.url_rule, request.view_args or {}
    if rule is None:
        return redact_path(request.path)
    secret = {name: REDACTED for name in arguments if SECRET_ARGUMENT.search(name)}
    if not secret:
        return request.path
    try:
        built = rule.build({**arguments, **secret}, append_unknown=False)
    except Exception:  # noqa: BLE001 - a converter that refuses the placeholder: say nothing
        built = None
    return built[1] if built else redact_path(request.path)


def redact_path(path: str) -> str:
    return _TOKEN_LIKE.sub(REDACTED, path)


def safe_query(query_string: str) -> str:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode(
        [(key, REDACTED if SECRET_PARAMETER.search(key) else value) for key, value in pairs], safe="/:"
    )


def _person() -> dict:
    """The signed-in person (page session or API token), from what the request already loaded:
    reading it never loads a user, so /healthz and the assets stay off the database."""
    from workflow.models import User

    user = g.get("api_user") or g.get("_login_user")
    if not isinstance(user, User):
        return {"user_id": None, "alliance_id": None}
    state = sa.inspect(user)
    user_id = state.identity[0] if state.identity else None
    organisation = state.dict.get("organisation")
    alliance_id = sa.inspect(organisation).dict.get("alliance_id") if organisation is not None else None
    if alliance_id is None and user_id is not None and not state.detached:
        # A commit expired the user: one small query rather than a line without the alliance.
        from workflow.models import Organisation

        alliance_id = state.session.scalar(
            sa.select(Organisation.alliance_id).join(User).where(User.id == user_id)
        )
    return {"user_id": user_id, "alliance_id": alliance_id}


class RequestLog:
    """WSGI middleware: the request id in, `X-Request-ID` out, and one line when the response is
    done (its body sent, so a streamed download's duration is the whole of it)."""

    def __init__(self, wsgi_app, finished: list[Finished]):
        self.wsgi_app = wsgi_app
        self.finished = finished
        self.log = logging.getLogger("workflow.request")

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        rid = _incoming_request_id(environ.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        environ[REQUEST_ID_KEY] = rid
        seen: dict = {}

        def _start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, rid))
            return start_response(status, headers, exc_info)

        try:
            body = self.wsgi_app(environ, _start_response)
        except BaseException:
            self._done(environ, started, 500)
            raise
        return ClosingIterator(body, lambda: self._done(environ, started, seen.get("status")))

    def _done(self, environ, started: float, status: int | None) -> None:
        fields = environ.get(_FIELDS_KEY) or {
            "endpoint": None,
            "path": redact_path(environ.get("PATH_INFO", "")),
            "query": safe_query(environ.get("QUERY_STRING", "")),
            "user_id": None,
            "alliance_id": None,
        }
        method = environ.get("REQUEST_METHOD", "")
        line = {
            "request_id": environ.get(REQUEST_ID_KEY),
            "method": method if method in METHODS else "OTHER",
            **fields,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if not line["query"]:
            del line["query"]
        for hook in self.finished:  # first: once the line is written, the metrics have it too
            try:
                hook(line)
            except Exception:  # noqa: BLE001 - a metric must never break a response
                self.log.exception("request hook failed")
        self.log.info("request", extra=line)


def init_app(app: Flask) -> RequestLog:
    configure(app.config.get("LOG_LEVEL") or "INFO")
    middleware = RequestLog(app.wsgi_app, [])
    app.wsgi_app = middleware

    @app.after_request
    def _note_request(response):
        fields = {
            "endpoint": request.endpoint,
            "path": safe_path(),
            "query": safe_query(request.query_string.decode("latin-1")),
        }
        try:
            fields |= _person()
        except Exception:  # noqa: BLE001 - the database may be what failed this request
            fields |= {"user_id": None, "alliance_id": None}
        request.environ[_FIELDS_KEY] = fields
        return response

    @app.context_processor
    def _request_id():
        return {"request_id": request_id()}

    def log_exception(exc_info) -> None:
        # Flask's own puts the raw path into the message: a secret link's token with it.
        app.logger.error("Exception on %s [%s]", safe_path(), request.method, exc_info=exc_info)

    app.log_exception = log_exception
    return middleware
