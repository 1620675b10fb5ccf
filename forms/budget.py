"""A funding period of the alliance: its name, first and last day and budget (the coordinator's
page /budget/zeitraeume; the rules are services/budget.save_period's)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length

from forms.base import CleanForm
from forms.fields import DayField, EuroField

DATE_INVALID = _l("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ).")


class FundingPeriodForm(CleanForm):
    name = StringField(
        _l("Bezeichnung"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Bezeichnung des Förderzeitraums an.")),
            Length(max=100, message=_l("Höchstens 100 Zeichen.")),
        ],
    )
    starts_on = DayField(_l("Erster Tag"), validators=[InputRequired(DATE_INVALID)], format="%Y-%m-%d")
    ends_on = DayField(_l("Letzter Tag"), validators=[InputRequired(DATE_INVALID)], format="%Y-%m-%d")
    budget_cents = EuroField(
        _l("Budget (Euro)"),
        validators=[InputRequired(_l("Bitte geben Sie das Budget in Euro an, z. B. 2.340.000,00."))],
    )

    def values(self) -> dict:
        return {name: self[name].data for name in ("name", "starts_on", "ends_on", "budget_cents")}
