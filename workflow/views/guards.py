"""Route decorators that refuse (403) whoever the permission table (workflow/permissions.py) does
not allow a page of the alliance; they go below `@login_required`, so the login is asked first.
Checks on one application stay in the view, after the application is looked up (404 first)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from workflow.services import access


def allowed_to(verb: str, found: Callable | None = None):
    """Only those who may `verb` (a verb about the alliance, e.g. "see_sessions"). `found` is
    called first with the URL's arguments where the page names an object: what the person may not
    see is a 404 (it aborts) before anything is a 403, as for every other page."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if found is not None:
                found(**kwargs)
            if not access.may(current_user, verb):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def coordinator_required(view=None, *, found: Callable | None = None):
    """The coordination's own pages (settings, invitations, planned sessions, the inbox, webhooks
    …): `@coordinator_required`, or `@coordinator_required(found=…)` (see `allowed_to`)."""
    if view is None:
        return allowed_to("coordinate", found)
    return allowed_to("coordinate")(view)


def may(verb: str, obj=None) -> bool:
    """`may(verb, application)` in the templates: the table asked for the person signed in."""
    return current_user.is_authenticated and access.may(current_user, verb, obj)
