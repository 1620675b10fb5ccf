"""One form per lifecycle trigger, with exactly the fields that trigger records (lifecycle.py).

A test holds each form's fields to its trigger's `records`. Forms check the shape of the data;
the rules (guards) are the domain's.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.base import CleanForm
from forms.fields import DayField, EuroField, options
from workflow.rules import deadlines, nbank

TEXT_MAX = 5000
REQUIRED_TEXT = _l("Bitte füllen Sie dieses Feld aus.")
DATE_INVALID = _l("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ).")


def _text(label: str, required: bool = True, max_length: int = TEXT_MAX) -> TextAreaField:
    validators = [DataRequired(REQUIRED_TEXT)] if required else [Optional()]
    validators.append(Length(max=max_length, message=_l("Höchstens %(max)d Zeichen.")))
    return TextAreaField(label, validators=validators)


def _date(label: str, required: bool = True) -> DayField:
    validators = [InputRequired(DATE_INVALID)] if required else [Optional()]
    return DayField(label, validators=validators, format="%Y-%m-%d")


def _not_in_future(form, field):
    if field.data and deadlines.is_future_day(field.data):
        raise ValidationError(_l("Das Datum darf nicht in der Zukunft liegen."))


class TransitionForm(CleanForm):
    """Base: a form whose data (without the CSRF token) is what the event records."""

    def recorded(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class RecordConsultationForm(TransitionForm):
    consultation_date = DayField(
        _l("Datum des Beratungsgesprächs"),
        validators=[InputRequired(DATE_INVALID), _not_in_future],
        format="%Y-%m-%d",
    )
    participants = StringField(
        _l("Teilnehmende des Gesprächs"),
        validators=[DataRequired(REQUIRED_TEXT), Length(max=500, message=_l("Höchstens 500 Zeichen."))],
    )
    notes = _text(_l("Notizen zum Gespräch"))
    recommendation = _text(_l("Empfehlung an den Projektträger"), required=False, max_length=2000)


class SubmitSketchForm(TransitionForm):
    pass


class StartAssessmentForm(TransitionForm):
    pass


class RequestSketchRevisionForm(TransitionForm):
    reason = _text(_l("Was soll überarbeitet werden?"))


class InviteLongFormForm(TransitionForm):
    parties_consulted = StringField(
        _l("Beteiligte Stellen (z. B. NBank, MS, Bündnispartner)"),
        validators=[DataRequired(REQUIRED_TEXT), Length(max=500, message=_l("Höchstens 500 Zeichen."))],
    )
    fundable = BooleanField(_l("Förderfähig nach der Richtlinie"))
    fits_strategy = BooleanField(_l("Passt zur Strategie des Bündnisses"))
    notes = _text("Hinweise an den Antragsteller", required=False)


class DeclineSketchForm(TransitionForm):
    reason = _text(_l("Begründung"))


class SubmitLongFormForm(TransitionForm):
    pass


class RequestLongFormRevisionForm(TransitionForm):
    deficiencies = _text(_l("Formale Mängel"))


class OpenVoteForm(TransitionForm):
    mode = RadioField(
        _l("Verfahren"),
        choices=options(
            [
                ("circulation", _l("Umlaufverfahren (online, mit Frist)")),
                ("session", "In einer Sitzung des Gremiums"),
            ]
        ),
        validators=[InputRequired(_l("Bitte wählen Sie das Verfahren."))],
    )
    deadline = _date("Frist des Umlaufverfahrens", required=False)
    session_id = SelectField(_l("Sitzung"), coerce=int, default=0, validate_choice=True)

    def __init__(self, *args, sessions=(), committee: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_id.choices = options([(0, _l("– bitte wählen –")), *sessions])
        if committee:  # the alliance's own committee, by name
            self.mode.choices = options(
                [
                    ("circulation", _l("Umlaufverfahren (online, mit Frist)")),
                    ("session", _l("In der Sitzung (%(committee)s)", committee=committee)),
                ]
            )
            self.session_id.label.text = _l("Sitzung (%(committee)s)", committee=committee)

    def validate_deadline(self, field):
        if self.mode.data == "circulation" and not field.data:
            raise ValidationError(_l("Bitte geben Sie die Frist des Umlaufverfahrens an."))
        if self.mode.data == "circulation" and not deadlines.is_future_day(field.data):
            raise ValidationError(_l("Die Frist muss in der Zukunft liegen."))

    def validate_session_id(self, field):
        if self.mode.data == "session" and not field.data:
            raise ValidationError(_l("Bitte wählen Sie die Sitzung (oder planen Sie zuerst eine)."))

    def recorded(self) -> dict:
        data = super().recorded()
        data["session_id"] = data["session_id"] or None
        if data["mode"] != "circulation":
            data["deadline"] = None
        return data


class CloseVoteForm(TransitionForm):
    pass


class IssueStatementForm(TransitionForm):
    decision = RadioField(
        _l("Entscheidung"),
        choices=options(
            [
                ("endorse", "Positive Stellungnahme"),
                ("revise", _l("Überarbeitung der Langfassung erbitten")),
                ("reject", "Negative Stellungnahme"),
            ]
        ),
        validators=[InputRequired(_l("Bitte wählen Sie die Entscheidung."))],
    )
    statement = _text(_l("Begründung der Stellungnahme"))
    conditions = _text(_l("Auflagen und Bedingungen"), required=False)
    recommendations = _text("Empfehlungen", required=False)
    requested_changes = _text(_l("Gewünschte Änderungen (bei Überarbeitung)"), required=False)
    budget_confirmed = BooleanField(
        _l(
            "Ich bestätige ausdrücklich, dass die positive Stellungnahme das verbleibende Budget überschreitet."
        )
    )


class PassWithoutVoteForm(TransitionForm):
    note = _text("Vermerk")


def _pdf(label: str) -> FileField:
    return FileField(label, validators=[FileRequired(_l("Bitte laden Sie das Dokument als PDF-Datei hoch."))])


def _nbank_reference_format(form, field):
    if field.data and not nbank.valid_reference(field.data):
        raise ValidationError(
            gettext(
                "Das Aktenzeichen der NBank hat nicht das erwartete Format: Programmkürzel, Jahr und "
                "laufende Nummer, z. B. %(example)s.",
                example=nbank.REFERENCE_EXAMPLE,
            )
        )


class RecordNbankSubmissionForm(TransitionForm):
    nbank_reference = StringField(
        _l("Aktenzeichen der NBank"),
        validators=[
            DataRequired(REQUIRED_TEXT),
            Length(max=40, message=_l("Höchstens 40 Zeichen.")),
            _nbank_reference_format,
        ],
        filters=[lambda value: nbank.normalise_reference(value) if value else value],
    )
    submitted_on = DayField(
        _l("Eingereicht am"), validators=[InputRequired(DATE_INVALID), _not_in_future], format="%Y-%m-%d"
    )
    document = _pdf(_l("Antrag bei der NBank (PDF)"))


class RecordGrantForm(TransitionForm):
    granted_on = DayField(
        _l("Datum des Zuwendungsbescheids"),
        validators=[InputRequired(DATE_INVALID), _not_in_future],
        format="%Y-%m-%d",
    )
    amount_granted = EuroField(
        _l("Bewilligter Betrag (Euro)"), validators=[InputRequired(_l("Bitte geben Sie den Betrag ein."))]
    )
    funded_from = _date("Bewilligungszeitraum von")
    funded_until = _date("Bewilligungszeitraum bis")
    document = _pdf("Zuwendungsbescheid (PDF)")

    def validate_funded_until(self, field):
        if field.data and self.funded_from.data and field.data <= self.funded_from.data:
            raise ValidationError(_l("Das Ende des Bewilligungszeitraums muss nach seinem Beginn liegen."))


class RecordNbankDeclineForm(TransitionForm):
    declined_on = DayField(
        _l("Datum der Ablehnung"), validators=[InputRequired(DATE_INVALID), _not_in_future], format="%Y-%m-%d"
    )
    reason = _text(_l("Begründung der NBank"))
    document = _pdf(_l("Ablehnungsbescheid der NBank (PDF)"))


class WithdrawForm(TransitionForm):
    reason = _text(_l("Grund des Rückzugs"))


FORMS: dict[str, type[TransitionForm]] = {
    "record_consultation": RecordConsultationForm,
    "submit_sketch": SubmitSketchForm,
    "start_assessment": StartAssessmentForm,
    "request_sketch_revision": RequestSketchRevisionForm,
    "invite_long_form": InviteLongFormForm,
    "decline_sketch": DeclineSketchForm,
    "submit_long_form": SubmitLongFormForm,
    "request_long_form_revision": RequestLongFormRevisionForm,
    "open_vote": OpenVoteForm,
    "close_vote": CloseVoteForm,
    "issue_statement": IssueStatementForm,
    "pass_without_vote": PassWithoutVoteForm,
    "record_nbank_submission": RecordNbankSubmissionForm,
    "record_grant": RecordGrantForm,
    "record_nbank_decline": RecordNbankDeclineForm,
    "withdraw": WithdrawForm,
}
