"""The filters of the coordinator's table (a GET form: no CSRF token, bookmarkable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from forms.base import CleanInput
from forms.fields import options
from workflow.lifecycle import STATES
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.services.overview import SORT_LABELS, SORTS, Filters

CHOICE_INVALID = _l("Bitte wählen Sie einen der angebotenen Werte.")


class FilterForm(CleanInput, Form):
    status = SelectField(
        _l("Status"),
        choices=options([("", _l("alle"))] + [(s.name, _l(s.label)) for s in STATES]),
        default="",
    )
    foerdergegenstand = SelectField(_l("Fördergegenstand"), choices=options([("", _l("alle"))]), default="")
    handlungsfeld = SelectField(
        _l("Handlungsfeld"), choices=options([("", _l("alle")), *FIELDS_OF_ACTION.items()]), default=""
    )
    landkreis = SelectField(
        _l("Landkreis"), choices=options([("", _l("alle"))] + [(d, d) for d in DISTRICTS]), default=""
    )
    jahr = IntegerField(
        _l("Jahr"),
        validators=[Optional(), NumberRange(2000, 2100, _l("Bitte ein Jahr zwischen 2000 und 2100."))],
    )
    ueberfaellig = BooleanField(_l("Nur überfällige"))
    suche = StringField(
        _l("Suche (Titel, Antragsteller, Aktenzeichen)"),
        validators=[Optional(), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )
    sortierung = SelectField(
        _l("Sortierung"), choices=options((s, _l(SORT_LABELS[s])) for s in SORTS), default="deadline"
    )
    absteigend = BooleanField(_l("absteigend"))
    seite = IntegerField(_l("Seite"), validators=[Optional(), NumberRange(1, 10**6, _l("Ungültige Seite."))])

    def __init__(self, formdata, funding_objects=(), **kwargs):
        super().__init__(formdata, **kwargs)
        self.foerdergegenstand.choices = options(
            [("", _l("alle"))] + [(str(fo.number), f"{fo.number} {fo.name}") for fo in funding_objects]
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name in ("status", "foerdergegenstand", "handlungsfeld", "landkreis", "sortierung"):
            if self[name].errors:
                self[name].errors = [CHOICE_INVALID]
        if self.jahr.errors:
            self.jahr.errors = [_l("Bitte ein Jahr zwischen 2000 und 2100 als Zahl.")]
        if self.seite.errors:
            self.seite.errors = [_l("Ungültige Seite.")]
        return ok

    def filters(self) -> Filters:
        return Filters(
            state=self.status.data or None,
            funding_object=int(self.foerdergegenstand.data) if self.foerdergegenstand.data else None,
            field=self.handlungsfeld.data or None,
            district=self.landkreis.data or None,
            year=self.jahr.data,
            overdue=bool(self.ueberfaellig.data),
            q=(self.suche.data or "").strip(),
            sort=self.sortierung.data or "deadline",
            descending=bool(self.absteigend.data),
        )
