from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from forms.base import CleanForm


class TokenForm(CleanForm):
    name = StringField(
        _l("Wofür ist das Token? (z. B. „Teams-Workflow“ oder „Fachverfahren Landkreis“)"),
        validators=[
            DataRequired(_l("Bitte geben Sie dem Token einen Namen.")),
            Length(max=100, message=_l("Höchstens 100 Zeichen.")),
        ],
    )
