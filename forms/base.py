"""What every form of the app refuses, whatever its fields: text with NUL or other control characters.

PostgreSQL cannot store NUL in a text column (the save would fail), and the other C0 control
characters (tab and line breaks excepted) break what is made of the text later: the XML of exports,
PDFs, calendar feeds. They are refused at the field with a German message, as any other input error.
Lone surrogates cannot arrive here: the form data is decoded with replacement characters.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUL_MESSAGE = _l("Dieses Feld enthält ein Nullzeichen (\\0) und kann so nicht gespeichert werden.")
CONTROL_MESSAGE = _l(
    "Dieses Feld enthält unsichtbare Steuerzeichen (oft aus kopiertem Text), die nicht gespeichert "
    "werden können. Bitte entfernen Sie sie."
)


def control_character_problem(text: str) -> str | None:
    """The German message for text holding NUL or another control character, else None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if CONTROL_CHARACTERS.search(text):
        return CONTROL_MESSAGE
    return None


def _leaf_fields(fields):
    """The fields that hold submitted text: into subforms and the rows of lists."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _leaf_fields(field.entries)
        else:
            yield field


def _refuse_control_characters(form) -> bool:
    """Mark every field whose submitted text holds control characters; False if there is one."""
    clean = True
    for field in _leaf_fields(form):
        texts = [value for value in field.raw_data or () if isinstance(value, str)]
        problem = next(filter(None, map(control_character_problem, texts)), None)
        if problem:
            field.errors = [*field.errors, problem]
            clean = False
    return clean


class CleanInput:
    """For any WTForms form: validation also refuses control characters in every submitted field."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[misc]
        return _refuse_control_characters(self) and valid


class CleanForm(CleanInput, FlaskForm):
    """The base of every form of the app (CSRF, German messages, no control characters)."""
