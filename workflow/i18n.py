"""German first; English selectable (the choice lives in the session, and on the account of a
signed-in person, for the mails written to them)."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import LazyString, force_locale

from workflow.extensions import babel

# The API (api/registry.py's PREFIX) answers in German whatever a browser's session chose.
API_PREFIX = "/api/v1"


def _api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def current_language() -> str:
    if has_request_context() and not _api_request():
        chosen = session.get("language")
        if chosen in current_app.config["LANGUAGES"]:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def language_of(person) -> str:
    chosen = getattr(person, "language", None)
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def in_language_of(person):
    """What is written for one person (their mail, their notification) in their language."""
    return force_locale(language_of(person))


def joined(separator: str, parts) -> LazyString:
    """Lazy texts joined when read (a `+` or `join` would write them out at once, in the
    language of the moment)."""
    parts = list(parts)
    return LazyString(lambda: separator.join(str(part) for part in parts))


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=current_language,
        default_translation_directories="translations",
    )
