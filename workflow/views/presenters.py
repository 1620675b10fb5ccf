"""Plain data for templates: the timeline of an application, told in the page's language."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext

from forms.transitions import FORMS
from workflow import formatting
from workflow.lifecycle import N_, STATES_BY_NAME, TRIGGERS_BY_NAME
from workflow.models import DOCUMENT_KINDS, Application, Event, Organisation, User
from workflow.models.event_kinds import BALLOT_CAST, CREATED, RECUSAL, label_of
from workflow.models.statement import DECISIONS
from workflow.models.vote import OUTCOME_LABELS
from workflow.rules.voting import CHOICE_LABELS, CRITERIA, MODE_LABELS
from workflow.votes.queries import ballot_as_seen
from workflow.votes.to_session import REASON_LABELS

# Labels of recorded values that are not fields of a trigger's form.
EXTRA_LABELS = {
    "tally": N_("Ergebnis"),
    "outcome": N_("Ergebnis der Abstimmung"),
    "deadline": N_("Frist"),
    "deadline_days": N_("Fristlänge (Kalendertage)"),
    "deadline_counted": N_("Rechnerisches Fristende (kein Werktag, daher verschoben)"),
    "choice": N_("Votum"),
    "comment": N_("Kommentar"),
    "reason": N_("Grund"),
    "title": N_("Titel"),
    "changed": N_("Geänderte Angaben"),
    "filename": N_("Datei"),
    "pages": N_("Seiten"),
    "session": N_("Sitzung"),
    "section": N_("Abschnitt"),
    "cost_total": N_("Summe Kostenplan"),
    "financing_total": N_("Summe Finanzierungsplan"),
    "present": N_("Anwesend"),
    "absent": N_("Abwesend"),
    "statement_reference": N_("Stellungnahme"),
    "statement_version": N_("Fassung"),
    "sha256": N_("Prüfwert (SHA-256)"),
    "budget_remaining_cents": N_("Verbleibendes Budget vor der Stellungnahme"),
    "replaces": N_("Ersetzt"),
    "correction_reason": N_("Grund der Berichtigung"),
    "kind": N_("Dokumentart"),
    "version": N_("Fassung"),
    "carried_from_sketch": N_("Aus der Skizze in die Langfassung übernommen"),
    **CRITERIA,
}
DECISION_LABELS = DECISIONS
CHANGED_LABELS = {
    "title": N_("Titel"),
    "summary": N_("Projektidee"),
    "funding_object_id": N_("Fördergegenstand"),
    "total_cost_cents": N_("Gesamtkosten"),
    "requested_grant_cents": N_("Beantragte Förderung"),
    "fields_of_action": N_("Handlungsfelder"),
    "districts": N_("Landkreise"),
    "preferred_dates": N_("Wunschtermine"),
    "need": N_("Ausgangslage und Bedarf"),
    "objectives": N_("Ziele"),
    "target_groups": N_("Zielgruppen"),
    "participants_planned": N_("Geplante Teilnehmendenzahl"),
    "activities": N_("Maßnahmen und Aktivitäten"),
    "start_date": N_("Projektbeginn"),
    "end_date": N_("Projektende"),
    "project_partners": N_("Projektpartner"),
}


def _label(trigger: str | None, key: str) -> str:
    form = FORMS.get(trigger) if trigger else None
    if form is not None and key in form.__dict__:
        return form.__dict__[key].args[0]
    return gettext(EXTRA_LABELS[key]) if key in EXTRA_LABELS else key


def _value(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nein")
    if key in ("amount_granted", "cost_total", "financing_total", "budget_remaining_cents"):
        return formatting.money(value)
    if key == "document" and isinstance(value, dict):
        return gettext(
            "%(filename)s (Fassung %(version)s, SHA-256 %(sha256)s)",
            filename=value.get("filename"),
            version=value.get("version"),
            sha256=value.get("sha256"),
        )
    if key == "carried_from_sketch" and isinstance(value, dict):
        from workflow.services.long_forms import carried_labels

        text = ", ".join(gettext(label) for label in carried_labels(value)) or gettext(
            "nichts (die Skizze enthielt keine Angaben dazu)"
        )
        if value.get("esf_grant_cents"):
            text += f" ({formatting.money(value['esf_grant_cents'])})"
        return text
    if key == "mode":
        return gettext(MODE_LABELS[value]) if value in MODE_LABELS else value
    if key == "decision":
        return gettext(DECISION_LABELS[value]) if value in DECISION_LABELS else value
    if key == "outcome":
        return gettext(OUTCOME_LABELS[value]) if value in OUTCOME_LABELS else value
    if key == "choice":
        return gettext(CHOICE_LABELS[value]) if value in CHOICE_LABELS else value
    if key == "tally" and isinstance(value, dict):
        summary = formatting.tally_summary(value)
        if "quorum_reached" not in value:  # a tally recorded without it (older or imported data)
            return summary
        if value["quorum_reached"]:
            return gettext("%(tally)s (Quorum erreicht)", tally=summary)
        return gettext("%(tally)s (Quorum nicht erreicht)", tally=summary)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return formatting.local_date(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _vote_and_long_form_event(kind: str, data: dict, organisations: dict) -> tuple[str, dict]:
    from workflow.models.long_form import SECTIONS_BY_KEY

    def names(ids):
        return ", ".join(organisations[i].name for i in ids if i in organisations) or "—"

    if kind == "objection":
        org = organisations.get(data.get("organisation_id"))
        return gettext("Widerspruch gegen das Umlaufverfahren: %(organisation)s", organisation=org.name if org else ""), {
            "reason": data.get("reason")
        }
    if kind == "moved_to_session":
        reason = data.get("reason")
        return gettext("Abstimmung in die Sitzung verlegt"), {
            "reason": gettext(REASON_LABELS[reason]) if reason in REASON_LABELS else reason,
            "session": data.get("session"),
        }
    if kind == "session_record":
        return gettext("Ergebnis der Sitzung erfasst"), {
            "session": data.get("session"),
            "present": names(data.get("present", [])),
            "absent": names(data.get("absent", [])),
        }
    section = SECTIONS_BY_KEY.get(data.get("section"))
    shown = {"section": gettext(section.title) if section else data.get("section")}
    for key in ("cost_total", "financing_total"):
        if key in data:
            shown[key] = data[key]
    return gettext("Langfassung gespeichert"), shown


def organisations_named(events: list[Event]) -> set[int]:
    """The organisations the timeline names (ballots, recusals, objections, session records)."""
    ids: set[int] = set()
    for event in events:
        data = event.data or {}
        if isinstance(data.get("organisation_id"), int):
            ids.add(data["organisation_id"])
        for key in ("present", "absent"):
            ids.update(i for i in data.get(key) or () if isinstance(i, int))
    return ids


def timeline(
    application: Application,
    events: list[Event],
    organisations: dict[int, Organisation],
    user: User,
) -> list[dict]:
    """One entry per event, oldest first. Of a ballot, what `user` may see of it in its own vote
    (votes/queries.ballot_as_seen)."""
    votes_by_id = {v.id: v for v in application.votes}
    entries = []
    for event in events:
        actor: User | None = event.actor
        entry = {
            "id": event.id,
            "when": formatting.page_datetime(event.created_at),
            "when_iso": event.created_at.isoformat(timespec="seconds"),
            "who": f"{actor.name} ({actor.organisation.name})" if actor else gettext("Antragsweg (automatisch)"),
            "from": gettext(STATES_BY_NAME[event.from_state].label) if event.from_state else None,
            "to": gettext(STATES_BY_NAME[event.to_state].label) if event.to_state else None,
            "items": [],
        }
        data = dict(event.data or {})
        if event.kind == CREATED:
            entry["what"] = gettext(label_of(CREATED))
        elif event.kind == "updated":
            entry["what"] = gettext("Angaben bearbeitet")
            data = {
                "changed": ", ".join(
                    gettext(CHANGED_LABELS[k]) if k in CHANGED_LABELS else k for k in data.get("changed", [])
                )
            }
        elif event.kind == "document_uploaded":
            label = DOCUMENT_KINDS.get(data.get("kind"))
            kind = gettext(label) if label else data.get("kind")
            entry["what"] = gettext(
                "Dokument hochgeladen: %(kind)s, Fassung %(version)s", kind=kind, version=data.get("version")
            )
            data = {"filename": data.get("filename"), "pages": data.get("pages")}
        elif event.kind == BALLOT_CAST:
            org = organisations.get(data.get("organisation_id"))
            entry["what"] = gettext(
                "Votum abgegeben für %(organisation)s",
                organisation=org.name if org else gettext("eine Partnerorganisation"),
            )
            data = ballot_as_seen(user, votes_by_id.get(data.get("vote_id")), data)
            data.pop("organisation_id", None)
            data.pop("vote_id", None)
            if data.pop("session_id", None):
                entry["what"] += " " + gettext("(in der Sitzung erfasst)")
        elif event.kind in ("objection", "moved_to_session", "session_record", "long_form_saved"):
            entry["what"], data = _vote_and_long_form_event(event.kind, data, organisations)
        elif event.kind == RECUSAL:
            org = organisations.get(data.get("organisation_id"))
            entry["what"] = gettext(
                "Befangenheit erklärt: %(organisation)s", organisation=org.name if org else ""
            )
            data = {"reason": data.get("reason")}
        else:
            trigger = TRIGGERS_BY_NAME.get(event.trigger)
            entry["what"] = gettext(trigger.label) if trigger else gettext(label_of(event.kind))
            data.pop("session_id", None)  # shown as "session" (date and place)
            data.pop("recused", None)  # the vote panel names the recused partners
        entry["items"] = [
            (_label(event.trigger, key), _value(key, value))
            for key, value in data.items()
            if value is not None and value != ""
        ]
        entries.append(entry)
    return entries
