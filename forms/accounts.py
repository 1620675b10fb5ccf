"""Registration, setting and resetting a password, inviting people."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from forms.base import CleanForm
from forms.fields import options
from workflow.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")
EMAIL = [
    DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
    Length(max=254, message=_l("Höchstens 254 Zeichen.")),
    Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse ein.")),
]


def _new_password():
    return PasswordField(
        _l("Passwort"),
        validators=[
            DataRequired(_l("Bitte wählen Sie ein Passwort.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Das Passwort muss mindestens %(min)d und darf höchstens %(max)d Zeichen haben."),
            ),
        ],
    )


def _repeat():
    return PasswordField(
        _l("Passwort wiederholen"),
        validators=[EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein."))],
    )


def _text(label: str, max_length: int, required: bool = True, area: bool = False):
    validators = [DataRequired(REQUIRED)] if required else [Optional()]
    validators.append(Length(max=max_length, message=_l("Höchstens %(max)d Zeichen.")))
    return (TextAreaField if area else StringField)(label, validators=validators)


class RegistrationForm(CleanForm):
    # Only when the instance holds several alliances and the address named none (views/accounts.py).
    alliance = SelectField(
        _l("Bündnis, bei dem Sie Ihr Projekt einreichen"),
        validators=[
            DataRequired(_l("Bitte wählen Sie das Bündnis, bei dem Sie Ihr Projekt einreichen möchten."))
        ],
        validate_choice=True,
    )
    organisation_name = _text(_l("Name der Organisation"), 200)
    legal_form = _text("Rechtsform (z. B. gGmbH, e. V.)", 100)
    address = _text(_l("Anschrift (Straße, PLZ, Ort)"), 500, area=True)
    contact_person = _text(_l("Ansprechperson für das Projekt"), 200)
    name = _text("Ihr Name", 200)
    email = EmailField(_l("E-Mail-Adresse"), validators=EMAIL)
    password = _new_password()
    password_repeat = _repeat()

    def __init__(self, *args, alliances=(), **kwargs):
        super().__init__(*args, **kwargs)
        if alliances:
            self.alliance.choices = options(
                [("", _l("– bitte wählen –"))] + [(a.slug, a.name) for a in alliances]
            )
        else:
            del self.alliance  # nothing to choose: the address or the only alliance decides


class ForgotPasswordForm(CleanForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=EMAIL)


class SetPasswordForm(CleanForm):
    password = _new_password()
    password_repeat = _repeat()


class InviteForm(CleanForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=EMAIL)
    name = _text("Name", 200)
    role = SelectField(_l("Rolle"), validate_choice=True)
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=True)
    new_organisation = _text("Oder neue Organisation (Name)", 200, required=False)

    def __init__(self, *args, roles=(), organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = options(roles)
        self.organisation_id.choices = options([(0, _l("– neue Organisation –"))] + list(organisations))
