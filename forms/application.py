"""The application's own data, as the sponsor enters it (the sketch issue enriches this)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import EuroField, MultiCheckboxField, options
from workflow.models import DISTRICTS, FIELDS_OF_ACTION

TITLE_MAX, SUMMARY_MAX, PREFERRED_DATES_MAX = 200, 3000, 500


class ApplicationForm(CleanForm):
    title = StringField(
        _l("Projekttitel"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Projekttitel ein.")),
            Length(max=TITLE_MAX, message=_l("Höchstens %(max)d Zeichen.")),
        ],
    )
    summary = TextAreaField(
        _l("Projektidee in wenigen Sätzen"),
        validators=[Optional(), Length(max=SUMMARY_MAX, message=_l("Höchstens %(max)d Zeichen."))],
    )
    preferred_dates = TextAreaField(
        _l("Wunschtermine für das Beratungsgespräch"),
        validators=[
            Optional(),
            Length(max=PREFERRED_DATES_MAX, message=_l("Höchstens %(max)d Zeichen.")),
        ],
    )
    funding_object_id = SelectField(_l("Fördergegenstand"), coerce=int, validate_choice=True)
    fields_of_action = MultiCheckboxField(
        _l("Handlungsfelder"), choices=options(FIELDS_OF_ACTION), validate_choice=True
    )
    districts = MultiCheckboxField(
        _l("Landkreise"), choices=options((d, d) for d in DISTRICTS), validate_choice=True
    )
    total_cost_cents = EuroField(_l("Geschätzte Gesamtkosten (Euro)"), validators=[Optional()])
    requested_grant_cents = EuroField(_l("Beantragte Förderung (Euro)"), validators=[Optional()])

    def __init__(self, *args, funding_objects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.funding_object_id.choices = options(
            [(0, _l("– noch offen –"))] + [(fo.id, fo.label) for fo in funding_objects]
        )

    def validate_requested_grant_cents(self, field):
        total = self.total_cost_cents.data
        if field.data is not None and total is not None and field.data > total:
            raise ValidationError(_l("Die beantragte Förderung darf die Gesamtkosten nicht übersteigen."))

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "summary": (self.summary.data or "").strip(),
            "preferred_dates": (self.preferred_dates.data or "").strip(),
            "funding_object_id": self.funding_object_id.data or None,
            "fields_of_action": self.fields_of_action.data or [],
            "districts": self.districts.data or [],
            "total_cost_cents": self.total_cost_cents.data,
            "requested_grant_cents": self.requested_grant_cents.data,
        }
