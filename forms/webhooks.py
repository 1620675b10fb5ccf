from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import MultiCheckboxField, options
from workflow.models.event_kinds import SUBSCRIPTIONS
from workflow.models.webhook import RECEIVER_KINDS


class WebhookForm(CleanForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen an.")),
            Length(max=100, message=_l("Höchstens 100 Zeichen.")),
        ],
    )
    url = StringField(
        _l("Adresse des Empfängers (https://…)"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Adresse an.")),
            Length(max=1000, message=_l("Höchstens 1000 Zeichen.")),
            URL(require_tld=False, message=_l("Bitte geben Sie eine vollständige Adresse mit https:// an.")),
        ],
    )
    kind = RadioField(
        _l("Art"),
        choices=options(RECEIVER_KINDS),
        default="generic",
        validators=[InputRequired(_l("Bitte wählen Sie die Art."))],
    )
    events = MultiCheckboxField(_l("Ereignisse"), choices=options(SUBSCRIPTIONS), validate_choice=True)
    secret = PasswordField(
        _l("Geheimnis für die Signatur (leer lassen: wird erzeugt)"),
        validators=[Optional(), Length(min=16, max=200, message=_l("Zwischen 16 und 200 Zeichen."))],
    )

    def validate_events(self, field):
        if not field.data:
            raise ValidationError(_l("Bitte wählen Sie mindestens ein Ereignis."))
