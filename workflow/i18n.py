"""German first; English selectable (the choice lives in the session)."""

from __future__ import annotations

from flask import current_app, has_request_context, session

from workflow.extensions import babel


def current_language() -> str:
    if has_request_context():
        chosen = session.get("language")
        if chosen in current_app.config["LANGUAGES"]:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=current_language,
        default_translation_directories="translations",
    )
