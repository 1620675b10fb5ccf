from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from forms.base import CleanForm


def _account_email() -> EmailField:
    return EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
            Length(max=254),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse ein.")),
        ],
    )


class LoginForm(CleanForm):
    email = _account_email()
    password = PasswordField(
        _l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")), Length(max=200)]
    )


class SignInLinkForm(CleanForm):
    """On the login page beside the password form, with the prefix "link" (ids stay unique)."""

    email = _account_email()


class CodeForm(CleanForm):
    code = StringField(
        _l("Sechsstelliger Code aus Ihrer Authenticator-App"),
        validators=[DataRequired(_l("Bitte geben Sie den Code ein.")), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
