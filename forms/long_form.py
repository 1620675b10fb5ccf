"""The long form's sections, one form each. A draft may be saved incomplete: these forms check the
shape of what is entered; completeness is the long form's own rule (models/long_form.py)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import DayField, EuroField, MultiCheckboxField, options
from workflow.models import DISTRICTS, FIELDS_OF_ACTION
from workflow.models.long_form import COST_CATEGORIES, FINANCING_SOURCES, PERSONNEL, PRINCIPLES

TEXT_MAX = 10000
BLANK_LINES = 3


def _text(label: str, max_length: int = TEXT_MAX) -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=max_length, message=_l("Höchstens %(max)d Zeichen."))]
    )


def _count(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=1_000_000, message=_l("Bitte eine Zahl ab 0 eingeben.")),
        ],
    )


def _date(label: str) -> DayField:
    return DayField(label, validators=[Optional()], format="%Y-%m-%d")


class SectionForm(CleanForm):
    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class PartnersForm(SectionForm):
    partner_ids = MultiCheckboxField(
        _l("Bündnispartner als Projektpartner"), coerce=int, validate_choice=True
    )
    other_partners = _text(_l("Weitere Projektpartner (außerhalb des Bündnisses)"), 3000)

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_ids.choices = options((o.id, o.name) for o in partners)

    def values(self) -> dict:
        return {"partner_ids": self.partner_ids.data or [], "other_partners": self.other_partners.data or ""}


class ClassificationForm(SectionForm):
    funding_object_id = SelectField(_l("Fördergegenstand"), coerce=int, validate_choice=True)
    fields_of_action = MultiCheckboxField(
        _l("Handlungsfelder"), choices=options(FIELDS_OF_ACTION), validate_choice=True
    )
    districts = MultiCheckboxField(
        _l("Landkreise"), choices=options((d, d) for d in DISTRICTS), validate_choice=True
    )

    def __init__(self, *args, funding_objects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.funding_object_id.choices = options(
            [(0, _l("– noch offen –"))] + [(fo.id, fo.label) for fo in funding_objects]
        )

    def values(self) -> dict:
        return {
            "funding_object_id": self.funding_object_id.data or None,
            "fields_of_action": self.fields_of_action.data or [],
            "districts": self.districts.data or [],
        }


class NeedForm(SectionForm):
    starting_situation = _text(_l("Ausgangslage und Bedarf"))
    objectives = _text("Ziele des Projekts")


class TargetGroupsForm(SectionForm):
    target_groups = _text("Zielgruppen")
    participants_planned = _count("Geplante Teilnehmende (Anzahl)")


class ActivitiesForm(SectionForm):
    activities = _text(_l("Maßnahmen und Meilensteine"))
    start_on = _date("Projektbeginn")
    end_on = _date("Projektende")

    def validate_end_on(self, field):
        if field.data and self.start_on.data and field.data < self.start_on.data:
            raise ValidationError(_l("Das Projektende muss nach dem Projektbeginn liegen."))


class PrinciplesForm(SectionForm):
    pass


for _name, _label in PRINCIPLES.items():
    setattr(PrinciplesForm, _name, _text(_label, 5000))


class IndicatorsForm(SectionForm):
    indicator_participants = _count("Teilnehmende insgesamt (Zielwert)")
    indicator_women = _count("davon Frauen (Zielwert)")
    indicator_qualified = _count(_l("Teilnehmende mit Qualifikation nach Austritt (Zielwert)"))
    indicator_notes = _text(_l("Erläuterungen zu den Indikatoren"), 3000)


class AgencyForm(SectionForm):
    agency_name = StringField(
        _l("Agentur für Arbeit oder Jobcenter"),
        validators=[Optional(), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )
    agency_agreed_on = _date("Abgestimmt am")
    agency_agreement = _text(_l("Inhalt der Abstimmung"), 5000)


class SustainabilityForm(SectionForm):
    sustainability = _text(_l("Nachhaltigkeit nach Förderende"))


# -- the plans: one row per line, blank rows for new lines (no JavaScript needed) ----------------


class _LineForm(Form):
    class Meta:
        locales = ("de_DE", "de")  # WTForms' own messages in German (rows are not FlaskForms)


class CostLineForm(_LineForm):
    # The domain checks the category (a blank row has none); the select only offers valid ones.
    category = SelectField(
        _l("Kostenart"),
        choices=options([("", _l("– Kostenart –")), *COST_CATEGORIES.items()]),
        default="",
        validate_choice=False,
    )
    description = StringField(
        _l("Bezeichnung"), validators=[Optional(), Length(max=300, message=_l("Höchstens 300 Zeichen."))]
    )
    salary_group = StringField(
        _l("Entgeltgruppe"), validators=[Optional(), Length(max=60, message=_l("Höchstens 60 Zeichen."))]
    )
    unit_cost_cents = EuroField(_l("Stundensatz (Standardeinheitskosten, Euro)"), validators=[Optional()])
    hours = IntegerField(
        _l("Stunden"),
        validators=[Optional(), NumberRange(min=1, max=100_000, message=_l("Stunden von 1 bis 100.000."))],
    )
    amount_cents = EuroField(_l("Betrag (Euro)"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not any(
            [
                self.category.data,
                (self.description.data or "").strip(),
                (self.salary_group.data or "").strip(),
                self.unit_cost_cents.data is not None,
                self.hours.data is not None,
                self.amount_cents.data is not None,
            ]
        )

    def line(self) -> dict:
        line = {"category": self.category.data, "description": self.description.data or ""}
        if self.category.data == PERSONNEL:
            line |= {
                "salary_group": self.salary_group.data,
                "unit_cost_cents": self.unit_cost_cents.data,
                "hours": self.hours.data,
            }
        else:
            line["amount_cents"] = self.amount_cents.data
        return line


class FinancingLineForm(_LineForm):
    source = SelectField(
        _l("Quelle"),
        choices=options([("", _l("– Quelle –")), *FINANCING_SOURCES.items()]),
        default="",
        validate_choice=False,
    )
    description = StringField(
        _l("Bezeichnung"), validators=[Optional(), Length(max=300, message=_l("Höchstens 300 Zeichen."))]
    )
    amount_cents = EuroField(_l("Betrag (Euro)"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (
            self.source.data or (self.description.data or "").strip() or self.amount_cents.data is not None
        )

    def line(self) -> dict:
        return {
            "source": self.source.data,
            "description": self.description.data or "",
            "amount_cents": self.amount_cents.data,
        }


class CostPlanForm(SectionForm):
    lines = FieldList(FormField(CostLineForm), min_entries=BLANK_LINES, max_entries=60)

    def values(self) -> dict:
        return {"lines": [entry.form.line() for entry in self.lines if not entry.form.is_blank()]}


class FinancingPlanForm(SectionForm):
    lines = FieldList(FormField(FinancingLineForm), min_entries=BLANK_LINES, max_entries=60)

    def values(self) -> dict:
        return {"lines": [entry.form.line() for entry in self.lines if not entry.form.is_blank()]}


SECTION_FORMS: dict[str, type[SectionForm]] = {
    "partners": PartnersForm,
    "classification": ClassificationForm,
    "need": NeedForm,
    "target_groups": TargetGroupsForm,
    "activities": ActivitiesForm,
    "costs": CostPlanForm,
    "financing": FinancingPlanForm,
    "principles": PrinciplesForm,
    "indicators": IndicatorsForm,
    "agency": AgencyForm,
    "sustainability": SustainabilityForm,
}


def line_errors(form) -> list[str]:
    """The errors of a plan's rows, as "Zeile 2, Betrag (Euro): …"."""
    messages = []
    for number, entry in enumerate(form.lines, start=1):
        for field in entry.form:
            for error in field.errors:
                messages.append(
                    gettext(
                        "Zeile %(number)s, %(label)s: %(error)s",
                        number=number,
                        label=field.label.text,
                        error=error,
                    )
                )
    return messages


class LongFormDocumentForm(CleanForm):
    file = FileField(
        _l("Langfassung im Formular der NBank (PDF, DOCX oder XLSX, höchstens 10 MB)"),
        validators=[FileRequired(_l("Bitte wählen Sie eine Datei aus."))],
    )
