"""The correction of an issued statement (a new version naming the one it replaces)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.base import CleanForm

TEXT_MAX = 5000


def _text(label: str, required: bool = False) -> TextAreaField:
    validators = [DataRequired(_l("Bitte füllen Sie dieses Feld aus."))] if required else [Optional()]
    validators.append(Length(max=TEXT_MAX, message=_l("Höchstens %(max)d Zeichen.")))
    return TextAreaField(label, validators=validators)


class CorrectStatementForm(CleanForm):
    replaces_version = HiddenField()
    correction_reason = _text(_l("Grund der Berichtigung"), required=True)
    statement = _text(_l("Begründung der Stellungnahme"), required=True)
    conditions = _text(_l("Auflagen und Bedingungen"))
    recommendations = _text("Empfehlungen")
    requested_changes = _text(_l("Gewünschte Änderungen (bei Überarbeitung)"))

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
