"""The signing certificate's upload (settings page) and the public authenticity page's two ways
to check a document: upload the PDF, or type its reference and check code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import CleanForm


class SigningCertificateForm(CleanForm):
    file = FileField(
        _l("Zertifikat mit privatem Schlüssel (PKCS#12: .p12 oder .pfx)"),
        validators=[FileRequired(_l("Bitte wählen Sie die Zertifikatsdatei aus."))],
    )
    password = PasswordField(
        _l("Passwort der Zertifikatsdatei"),
        validators=[Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )


class CheckFileForm(CleanForm):
    file = FileField(
        _l("PDF-Datei der Stellungnahme oder des Schreibens"),
        validators=[FileRequired(_l("Bitte wählen Sie die PDF-Datei aus."))],
    )


class CheckCodeForm(CleanForm):
    reference = StringField(
        _l("Aktenzeichen"),
        validators=[
            DataRequired(_l("Bitte geben Sie das Aktenzeichen ein.")),
            Length(max=60, message=_l("Ein Aktenzeichen hat höchstens 60 Zeichen.")),
        ],
    )
    code = StringField(
        _l("Prüfcode"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Prüfcode ein.")),
            Length(max=40, message=_l("Ein Prüfcode hat 12 Zeichen (mit Bindestrichen 14).")),
        ],
    )
