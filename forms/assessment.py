"""The first assessment's internal forms: a consultation, read access for a party, a comment."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.base import CleanForm
from forms.fields import DayField

REQUIRED = "Bitte füllen Sie dieses Feld aus."


class ConsultationNoteForm(CleanForm):
    party = StringField(
        "Mit wem (Stelle und Person)",
        validators=[DataRequired(REQUIRED), Length(max=300, message="Höchstens 300 Zeichen.")],
    )
    held_on = DayField(
        "Wann",
        validators=[InputRequired("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ).")],
        format="%Y-%m-%d",
    )
    statement = TextAreaField(
        "Was wurde gesagt",
        validators=[DataRequired(REQUIRED), Length(max=5000, message="Höchstens 5000 Zeichen.")],
    )


class GrantAccessForm(CleanForm):
    organisation_id = SelectField("Stelle", coerce=int, validate_choice=True)
    question = TextAreaField(
        "Frage an die Stelle", validators=[Optional(), Length(max=2000, message="Höchstens 2000 Zeichen.")]
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = list(organisations)


class CommentForm(CleanForm):
    body = TextAreaField(
        "Ihr Kommentar (für den Projektträger nicht sichtbar)",
        validators=[DataRequired(REQUIRED), Length(max=5000, message="Höchstens 5000 Zeichen.")],
    )
