"""The structured project sketch (DESIGN.md "What a long form holds", short version).

Limits keep it to about three printed pages; the page shows each limit and what is used of it, and
the browser stops typing at the limit (maxlength) without any JavaScript. Everything is optional
while it is a draft, except the title; completeness is the guard's business at submission.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import DayField, EuroField, MultiCheckboxField, options
from workflow.models import DISTRICTS, FIELDS_OF_ACTION

# Characters per text; together about three pages of A4.
LIMITS = {
    "title": 200,
    "summary": 1200,
    "need": 1500,
    "objectives": 1200,
    "target_groups": 800,
    "activities": 2000,
    "other_partners": 1000,
}
MAX_OTHER_PARTNERS = 15
MAX_PARTICIPANTS = 100_000


def _newlines(value):
    """Browsers send a line break as two characters but count it as one against maxlength."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _limited(label: str, name: str, field=TextAreaField, required: bool = False):
    limit = LIMITS[name]
    validators = [DataRequired(_l("Bitte geben Sie einen Projekttitel ein."))] if required else [Optional()]
    validators.append(
        Length(
            max=limit,
            message=_l(
                "„%(label)s“ darf höchstens %(limit)s Zeichen haben.",
                label=label,
                limit=f"{limit:,}".replace(",", "."),
            ),
        )
    )
    return field(label, validators=validators, filters=[_newlines])


class SketchForm(CleanForm):
    title = _limited("Projekttitel", "title", StringField, required=True)
    funding_object_id = SelectField(_l("Fördergegenstand"), coerce=int, validate_choice=True, default=0)
    fields_of_action = MultiCheckboxField(
        _l("Handlungsfelder"), choices=options(FIELDS_OF_ACTION), validate_choice=True
    )
    districts = MultiCheckboxField(
        _l("Landkreise"), choices=options((d, d) for d in DISTRICTS), validate_choice=True
    )
    summary = _limited("Kurzbeschreibung", "summary")
    need = _limited(_l("Ausgangslage und Bedarf"), "need")
    objectives = _limited("Ziele", "objectives")
    target_groups = _limited("Zielgruppen", "target_groups")
    participants_planned = IntegerField(
        _l("Geplante Teilnehmendenzahl"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_PARTICIPANTS,
                message=_l(
                    "Bitte eine Zahl von 0 bis %(limit)s.", limit=f"{MAX_PARTICIPANTS:,}".replace(",", ".")
                ),
            ),
        ],
    )
    activities = _limited(_l("Maßnahmen und Aktivitäten"), "activities")
    partner_organisation_ids = MultiCheckboxField(
        _l("Projektpartner aus dem Bündnis"), coerce=int, validate_choice=True
    )
    other_partners = _limited(_l("Weitere Projektpartner (eine Organisation je Zeile)"), "other_partners")
    start_date = DayField(_l("Projektbeginn"), validators=[Optional()], format="%Y-%m-%d")
    end_date = DayField(_l("Projektende"), validators=[Optional()], format="%Y-%m-%d")
    total_cost_cents = EuroField(_l("Geschätzte Gesamtkosten (Euro)"), validators=[Optional()])
    requested_grant_cents = EuroField(_l("Beantragte Förderung (Euro)"), validators=[Optional()])
    sketch_pdf = FileField(_l("Projektskizze als PDF (höchstens 3 Seiten, 10 MB)"), validators=[Optional()])

    def __init__(self, *args, funding_objects=(), partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.funding_object_id.choices = options(
            [(0, _l("– noch offen –"))] + [(fo.id, fo.label) for fo in funding_objects]
        )
        self.partner_organisation_ids.choices = options((o.id, o.name) for o in partners)

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("Das Projektende darf nicht vor dem Projektbeginn liegen."))

    def validate_requested_grant_cents(self, field):
        total = self.total_cost_cents.data
        if field.data is not None and total is not None and field.data > total:
            raise ValidationError(_l("Die beantragte Förderung darf die Gesamtkosten nicht übersteigen."))

    def validate_other_partners(self, field):
        if len(self.other_partner_names()) > MAX_OTHER_PARTNERS:
            raise ValidationError(
                gettext(
                    "Bitte nennen Sie höchstens %(count)s weitere Projektpartner.", count=MAX_OTHER_PARTNERS
                )
            )
        if any(len(name) > 200 for name in self.other_partner_names()):
            raise ValidationError(_l("Ein Organisationsname darf höchstens 200 Zeichen haben."))

    def other_partner_names(self) -> list[str]:
        return [line.strip() for line in (self.other_partners.data or "").splitlines() if line.strip()]

    def values(self) -> dict:
        text = {
            name: (self[name].data or "").strip()
            for name in ("summary", "need", "objectives", "target_groups", "activities")
        }
        return {
            "title": self.title.data.strip(),
            **text,
            "funding_object_id": self.funding_object_id.data or None,
            "fields_of_action": self.fields_of_action.data or [],
            "districts": self.districts.data or [],
            "participants_planned": self.participants_planned.data,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "total_cost_cents": self.total_cost_cents.data,
            "requested_grant_cents": self.requested_grant_cents.data,
            "partner_organisation_ids": self.partner_organisation_ids.data or [],
            "other_partners": self.other_partner_names(),
        }
