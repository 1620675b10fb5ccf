"""The first assessment's internal forms: a consultation, read access for a party, a comment."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.base import CleanForm
from forms.fields import DayField

REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")


class ConsultationNoteForm(CleanForm):
    party = StringField(
        _l("Mit wem (Stelle und Person)"),
        validators=[DataRequired(REQUIRED), Length(max=300, message=_l("Höchstens 300 Zeichen."))],
    )
    held_on = DayField(
        _l("Wann"),
        validators=[InputRequired(_l("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."))],
        format="%Y-%m-%d",
    )
    statement = TextAreaField(
        _l("Was wurde gesagt"),
        validators=[DataRequired(REQUIRED), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))],
    )


class GrantAccessForm(CleanForm):
    organisation_id = SelectField(_l("Stelle"), coerce=int, validate_choice=True)
    question = TextAreaField(
        _l("Frage an die Stelle"),
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen."))],
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = list(organisations)


class CommentForm(CleanForm):
    body = TextAreaField(
        _l("Ihr Kommentar (für den Projektträger nicht sichtbar)"),
        validators=[DataRequired(REQUIRED), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))],
    )
