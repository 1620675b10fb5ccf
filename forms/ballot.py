from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from forms.base import CleanForm
from forms.fields import options
from workflow.rules.voting import CHOICE_LABELS, CRITERIA, REJECT

RATING_CHOICES = options((str(n), str(n)) for n in range(1, 6))


class BallotForm(CleanForm):
    choice = RadioField(
        _l("Ihr Votum"),
        choices=options(CHOICE_LABELS),
        validators=[InputRequired(_l("Bitte wählen Sie Zustimmung, Ablehnung oder Enthaltung."))],
    )
    # The organisation the ballot is for: always the voter's own (a different one is refused).
    organisation_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    # Required only with a reject: the label says "Kommentar", the hint when it is needed (never
    # "erforderlich" and "optional" side by side); validate_comment holds the rule.
    comment = TextAreaField(
        _l("Kommentar"),
        description=_l("Bei einer Ablehnung erforderlich, bei Zustimmung oder Enthaltung freiwillig."),
        validators=[Optional(), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))],
    )

    def validate_comment(self, field):
        if self.choice.data == REJECT and not (field.data or "").strip():
            raise ValidationError(_l("Eine Ablehnung muss begründet werden."))

    def ratings(self) -> dict[str, int | None]:
        return {name: int(self[name].data) if self[name].data else None for name in CRITERIA}


# One 1–5 radio group per criterion of DESIGN.md.
for _name, _label in CRITERIA.items():
    setattr(
        BallotForm,
        _name,
        RadioField(_label, choices=RATING_CHOICES, validators=[Optional()], validate_choice=True),
    )


class ObjectionForm(CleanForm):
    reason = TextAreaField(
        _l("Begründung des Widerspruchs"),
        validators=[
            InputRequired(_l("Bitte begründen Sie Ihren Widerspruch.")),
            Length(max=2000, message=_l("Höchstens 2000 Zeichen.")),
        ],
    )


class ConflictForm(CleanForm):
    reason = TextAreaField(
        _l("Grund der Befangenheit"),
        validators=[
            InputRequired(_l("Bitte nennen Sie den Grund der Befangenheit.")),
            Length(max=2000, message=_l("Höchstens 2000 Zeichen.")),
        ],
    )
