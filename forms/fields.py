"""Fields the German way: amounts as 1.234,56 (stored as integer cents), several checkboxes."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field, SelectMultipleField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

# 1234 · 1234,5 · 1.234,56 · 1234.56 is refused (ambiguous in German); at most two decimals.
_EURO = re.compile(r"^\d{1,3}(\.\d{3})*(,\d{1,2})?$|^\d+(,\d{1,2})?$")
MAX_CENTS = 10**13  # 100 billion euros: anything larger is a typo


def parse_euro(text: str) -> int:
    """'1.234,56' → 123456 cents. Raises ValueError with a German message."""
    text = (text or "").strip().removesuffix("€").strip().replace("\u00a0", "").replace(" ", "")
    if text.startswith(("-", "−")):
        raise ValueError(_l("Der Betrag darf nicht negativ sein."))
    if not _EURO.match(text):
        raise ValueError(
            _l("Bitte geben Sie einen Betrag in Euro ein, z. B. 12.345,67 (höchstens zwei Nachkommastellen).")
        )
    try:
        cents = int(Decimal(text.replace(".", "").replace(",", ".")) * 100)
    except InvalidOperation as exc:  # pragma: no cover - the pattern rules it out
        raise ValueError(_l("Ungültiger Betrag.")) from exc
    if cents >= MAX_CENTS:
        raise ValueError(_l("Der Betrag ist zu groß."))
    return cents


class EuroField(Field):
    """An amount in euros and cents, entered as 1.234,56; `data` is integer cents (or None)."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        from workflow.formatting import euro_input

        return euro_input(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_euro(valuelist[0])
            except ValueError as exc:
                raise ValueError(str(exc)) from exc


class DayField(DateField):
    """A day (JJJJ-MM-TT, as `<input type="date">` sends it) within the days the procedure knows
    (rules.deadlines: 2000 to 2099), so that no later arithmetic overflows."""

    def pre_validate(self, form):
        from workflow.rules.deadlines import DAY_OUT_OF_RANGE, day_in_range

        if self.data is not None and not day_in_range(self.data):
            raise ValidationError(gettext(DAY_OUT_OF_RANGE))


class TimeOfDayField(TimeField):
    """A time of day (HH:MM); WTForms' own message for anything else is English only."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Bitte geben Sie eine gültige Uhrzeit an (HH:MM, z. B. 14:30).")) from exc


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # WTForms' own message here is English only.
        if self.validate_choice and self.data:
            allowed = {choice.value if hasattr(choice, "value") else choice[0] for choice in self.choices}
            if any(value not in allowed for value in self.data):
                raise ValidationError(_l("Keine gültige Auswahl. Bitte wählen Sie aus der Liste."))


def options(pairs) -> list[SelectChoice]:
    """Choices for select, radio and checkbox fields from (value, label) pairs or a dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value=value, label=label) for value, label in items]
