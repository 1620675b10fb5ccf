from wtforms import StringField
from wtforms.validators import DataRequired, Length

from forms.base import CleanForm


class TokenForm(CleanForm):
    name = StringField(
        "Wofür ist das Token? (z. B. „Teams-Workflow“ oder „Fachverfahren Landkreis“)",
        validators=[
            DataRequired("Bitte geben Sie dem Token einen Namen."),
            Length(max=100, message="Höchstens 100 Zeichen."),
        ],
    )
