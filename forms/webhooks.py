from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import MultiCheckboxField, options
from workflow.models.event_kinds import SUBSCRIPTIONS
from workflow.models.webhook import RECEIVER_KINDS


class WebhookForm(CleanForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Bitte geben Sie einen Namen an."),
            Length(max=100, message="Höchstens 100 Zeichen."),
        ],
    )
    url = StringField(
        "Adresse des Empfängers (https://…)",
        validators=[
            DataRequired("Bitte geben Sie die Adresse an."),
            Length(max=1000, message="Höchstens 1000 Zeichen."),
            URL(require_tld=False, message="Bitte geben Sie eine vollständige Adresse mit https:// an."),
        ],
    )
    kind = RadioField(
        "Art",
        choices=options(RECEIVER_KINDS),
        default="generic",
        validators=[InputRequired("Bitte wählen Sie die Art.")],
    )
    events = MultiCheckboxField("Ereignisse", choices=options(SUBSCRIPTIONS), validate_choice=True)
    secret = PasswordField(
        "Geheimnis für die Signatur (leer lassen: wird erzeugt)",
        validators=[Optional(), Length(min=16, max=200, message="Zwischen 16 und 200 Zeichen.")],
    )

    def validate_events(self, field):
        if not field.data:
            raise ValidationError("Bitte wählen Sie mindestens ein Ereignis.")
