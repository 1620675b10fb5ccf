"""A funding period of the alliance: its name, first and last day and budget (the coordinator's
page /budget/zeitraeume; the rules are services/budget.save_period's)."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length

from forms.base import CleanForm
from forms.fields import DayField, EuroField

DATE_INVALID = "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."


class FundingPeriodForm(CleanForm):
    name = StringField(
        "Bezeichnung",
        validators=[
            DataRequired("Bitte geben Sie die Bezeichnung des Förderzeitraums an."),
            Length(max=100, message="Höchstens 100 Zeichen."),
        ],
    )
    starts_on = DayField("Erster Tag", validators=[InputRequired(DATE_INVALID)], format="%Y-%m-%d")
    ends_on = DayField("Letzter Tag", validators=[InputRequired(DATE_INVALID)], format="%Y-%m-%d")
    budget_cents = EuroField(
        "Budget (Euro)",
        validators=[InputRequired("Bitte geben Sie das Budget in Euro an, z. B. 2.340.000,00.")],
    )

    def values(self) -> dict:
        return {name: self[name].data for name in ("name", "starts_on", "ends_on", "budget_cents")}
