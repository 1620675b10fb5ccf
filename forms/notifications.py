from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import InputRequired

from forms.base import CleanForm
from forms.fields import options

CHOICES = [
    ("immediate", _l("sofort (in der App und per E-Mail)")),
    ("digest", _l("in der Tagesübersicht (einmal am Tag)")),
]


def preferences_form(settings: list[dict], formdata=None):
    """One choice per kind of notification that needs no action (workflow.services.notifications
    .preferences gives them, with the current choice)."""

    class NotificationSettingsForm(CleanForm):
        pass

    for item in settings:
        setattr(
            NotificationSettingsForm,
            item["kind"],
            RadioField(
                item["label"],
                choices=options(CHOICES),
                default=item["delivery"],
                validate_choice=True,
                validators=[InputRequired(_l("Bitte wählen Sie „sofort“ oder „in der Tagesübersicht“."))],
            ),
        )
    form = NotificationSettingsForm(formdata=formdata)
    form.kinds = [item["kind"] for item in settings]
    return form
