"""Committee sessions: plan, agenda, minutes (recording an agenda item's ballots and the partners'
objection to a circulation: workflow/votes/views.py)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.sessions import CancelSessionForm, MinutesForm, PastSessionForm, SessionForm
from workflow.downloads import send_pdf
from workflow.rules.deadlines import BERLIN
from workflow.services import access, session_papers, sessions
from workflow.services.errors import RuleViolation
from workflow.views import navigation
from workflow.votes import timing

bp = Blueprint("sessions", __name__)

navigation.register(_l("Sitzungen"), "sessions.index", ("coordinator", "partner", "observer"), order=30)


def _session(session_id: int):
    return sessions.get(session_id, current_user)  # NotFound (404) when not visible


@bp.get("/sitzungen")
@login_required
def index():
    if not sessions.can_view(current_user):
        abort(403)
    rows = [
        {"session": s, "items": len(sessions.agenda_items(s)), "past": sessions.is_past(s)}
        for s in sessions.list_for(current_user)
    ]
    return render_template("sessions/index.html", rows=rows, may_plan=current_user.is_coordinator)


@bp.route("/sitzungen/neu", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.is_coordinator:
        abort(403)
    form = SessionForm()
    status = 200
    if form.validate_on_submit():
        starts_at = datetime.combine(form.day.data, form.starts.data, tzinfo=BERLIN)
        try:
            session = sessions.schedule(current_user, starts_at, form.place.data, form.agenda.data)
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            flash(gettext("Die Sitzung ist geplant; die Bündnispartner sind eingeladen."), "success")
            return redirect(url_for(".show", session_id=session.id), 303)
    elif form.errors:
        status = 422
    return render_template("sessions/new.html", form=form), status


@bp.route("/sitzungen/nachtragen", methods=["GET", "POST"])
@login_required
def enter_past():
    """A session that took place without being planned here: recorded afterwards."""
    if not current_user.is_coordinator:
        abort(403)
    today = datetime.now(BERLIN).date()
    form = PastSessionForm(applications=sessions.attachable_votes(current_user.alliance_id, today))
    status = 200
    if form.validate_on_submit():
        starts_at = datetime.combine(form.day.data, form.starts.data, tzinfo=BERLIN)
        try:
            session = sessions.enter_past(
                current_user,
                starts_at,
                form.place.data,
                form.agenda.data,
                form.minutes.data,
                form.application_ids.data or [],
            )
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            flash(
                gettext("Die Sitzung ist nachgetragen. Erfassen Sie nun je Antrag Anwesenheit und Voten."),
                "success",
            )
            return redirect(url_for(".show", session_id=session.id), 303)
    elif form.errors:
        status = 422
    return render_template("sessions/enter_past.html", form=form), status


@bp.route("/sitzungen/<int:session_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    """Move a session (day, time, place) or change its agenda before it takes place."""
    session = _session(session_id)
    if not current_user.is_coordinator:
        abort(403)
    sessions.ensure_changeable(session)
    local = session.starts_at.astimezone(BERLIN)
    form = SessionForm(
        data={"day": local.date(), "starts": local.time(), "place": session.place, "agenda": session.agenda}
    )
    status = 200
    if form.validate_on_submit():
        starts_at = datetime.combine(form.day.data, form.starts.data, tzinfo=BERLIN)
        try:
            changed = sessions.reschedule(session, current_user, starts_at, form.place.data, form.agenda.data)
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            flash(
                gettext("Die Sitzung ist geändert; die Bündnispartner sind informiert.")
                if changed
                else gettext("Es wurde nichts geändert."),
                "success" if changed else "info",
            )
            return redirect(url_for(".show", session_id=session.id), 303)
    elif form.errors:
        status = 422
    return render_template("sessions/edit.html", form=form, session=session), status


@bp.post("/sitzungen/<int:session_id>/absagen")
@login_required
def cancel(session_id: int):
    session = _session(session_id)
    if not current_user.is_coordinator:
        abort(403)
    form = CancelSessionForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            moved = sessions.cancel(session, current_user, form.reason.data)
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
        else:
            message = gettext("Die Sitzung ist abgesagt; die Bündnispartner sind informiert.")
            if moved:
                message += " " + ngettext(
                    "%(num)d Antrag steht nun auf der Tagesordnung der nächsten Sitzung.",
                    "%(num)d Anträge stehen nun auf der Tagesordnung der nächsten Sitzung.",
                    moved,
                )
            flash(message, "success")
            return redirect(url_for(".show", session_id=session.id), 303)
    return _render_show(session, cancel_form=form, status=422)


@bp.get("/sitzungen/<int:session_id>")
@login_required
def show(session_id: int):
    return _render_show(_session(session_id))


def _render_show(session, minutes_form=None, cancel_form=None, status: int = 200):
    items = []
    for application in sessions.agenda_items(session):
        vote = application.current_vote
        items.append(
            {
                "application": application,
                "visible": access.can_view(current_user, application),
                "status": timing.STATUS_LABELS[timing.status(vote)] if vote else "",
                "outcome": vote.outcome_label if vote else None,
                "may_record": current_user.is_coordinator
                and vote is not None
                and vote.is_open
                and vote.session_id == session.id
                and sessions.is_past(session),
            }
        )
    form = minutes_form or MinutesForm(data={"minutes": session.minutes or ""})
    return render_template(
        "sessions/show.html",
        session=session,
        items=items,
        past=sessions.is_past(session) and not session.cancelled,
        minutes_form=form,
        cancel_form=cancel_form or CancelSessionForm(prefix="cancel"),
        may_edit=current_user.is_coordinator,
        may_change=current_user.is_coordinator and sessions.may_change(session),
        history=session_history(session),
        has_minutes=session_papers.has_minutes(session),
    ), status


def session_history(session) -> list[dict]:
    """The session's own events as its page lists them (the texts: services/sessions.describe)."""
    return [
        {
            "what": sessions.describe(event),
            "when": event.created_at,
            "who": f"{event.actor.name} ({event.actor.organisation.name})" if event.actor else "Antragsweg",
        }
        for event in sessions.history(session)
    ]


@bp.get("/sitzungen/<int:session_id>/einladung.pdf")
@login_required
def invitation_pdf(session_id: int):
    session = _session(session_id)
    data = session_papers.invitation_pdf(session, current_user)
    return send_pdf(data, session_papers.file_name(session_papers.INVITATION_FILE, session))


@bp.get("/sitzungen/<int:session_id>/protokoll.pdf")
@login_required
def minutes_pdf(session_id: int):
    session = _session(session_id)
    if not session_papers.has_minutes(session):
        abort(404)
    data = session_papers.minutes_pdf(session, current_user)
    return send_pdf(data, session_papers.file_name(session_papers.MINUTES_FILE, session))


@bp.post("/sitzungen/<int:session_id>/protokoll")
@login_required
def minutes(session_id: int):
    session = _session(session_id)
    if not current_user.is_coordinator:
        abort(403)
    form = MinutesForm()
    if form.validate_on_submit():
        sessions.save_minutes(session, current_user, form.minutes.data)
        flash(gettext("Das Protokoll ist gespeichert."), "success")
        return redirect(url_for(".show", session_id=session.id), 303)
    return _render_show(session, minutes_form=form, status=422)
