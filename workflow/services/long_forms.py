"""The long form: saved as a draft section by section, its completeness, its two plans, and what
each person may see of it (partners never see salary details)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import percent
from workflow.lifecycle import APPLICANT, N_
from workflow.models import (
    Application,
    CostLine,
    FinancingLine,
    FundingObject,
    LongForm,
    LongFormPartner,
    Organisation,
    User,
)
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.models.event import log_event
from workflow.models.event_kinds import LONG_FORM_SAVED as SAVED
from workflow.models.long_form import (
    COST_CATEGORIES,
    ESF_GRANT,
    FINANCING_SOURCES,
    PERSONNEL,
    PRINCIPLES,
    SECTIONS_BY_KEY,
)
from workflow.permissions import LONG_FORM_DRAFT
from workflow.services import access, documents
from workflow.services.errors import InvalidTransition, NotAllowed, NotFound, RuleViolation
from workflow.services.lifecycle import lock

MAX_LINES = 60

# The columns each plain section saves.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "partners": ("other_partners",),
    "need": ("starting_situation", "objectives"),
    "target_groups": ("target_groups", "participants_planned"),
    "activities": ("activities", "start_on", "end_on"),
    "principles": tuple(PRINCIPLES),
    "indicators": ("indicator_participants", "indicator_women", "indicator_qualified", "indicator_notes"),
    "agency": ("agency_name", "agency_agreed_on", "agency_agreement"),
    "sustainability": ("sustainability",),
}


# The sections' text columns: they hold text, never NULL.
TEXT_COLUMNS = frozenset(
    column.name
    for column in LongForm.__table__.columns
    if isinstance(column.type, sa.String) and not column.nullable
)


def get_or_create(application: Application) -> LongForm:
    if application.long_form is None:
        application.long_form = LongForm(application_id=application.id, saved_sections=[])
        db.session.add(application.long_form)
        db.session.flush()
    return application.long_form


# What the sketch holds that the long form asks for again: sketch column → long form column.
CARRIED_TEXT = {
    "need": "starting_situation",
    "objectives": "objectives",
    "target_groups": "target_groups",
    "participants_planned": "participants_planned",
    "activities": "activities",
    "start_date": "start_on",
    "end_date": "end_on",
}
CARRIED = "carried_from_sketch"
CARRIED_GRANT_DESCRIPTION = "ESF+-Zuschuss (beantragte Förderung laut Projektskizze)"


def carry_sketch(application: Application, actor: User | None, data: dict) -> dict:
    """The invitation starts the long form with everything the sketch already holds, for the
    sponsor to check and complete: project partners, need, objectives, target groups and planned
    participants, activities, start and end (funding object, fields of action and districts are the
    application's own and stay as they are). The requested grant becomes the financing plan's ESF+
    line; the estimated total cost is kept as the cost plan's target but becomes no line (a cost
    line needs a category, and personnel its salary group, rate and hours, which the sketch does not
    have). The sketch itself is not touched. What was carried is recorded in the invitation's event.
    A long form that exists already (written before) is never overwritten."""
    if application.long_form is not None:
        return {}
    long_form = LongForm(application_id=application.id, saved_sections=[])
    fields: list[str] = []
    sketch = application.sketch
    for source, target in CARRIED_TEXT.items():
        value = getattr(sketch, source, None) if sketch is not None else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        setattr(long_form, target, value)
        fields.append(target)
    allowed = {o.id for o in partner_organisations(application)}
    partner_ids = sorted(
        {p.organisation_id for p in application.project_partners if p.organisation_id in allowed}
    )
    others = [p.name for p in application.project_partners if p.organisation_id is None and p.name]
    long_form.partner_rows = [LongFormPartner(organisation_id=i) for i in partner_ids]
    long_form.other_partners = "\n".join(others)
    if partner_ids or others:
        # The sketch named the partners: that section is filled as the sponsor wrote it.
        long_form.saved_sections = ["partners"]
        fields.append("project_partners")
    grant = application.requested_grant_cents or 0
    if grant > 0:
        long_form.financing_lines = [
            FinancingLine(
                position=1, source=ESF_GRANT, description=CARRIED_GRANT_DESCRIPTION, amount_cents=grant
            )
        ]
        fields.append("esf_grant")
    db.session.add(long_form)
    db.session.flush()
    application.long_form = long_form
    return {
        CARRIED: {
            "fields": fields,
            "partner_ids": partner_ids,
            "other_partners": others,
            "esf_grant_cents": grant or None,
            "sketch_total_cost_cents": application.total_cost_cents,
        }
    }


def carried(application: Application) -> dict | None:
    """What the invitation carried from the sketch into the long form: who, when, what."""
    from workflow.services.lifecycle import latest_transition

    event = latest_transition(application, "invite_long_form")
    record = (event.data or {}).get(CARRIED) if event else None
    if not record:
        return None
    return {
        "at": event.created_at,
        "by": f"{event.actor.name} ({event.actor.organisation.name})" if event.actor else "Antragsweg",
        "labels": carried_labels(record),
        "esf_grant_cents": record.get("esf_grant_cents"),
        "sketch_total_cost_cents": record.get("sketch_total_cost_cents"),
    }


CARRIED_LABELS = {
    "project_partners": N_("Projektpartner"),
    "starting_situation": N_("Ausgangslage und Bedarf"),
    "objectives": N_("Ziele"),
    "target_groups": N_("Zielgruppen"),
    "participants_planned": N_("geplante Teilnehmendenzahl"),
    "activities": N_("Maßnahmen"),
    "start_on": N_("Projektbeginn"),
    "end_on": N_("Projektende"),
    "esf_grant": N_("beantragte Förderung als ESF+-Zuschuss im Finanzierungsplan"),
}


def carried_labels(record: dict) -> list[str]:
    return [CARRIED_LABELS.get(name, name) for name in record.get("fields", [])]


def partner_organisations(application: Application) -> list[Organisation]:
    """The alliance partners a sponsor may name as project partners (not itself)."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.alliance_id == application.alliance_id,
                Organisation.kind == "partner",
                Organisation.id != application.applicant_organisation_id,
            )
            .order_by(Organisation.name)
        )
    )


def ensure_may_edit(user: User, application: Application) -> None:
    """NotAllowed for anyone but the sponsor; InvalidTransition for the sponsor outside the draft."""
    if access.may(user, "edit_long_form", application):
        return
    if (
        application.state not in LONG_FORM_DRAFT
        and user.role == APPLICANT
        and access.may(user, "view", application)
    ):
        raise InvalidTransition(
            _l("Die Langfassung kann nur im Status „Langfassung in Bearbeitung“ bearbeitet werden.")
        )
    raise NotAllowed(_l("Die Langfassung bearbeitet nur der Antragsteller."))


def save_section(application: Application, user: User, key: str, values: dict) -> LongForm:
    """Save one section of the draft. Raises NotAllowed/InvalidTransition/RuleViolation (German)."""
    return save_sections(application, user, {key: values})


def save_sections(application: Application, user: User, sections: dict[str, dict]) -> LongForm:
    """Save sections of the draft in one transaction (each recorded as an event)."""
    unknown = [key for key in sections if key not in SECTIONS_BY_KEY]
    if unknown:
        raise NotFound(_l("Diesen Abschnitt gibt es nicht."))
    try:
        lock(application)
        ensure_may_edit(user, application)
        long_form = get_or_create(application)
        for key, values in sections.items():
            _save_one(application, long_form, user, key, values)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return application.long_form


def _save_one(application: Application, long_form: LongForm, user: User, key: str, values: dict) -> None:
    recorded: dict = {"section": key}
    if key == "partners":
        _save_partners(application, long_form, values)
    if key == "classification":
        _save_classification(application, values)
    elif key == "costs":
        long_form.cost_lines = _cost_lines(values.get("lines", []))
        db.session.flush()
        recorded["cost_total"] = long_form.cost_total
    elif key == "financing":
        long_form.financing_lines = _financing_lines(values.get("lines", []))
        db.session.flush()
        recorded["financing_total"] = long_form.financing_total
    else:
        for name in SECTION_FIELDS.get(key, ()):
            if name in values:
                value = values[name]
                if value is None and name in TEXT_COLUMNS:
                    value = ""  # a text box that was not sent (or emptied): empty, never NULL
                setattr(long_form, name, value.strip() if isinstance(value, str) else value)
    _check(long_form)
    if key in ("costs", "financing"):
        # The application's figures follow the long form's plans.
        application.total_cost_cents = long_form.cost_total
        application.requested_grant_cents = long_form.esf_grant
    if key not in (long_form.saved_sections or []):
        long_form.saved_sections = [*(long_form.saved_sections or []), key]
    log_event(application, user, SAVED, **recorded)


def _check(long_form: LongForm) -> None:
    if long_form.start_on and long_form.end_on and long_form.end_on < long_form.start_on:
        raise RuleViolation(_l("Das Projektende muss nach dem Projektbeginn liegen."), field="end_on")
    for name in ("participants_planned", "indicator_participants", "indicator_women", "indicator_qualified"):
        value = getattr(long_form, name)
        if value is not None and value < 0:
            raise RuleViolation(_l("Zahlen dürfen nicht negativ sein."), field=name)
    if (
        long_form.indicator_women is not None
        and long_form.indicator_participants is not None
        and long_form.indicator_women > long_form.indicator_participants
    ):
        raise RuleViolation(
            _l("Es können nicht mehr Frauen teilnehmen als Teilnehmende insgesamt."), field="indicator_women"
        )


def _save_partners(application: Application, long_form: LongForm, values: dict) -> None:
    allowed = {o.id for o in partner_organisations(application)}
    chosen = set(values.get("partner_ids") or [])
    if not chosen <= allowed:
        raise RuleViolation(
            _l("Bitte wählen Sie nur Bündnispartner als Projektpartner."), field="partner_ids"
        )
    long_form.partner_rows = [LongFormPartner(organisation_id=i) for i in sorted(chosen)]


def _save_classification(application: Application, values: dict) -> None:
    fo_id = values.get("funding_object_id") or None
    if fo_id is not None:
        fo = db.session.get(FundingObject, fo_id)
        if fo is None or fo.alliance_id != application.alliance_id:
            raise RuleViolation(_l("Unbekannter Fördergegenstand."), field="funding_object_id")
    fields_of_action = values.get("fields_of_action") or []
    districts = values.get("districts") or []
    if not set(fields_of_action) <= set(FIELDS_OF_ACTION) or not set(districts) <= set(DISTRICTS):
        raise RuleViolation(_l("Ungültige Auswahl."), field="fields_of_action")
    application.funding_object_id = fo_id
    if sorted(application.fields_of_action) != sorted(fields_of_action):
        application.fields_of_action = fields_of_action
    if sorted(application.districts) != sorted(districts):
        application.districts = districts


def _amount(value, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleViolation(_l("%(what)s: Bitte geben Sie einen Betrag in Euro ein.", what=what))
    if value < 0:
        raise RuleViolation(_l("%(what)s: Der Betrag darf nicht negativ sein.", what=what))
    return value


def _cost_lines(lines: list[dict]) -> list[CostLine]:
    if len(lines) > MAX_LINES:
        raise RuleViolation(_l("Höchstens %(limit)s Zeilen.", limit=MAX_LINES))
    result = []
    for position, line in enumerate(lines, start=1):
        what = f"Kostenplan, Zeile {position}"
        category = line.get("category")
        if category not in COST_CATEGORIES:
            raise RuleViolation(_l("%(what)s: Bitte wählen Sie die Kostenart.", what=what))
        description = (line.get("description") or "").strip()
        if not description:
            raise RuleViolation(_l("%(what)s: Bitte geben Sie eine Bezeichnung ein.", what=what))
        if category == PERSONNEL:
            unit = _amount(line.get("unit_cost_cents"), what)
            hours = line.get("hours")
            salary_group = (line.get("salary_group") or "").strip()
            if not salary_group:
                raise RuleViolation(_l("%(what)s: Bitte geben Sie die Entgeltgruppe an.", what=what))
            if unit <= 0 or not isinstance(hours, int) or hours <= 0:
                raise RuleViolation(
                    _l(
                        "%(what)s: Personalausgaben brauchen den Stundensatz (Standardeinheitskosten) und die "
                        "Stunden.",
                        what=what,
                    )
                )
            result.append(
                CostLine(
                    position=position,
                    category=category,
                    description=description[:300],
                    salary_group=salary_group[:60],
                    unit_cost_cents=unit,
                    hours=hours,
                    amount_cents=unit * hours,
                )
            )
        else:
            result.append(
                CostLine(
                    position=position,
                    category=category,
                    description=description[:300],
                    amount_cents=_amount(line.get("amount_cents"), what),
                )
            )
    return result


def _financing_lines(lines: list[dict]) -> list[FinancingLine]:
    if len(lines) > MAX_LINES:
        raise RuleViolation(_l("Höchstens %(limit)s Zeilen.", limit=MAX_LINES))
    result = []
    for position, line in enumerate(lines, start=1):
        what = f"Finanzierungsplan, Zeile {position}"
        source = line.get("source")
        if source not in FINANCING_SOURCES:
            raise RuleViolation(_l("%(what)s: Bitte wählen Sie die Finanzierungsquelle.", what=what))
        description = (line.get("description") or "").strip() or FINANCING_SOURCES[source]
        result.append(
            FinancingLine(
                position=position,
                source=source,
                description=description[:300],
                amount_cents=_amount(line.get("amount_cents"), what),
            )
        )
    return result


# -- what people see ----------------------------------------------------------------------------


def overview(application: Application) -> dict:
    """Completeness: each applicable section, done or not with the reasons why not, and "4 von 9".
    Read from the long form's own rule (LongForm.section_problems), as `submit_long_form` is."""
    # Before the first save there is no long form yet: an empty one, not stored, answers the same.
    long_form = application.long_form or LongForm(saved_sections=[])
    items = []
    for s in long_form.applicable_sections(application):
        problems = long_form.section_problems(s.key, application)
        items.append({"key": s.key, "title": s.title, "complete": not problems, "problems": problems})
    done = sum(item["complete"] for item in items)
    return {"sections": items, "complete": done, "total": len(items)}


def plans(application: Application, user: User) -> dict | None:
    long_form = application.long_form
    if long_form is None:
        return None
    salaries = access.may(user, "see_salaries", application)
    max_rate = application.alliance.procedure.max_funding_rate_percent
    return {
        "show_details": salaries,
        "cost_lines": [
            {
                "category": line.category_label,
                "description": line.description,
                "salary_group": line.salary_group,
                "unit_cost_cents": line.unit_cost_cents,
                "hours": line.hours,
                "amount_cents": line.amount_cents,
            }
            for line in long_form.cost_lines
        ]
        if salaries
        else None,
        "cost_by_category": [(COST_CATEGORIES[k], v) for k, v in long_form.cost_by_category().items()],
        "financing_lines": [
            {"source": line.source_label, "description": line.description, "amount_cents": line.amount_cents}
            for line in long_form.financing_lines
        ],
        "financing_by_source": [
            (FINANCING_SOURCES[k], v) for k, v in long_form.financing_by_source().items()
        ],
        "cost_total": long_form.cost_total,
        "financing_total": long_form.financing_total,
        "difference": long_form.difference,
        "balanced": long_form.plans_balanced(),
        "funding_rate": percent(long_form.funding_rate()),
        "max_rate": max_rate,
        "rate_ok": long_form.funding_rate_within(max_rate),
    }


def content(application: Application, user: User) -> dict:
    """The long form as plain data for `user` (the read-only view)."""
    long_form = application.long_form
    data = {
        "overview": overview(application),
        "plans": plans(application, user),
        "editable": access.may(user, "edit_long_form", application),
        "fields": {},
        "project_partners": [],
        "documents": [],
    }
    if long_form is None:
        return data
    data["carried"] = carried(application)
    data["fields"] = {name: getattr(long_form, name) for names in SECTION_FIELDS.values() for name in names}
    data["project_partners"] = [row.organisation.name for row in long_form.partner_rows]
    data["needs_agency"] = any(s.key == "agency" for s in long_form.applicable_sections())
    if access.may(user, "see_salaries", application):
        data["documents"] = [
            {
                "id": d.id,
                "version": d.version,
                "filename": d.filename,
                "type": documents.TYPE_NAMES.get(d.media_type, d.media_type),
                "size_kb": max(1, d.size // 1024),
                "uploaded_at": d.uploaded_at,
            }
            for d in documents.versions(application, "long_form")
        ]
    return data


def store_document(application: Application, user: User, stream, filename: str | None):
    """NBank's own long-form document (PDF, DOCX or XLSX), checked by content, as a new version."""
    if not access.may(user, "edit_long_form", application):
        raise NotAllowed(_l("Das Formular der NBank lädt der Antragsteller während der Bearbeitung hoch."))
    upload = documents.inspect(stream, (documents.PDF, documents.DOCX, documents.XLSX))
    return documents.store(application, "long_form", upload, filename, user)
