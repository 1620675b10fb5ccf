"""The personal calendar feed: the page that makes and revokes the secret address, and the feed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from workflow.services import calendar_feeds
from workflow.views import navigation

bp = Blueprint("calendar", __name__)

navigation.register(
    _l("Kalender"), "calendar.settings", ("coordinator", "partner", "applicant", "observer"), 80
)


@bp.get("/kalender")
@login_required
def settings():
    return render_template(
        "calendar/settings.html", feed=calendar_feeds.active_feed(current_user), url=None, form=FlaskForm()
    )


@bp.post("/kalender")
@login_required
def issue():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    token = calendar_feeds.issue(current_user)
    url = url_for("calendar.feed", token=token, _external=False)
    return render_template(
        "calendar/settings.html",
        feed=calendar_feeds.active_feed(current_user),
        url=calendar_feeds.current_app.config["BASE_URL"].rstrip("/") + url,
        form=form,
    )


@bp.post("/kalender/widerrufen")
@login_required
def revoke():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    calendar_feeds.revoke(current_user)
    flash(gettext("Die Kalenderadresse ist widerrufen; sie liefert keine Termine mehr."), "success")
    return redirect(url_for(".settings"))


@bp.get("/kalender/<token>.ics")
def feed(token: str):
    user = calendar_feeds.user_for(token)
    if user is None:
        abort(404)
    return Response(
        calendar_feeds.ics(user),
        mimetype="text/calendar",
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="antragsweg-fristen.ics"',
            "Cache-Control": "private, max-age=300",
            "Referrer-Policy": "no-referrer",
        },
    )
