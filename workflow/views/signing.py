"""The alliance's signing certificate on the settings page (install from PKCS#12, remove), and the
coordinator's warning on the start page when it expires within 30 days."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from forms.settings import ConfirmForm
from forms.signing import SigningCertificateForm
from workflow.services import signing
from workflow.services.errors import RuleViolation
from workflow.views.panels import panel
from workflow.views.settings import _alliance, _render

bp = Blueprint("signing", __name__)


def settings_data(alliance, form: SigningCertificateForm | None = None) -> dict:
    """The settings page's section: the installed certificate, the upload form, the remove button."""
    return {
        "certificate": signing.summary(alliance.id),
        "form": form or SigningCertificateForm(prefix="signing"),
        "confirm": ConfirmForm(prefix="signing-remove"),
    }


@bp.post("/einstellungen/signaturzertifikat")
@login_required
def install():
    alliance = _alliance()
    form = SigningCertificateForm(prefix="signing")
    if form.validate_on_submit():
        try:
            signing.install(
                alliance,
                current_user,
                form.file.data.stream.read(signing.MAX_PKCS12_BYTES + 1),
                form.password.data or "",
            )
        except RuleViolation as refusal:
            form.file.errors = [*form.file.errors, *refusal.messages]
        else:
            flash(
                gettext("Das Signaturzertifikat ist installiert. Neue Dokumente werden damit signiert."),
                "success",
            )
            return redirect(url_for("settings.index") + "#signatur", 303)
    return _render(alliance, 422, signing_form=form)


@bp.post("/einstellungen/signaturzertifikat/entfernen")
@login_required
def remove():
    alliance = _alliance()
    if not ConfirmForm(prefix="signing-remove").validate_on_submit():
        abort(400)
    if signing.remove(alliance, current_user):
        flash(
            gettext("Das Signaturzertifikat ist entfernt. Neue Dokumente werden unsigniert ausgestellt."),
            "success",
        )
    return redirect(url_for("settings.index") + "#signatur", 303)


@panel("signing_certificate", "signing/_panel.html", order=1, roles=("coordinator",))
def _expiry_panel(user) -> dict | None:
    warning = signing.expiry_warning(user.alliance_id)
    return {"warning": warning} if warning else None
