"""The chooser of the figures page: a calendar year or one of the alliance's funding periods (a GET
form: no CSRF token, bookmarkable, the exports take the same parameters)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from forms.base import CleanInput
from forms.fields import options
from workflow.models import FundingPeriod
from workflow.rules import deadlines

YEAR_INVALID = "Bitte geben Sie das Jahr als Zahl zwischen 2000 und 2099 an."
PERIOD_INVALID = "Diesen Förderzeitraum gibt es in Ihrem Bündnis nicht."


class SpanForm(CleanInput, Form):
    jahr = IntegerField(_l("Kalenderjahr"), validators=[Optional(), NumberRange(2000, 2099, YEAR_INVALID)])
    zeitraum = SelectField(_l("oder Förderzeitraum"), default="")

    def __init__(self, formdata, periods: list[FundingPeriod] = (), **kwargs):
        super().__init__(formdata, **kwargs)
        self.periods = {str(p.id): p for p in periods}
        self.zeitraum.choices = options(
            [("", _l("— keiner (Kalenderjahr) —"))] + [(str(p.id), p.name) for p in periods]
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.jahr.errors:
            self.jahr.errors = [YEAR_INVALID]
        if self.zeitraum.errors:
            self.zeitraum.errors = [PERIOD_INVALID]
        return ok

    def year(self) -> int:
        return self.jahr.data or deadlines.today().year

    def period(self) -> FundingPeriod | None:
        return self.periods.get(self.zeitraum.data or "")
