"""The alliance's own settings: rules of procedure, committee, partners and representatives."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, ValidationError

from forms.base import CleanForm
from forms.fields import MultiCheckboxField, options

NUMBER = _l("Bitte geben Sie eine ganze Zahl ein.")
REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")


class WholeNumberField(IntegerField):
    """An integer with a German message when the input is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(NUMBER) from exc


def _days(label: str, low: int, high: int) -> IntegerField:
    return WholeNumberField(
        label,
        validators=[InputRequired(NUMBER), NumberRange(low, high, _l("Zwischen %(min)s und %(max)s."))],
    )


def _day_list(form, field):
    try:
        days = [int(part) for part in (field.data or "").replace(";", ",").split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationError(
            _l("Bitte Tage als Zahlen angeben, durch Komma getrennt (z. B. 3, 1).")
        ) from exc
    if not days or any(not 0 <= d <= 365 for d in days):
        raise ValidationError(_l("Bitte Tage von 0 bis 365 angeben, durch Komma getrennt (z. B. 3, 1)."))
    field.days = days


class ProcedureForm(CleanForm):
    committee_name = StringField(
        _l("Name des Gremiums"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )
    assessment_days = _days(_l("Frist für die Ersteinschätzung der Skizze (Kalendertage)"), 1, 90)
    statement_days = _days(
        _l("Frist für Rückmeldung und Stellungnahme zur Langfassung (Kalendertage)"), 1, 90
    )
    circulation_days = _days("Dauer eines Umlaufverfahrens (Kalendertage)", 1, 60)
    quorum_percent = _days(
        _l("Quorum: Anteil der stimmberechtigten Partner, die abstimmen müssen (%)"), 1, 100
    )
    secret_while_open = RadioField(
        _l("Während der Abstimmung sehen die Partner"),
        choices=options(
            [("1", "nur, wer abgestimmt hat (geheim bis zum Schluss)"), ("0", "auch, wie abgestimmt wurde")]
        ),
        validators=[InputRequired(_l("Bitte wählen Sie eine Möglichkeit."))],
    )
    attributed_comments = RadioField(
        _l("Kommentare der Partner in der Stellungnahme"),
        choices=options([("1", _l("mit Namen der Organisation")), ("0", "anonymisiert")]),
        validators=[InputRequired(_l("Bitte wählen Sie eine Möglichkeit."))],
    )
    max_funding_rate_percent = _days(_l("Höchster Fördersatz (%)"), 1, 100)
    reminder_days = StringField(
        _l("Erinnerungen vor einer Frist (Tage vorher, durch Komma getrennt)"), validators=[_day_list]
    )
    revision_reminder_days = StringField(
        _l("Erinnerung an eine erbetene Überarbeitung (Tage nach der Bitte, durch Komma getrennt)"),
        validators=[_day_list],
    )
    statement_needed = MultiCheckboxField(
        _l("Fördergegenstände, die eine Stellungnahme des Bündnisses brauchen")
    )

    def __init__(self, *args, funding_objects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.statement_needed.choices = options(
            (str(fo.number), f"{fo.number} {fo.name}") for fo in funding_objects
        )
        self._numbers = [fo.number for fo in funding_objects]

    def rules(self) -> dict:
        return {
            "assessment_days": self.assessment_days.data,
            "statement_days": self.statement_days.data,
            "circulation_days": self.circulation_days.data,
            "quorum_percent": self.quorum_percent.data,
            "secret_while_open": self.secret_while_open.data == "1",
            "attributed_comments": self.attributed_comments.data == "1",
            "max_funding_rate_percent": self.max_funding_rate_percent.data,
            "reminder_days": self.reminder_days.days,
            "revision_reminder_days": self.revision_reminder_days.days,
        }

    def statement_map(self) -> dict[int, bool]:
        chosen = {int(v) for v in self.statement_needed.data or []}
        return {n: n in chosen for n in self._numbers}


class PartnerForm(CleanForm):
    name = StringField(
        _l("Name der Partnerorganisation"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )


class RepresentativeForm(CleanForm):
    organisation = SelectField(_l("Organisation"), coerce=int, validate_choice=True)
    name = StringField(
        _l("Name"), validators=[DataRequired(REQUIRED), Length(max=200, message=_l("Höchstens 200 Zeichen."))]
    )
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."), check_deliverability=False),
        ],
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = options((o.id, o.name) for o in organisations)


class ConfirmForm(CleanForm):
    """A button that changes something (CSRF only)."""
