"""Committee sessions: scheduling, minutes, and recording an agenda item's ballots."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import DayField, MultiCheckboxField, TimeOfDayField, options
from workflow.rules import deadlines
from workflow.rules.voting import CHOICE_LABELS, CRITERIA, REJECT

DATE_INVALID = _l("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ).")
TIME_INVALID = _l("Bitte geben Sie die Uhrzeit an (HH:MM).")


class SessionForm(CleanForm):
    day = DayField(_l("Datum"), validators=[InputRequired(DATE_INVALID)], format="%Y-%m-%d")
    starts = TimeOfDayField(_l("Beginn"), validators=[InputRequired(TIME_INVALID)])
    place = StringField(
        _l("Ort oder Link der Videokonferenz"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Ort oder den Link an.")),
            Length(max=500, message=_l("Höchstens 500 Zeichen.")),
        ],
    )
    agenda = TextAreaField(
        _l("Tagesordnung"), validators=[Optional(), Length(max=10000, message=_l("Höchstens 10000 Zeichen."))]
    )

    def validate_day(self, field):
        if field.data and deadlines.is_past_day(field.data):  # Berlin's day (services/sessions.py too)
            raise ValidationError(_l("Eine Sitzung kann nicht in der Vergangenheit geplant werden."))


class CancelSessionForm(CleanForm):
    reason = TextAreaField(
        _l("Grund der Absage"),
        validators=[
            DataRequired(_l("Bitte nennen Sie den Grund der Absage.")),
            Length(max=2000, message=_l("Höchstens 2000 Zeichen.")),
        ],
    )


class PastSessionForm(CleanForm):
    """A session that took place without being planned in the app, recorded afterwards."""

    day = DayField(_l("Datum der Sitzung"), validators=[InputRequired(DATE_INVALID)], format="%Y-%m-%d")
    starts = TimeOfDayField(_l("Beginn"), validators=[InputRequired(TIME_INVALID)])
    place = StringField(
        _l("Ort oder Link der Videokonferenz"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Ort oder den Link an.")),
            Length(max=500, message=_l("Höchstens 500 Zeichen.")),
        ],
    )
    agenda = TextAreaField(
        _l("Tagesordnung"), validators=[Optional(), Length(max=10000, message=_l("Höchstens 10000 Zeichen."))]
    )
    minutes = TextAreaField(
        _l("Protokoll der Sitzung"),
        validators=[Optional(), Length(max=50000, message=_l("Höchstens 50000 Zeichen."))],
    )
    application_ids = MultiCheckboxField(_l("Abstimmungen, über die die Sitzung beraten hat"), coerce=int)

    def __init__(self, *args, applications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.application_ids.choices = options((a.id, f"{a.reference} – {a.title}") for a in applications)

    def validate_day(self, field):
        if field.data and deadlines.is_future_day(field.data):
            raise ValidationError(_l("Eine Sitzung, die noch bevorsteht, planen Sie über „Sitzung planen“."))


class MinutesForm(CleanForm):
    minutes = TextAreaField(
        _l("Protokoll der Sitzung"),
        validators=[
            DataRequired(_l("Bitte geben Sie das Protokoll ein.")),
            Length(max=50000, message=_l("Höchstens 50000 Zeichen.")),
        ],
    )


RATING_CHOICES = options([("", _l("–"))] + [(str(n), str(n)) for n in range(1, 6)])


def record_form(organisations):
    """A form with one group per eligible partner: present or absent, and its ballot."""

    class RecordForm(CleanForm):
        close = BooleanField(_l("Abstimmung nach dem Erfassen schließen"), default=True)

        def entries(self) -> list[dict]:
            result = []
            for org in organisations:
                present = self[f"p{org.id}_attendance"].data == "present"
                entry = {"organisation_id": org.id, "present": present}
                if present and self[f"p{org.id}_choice"].data:
                    entry["choice"] = self[f"p{org.id}_choice"].data
                    entry["comment"] = self[f"p{org.id}_comment"].data
                    for name in CRITERIA:
                        value = self[f"p{org.id}_{name}"].data
                        entry[name] = int(value) if value else None
                result.append(entry)
            return result

        def groups(self):
            for org in organisations:
                yield {
                    "name": org.name,
                    "attendance": self[f"p{org.id}_attendance"],
                    "choice": self[f"p{org.id}_choice"],
                    "comment": self[f"p{org.id}_comment"],
                    "ratings": [self[f"p{org.id}_{name}"] for name in CRITERIA],
                }

    for org in organisations:
        prefix = f"p{org.id}"

        def _needs_comment(form, field, prefix=prefix):
            if form[f"{prefix}_choice"].data == REJECT and not (field.data or "").strip():
                raise ValidationError(_l("Eine Ablehnung muss begründet werden."))

        setattr(
            RecordForm,
            f"{prefix}_attendance",
            RadioField(
                _l("Anwesenheit"),
                choices=options([("present", "anwesend"), ("absent", "abwesend")]),
                default="absent",
                validators=[InputRequired(_l("Bitte anwesend oder abwesend wählen."))],
            ),
        )
        setattr(
            RecordForm,
            f"{prefix}_choice",
            SelectField(
                _l("Votum"), choices=options([("", _l("– kein Votum –")), *CHOICE_LABELS.items()]), default=""
            ),
        )
        setattr(
            RecordForm,
            f"{prefix}_comment",
            TextAreaField(_l("Kommentar"), validators=[Optional(), Length(max=5000), _needs_comment]),
        )
        for name, label in CRITERIA.items():
            setattr(RecordForm, f"{prefix}_{name}", SelectField(label, choices=RATING_CHOICES, default=""))
    return RecordForm
