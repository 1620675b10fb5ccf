"""Input of the API: JSON read safely, checked against the very JSON Schema the OpenAPI document
shows (German messages, with field names), then handed to the same WTForms the HTML views use.

The JSON Schema of a form is derived from its fields and validators, so the document, the check and
the form cannot drift apart.
"""

from __future__ import annotations

import json
import re

from flask import request
from flask_wtf.file import FileField, FileRequired
from jsonschema import Draft202012Validator
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from forms.base import CONTROL_CHARACTERS
from forms.fields import MAX_CENTS, EuroField
from workflow import MAX_ID  # noqa: F401 - the one bound of database ids, for the API
from workflow.api.problems import ApiError, field_errors
from workflow.formatting import euro_input

NOT_BLANK = r"\S"
TYPE_NAMES = {
    "string": "ein Text",
    "integer": "eine ganze Zahl",
    "number": "eine Zahl",
    "boolean": "true oder false",
    "array": "eine Liste",
    "object": "ein Objekt",
    "null": "null",
}


# -- forms as JSON Schema ---------------------------------------------------------------------------


def unbound_fields(form_class) -> list[tuple[str, UnboundField]]:
    fields = [
        (name, getattr(form_class, name))
        for name in dir(form_class)
        if not name.startswith("_") and isinstance(getattr(form_class, name, None), UnboundField)
    ]
    return sorted(fields, key=lambda item: item[1].creation_counter)


def _choices(unbound: UnboundField) -> list:
    return [
        getattr(c, "value", c[0] if isinstance(c, tuple) else c) for c in unbound.kwargs.get("choices") or ()
    ]


def field_schema(unbound: UnboundField) -> tuple[dict, bool]:
    """The JSON Schema of one form field, and whether it is required."""
    cls = unbound.field_class
    validators = unbound.kwargs.get("validators") or []
    required = any(isinstance(v, (DataRequired, InputRequired, FileRequired)) for v in validators)
    label = unbound.args[0] if unbound.args else unbound.kwargs.get("label", "")
    schema: dict = {"title": str(label)}
    if unbound.kwargs.get("description"):  # when a field is needed (the ballot's comment)
        schema["description"] = str(unbound.kwargs["description"])
    if issubclass(cls, FileField):
        schema |= {"type": "string", "format": "binary"}
    elif issubclass(cls, EuroField):
        schema |= {"type": "integer", "minimum": 0, "maximum": MAX_CENTS - 1, "description": "Betrag in Cent"}
    elif issubclass(cls, BooleanField):
        schema["type"] = "boolean"
    elif issubclass(cls, IntegerField):
        schema |= {"type": "integer", "minimum": -MAX_ID, "maximum": MAX_ID}
        for validator in validators:
            if isinstance(validator, NumberRange):
                if validator.min is not None:
                    schema["minimum"] = validator.min
                if validator.max is not None:
                    schema["maximum"] = validator.max
    elif issubclass(cls, DateField):
        schema |= {"type": "string", "format": "date", "description": "Datum (JJJJ-MM-TT)"}
    elif issubclass(cls, SelectMultipleField):
        values = _choices(unbound)
        schema |= {"type": "array", "items": {"enum": values}, "uniqueItems": True}
    elif issubclass(cls, (RadioField, SelectField)):
        values = _choices(unbound)
        if values and all(isinstance(v, str) and v.isdigit() for v in values):
            schema |= {"type": "integer", "enum": [int(v) for v in values]}
        else:
            schema |= {"type": "string", "enum": values}
    else:
        schema["type"] = "string"
        for validator in validators:
            if isinstance(validator, Length) and validator.max != -1:
                schema["maxLength"] = validator.max
            if isinstance(validator, Regexp):
                schema["pattern"] = validator.regex.pattern
        if required and "pattern" not in schema:
            schema["pattern"] = NOT_BLANK
    return schema, required


def nullable(schema: dict) -> dict:
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def is_file(unbound: UnboundField) -> bool:
    return issubclass(unbound.field_class, FileField)


def form_schema(
    form_class, *, rename=None, overrides=None, partial=False, exclude=(), multipart=False
) -> dict:
    """An object schema with one property per field of `form_class` (optional ones may be null).

    File fields appear only in a multipart schema (`multipart=True`), where nothing is null: an
    optional field is simply not sent. Fields in `exclude`, and lists of subforms, are left out
    unless `overrides` gives their schema."""
    rename, overrides = rename or {}, overrides or {}
    properties, required = {}, []
    for name, unbound in unbound_fields(form_class):
        key = rename.get(name, name)
        if name in exclude or (is_file(unbound) and not multipart):
            continue
        if issubclass(unbound.field_class, FieldList) and key not in overrides:
            continue
        schema, is_required = field_schema(unbound)
        schema = overrides.get(key, schema)
        if is_required and not partial:
            required.append(key)
            properties[key] = schema
        elif multipart:
            properties[key] = schema
        else:
            properties[key] = schema if "null" in _types(schema) else nullable(schema)
    result = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        result["required"] = required
    return result


def _types(schema: dict) -> list:
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind]


# -- reading and checking JSON ----------------------------------------------------------------------


def _reject_constant(name: str):
    raise ValueError(name)


def read_json() -> object:
    """The request's JSON body ({} when empty). Malformed JSON is a 400, never a 500."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Der Inhalt der Anfrage ist kein gültiges JSON (UTF-8).") from exc


NUL_TEXT = "Nullzeichen (\\u0000) sind in Angaben nicht erlaubt."
CONTROL_TEXT = (
    "Steuerzeichen (\\u0001 bis \\u001f außer Tabulator und Zeilenumbruch, \\u007f) sind in Angaben "
    "nicht erlaubt."
)
SURROGATE_TEXT = (
    "Einzelne UTF-16-Ersatzzeichen (\\ud800 bis \\udfff ohne ihr Gegenstück) sind kein gültiger Text. "
    "Bitte senden Sie gültiges Unicode."
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value) -> str | None:
    """Why text somewhere in a JSON value (keys included) cannot be taken, in German, or None: NUL
    and control characters (PostgreSQL and the XML of exports refuse them) and lone surrogates
    (json.loads makes them of "\\ud800"; they cannot be encoded, stored or answered)."""
    if isinstance(value, str):
        if "\x00" in value:
            return NUL_TEXT
        if CONTROL_CHARACTERS.search(value):
            return CONTROL_TEXT
        if _SURROGATE.search(value):
            return SURROGATE_TEXT
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = text_problem(key) or text_problem(item)
        if problem:
            return problem
    return None


def _message(error) -> tuple[str, str]:
    """(field, German message) of one jsonschema error."""
    path = ".".join(str(p) for p in error.absolute_path)
    kind, expected = error.validator, error.validator_value
    if kind == "required":
        missing = [p for p in expected if p not in (error.instance or {})]
        return ", ".join(f"{path}.{m}" if path else m for m in missing), "Dieses Feld fehlt."
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = (
            sorted(str(k) for k in error.instance if k not in known)
            if isinstance(error.instance, dict)
            else []
        )
        return (", ".join(extra) or path), "Unbekanntes Feld."
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        return path, "Erwartet wird " + " oder ".join(TYPE_NAMES.get(n, n) for n in names) + "."
    if kind == "maxLength":
        return path, f"Höchstens {expected} Zeichen."
    if kind == "minLength":
        return path, f"Mindestens {expected} Zeichen."
    if kind == "pattern":
        if expected == NOT_BLANK:
            return path, "Bitte füllen Sie dieses Feld aus."
        return path, "Das Format ist nicht zulässig."
    if kind in ("enum", "const"):
        values = expected if kind == "enum" else [expected]
        shown = ", ".join("null" if v is None else str(v) for v in values)
        return path, f"Erlaubt sind: {shown}."
    if kind == "minimum":
        return path, f"Der Wert muss mindestens {expected} sein."
    if kind == "maximum":
        return path, f"Der Wert darf höchstens {expected} sein."
    if kind == "format":
        return path, "Bitte geben Sie ein gültiges Datum an (JJJJ-MM-TT)."
    if kind == "uniqueItems":
        return path, "Jeder Wert darf nur einmal vorkommen."
    if kind == "minProperties":
        return path, "Bitte senden Sie mindestens eine Angabe."
    return path, "Der Wert ist nicht zulässig."


_VALIDATORS: dict[int, Draft202012Validator] = {}


def check(schema: dict, value) -> None:
    """Raise a 422 with every field that `value` gets wrong against `schema`."""
    problem = text_problem(value)
    if problem:
        raise ApiError(422, problem)
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        validator = _VALIDATORS[id(schema)] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    messages: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        fields, text = _message(error)
        for field in (fields or "(Inhalt)").split(", "):
            messages.setdefault(field, []).append(text)
    if messages:
        raise ApiError(422, _summary(messages), errors=field_errors(messages))


def _summary(messages: dict[str, list[str]]) -> str:
    return "Bitte prüfen Sie die Angaben: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items())


def checked_json(schema: dict):
    payload = read_json()
    check(schema, payload)
    return payload


_FIELDS_ONLY: dict[int, dict] = {}
TRUE, FALSE = ("true", "1", "y", "yes", "on"), ("false", "0", "n", "no", "off")


def _without_files(schema: dict) -> dict:
    """The multipart schema without its file parts (the form checks those: type, size, content)."""
    derived = _FIELDS_ONLY.get(id(schema))
    if derived is None:
        files = {k for k, p in schema.get("properties", {}).items() if p.get("format") == "binary"}
        derived = {
            **schema,
            "properties": {k: p for k, p in schema["properties"].items() if k not in files},
            "required": [k for k in schema.get("required", []) if k not in files],
        }
        _FIELDS_ONLY[id(schema)] = derived
    return derived


def checked_multipart(schema: dict) -> dict:
    """The fields of a multipart/form-data request, converted to the schema's types (a form sends
    text only) and checked like JSON; unknown parts are refused. Files stay in request.files."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Bitte senden Sie die Angaben und die Datei als multipart/form-data.")
    properties = schema.get("properties", {})
    body: dict = {}
    messages: dict[str, list[str]] = {}
    for key in [*request.form.keys(), *request.files.keys()]:
        if key not in properties:
            messages.setdefault(key, ["Unbekanntes Feld."])
    for key in request.form:
        prop = properties.get(key)
        if prop is None or prop.get("format") == "binary":
            continue
        raw = request.form.get(key, "")
        kinds = _types(prop)
        if raw == "":
            continue
        if "integer" in kinds:
            if not _INTEGER.match(raw.strip()):
                messages[key] = ["Erwartet wird eine ganze Zahl."]
                continue
            body[key] = int(raw)
        elif "boolean" in kinds:
            if raw.lower() not in TRUE + FALSE:
                messages[key] = ["Erwartet wird true oder false."]
                continue
            body[key] = raw.lower() in TRUE
        else:
            body[key] = raw
    if messages:
        raise ApiError(422, _summary(messages), errors=field_errors(messages))
    check(_without_files(schema), body)
    return body


# -- query parameters -------------------------------------------------------------------------------

_INTEGER = re.compile(r"^-?\d{1,15}$")


def read_query(parameters: list[dict]) -> dict:
    """Declared query parameters, converted and checked (a 400 names the parameter)."""
    values, messages = {}, {}
    for parameter in parameters:
        name, schema = parameter["name"], parameter["schema"]
        raw = request.args.get(name)
        if raw is None or raw == "":
            values[name] = schema.get("default")
            continue
        if "\x00" in raw:
            messages[name] = ["Nullzeichen sind nicht erlaubt."]
            continue
        value = raw
        if schema.get("type") == "integer":
            if not _INTEGER.match(raw):
                messages[name] = ["Erwartet wird eine ganze Zahl."]
                continue
            value = int(raw)
            if value < schema.get("minimum", value) or value > schema.get("maximum", value):
                messages[name] = [
                    f"Erlaubt sind Werte von {schema.get('minimum')} bis {schema.get('maximum')}."
                ]
                continue
        if "enum" in schema and value not in schema["enum"]:
            messages[name] = ["Erlaubt sind: " + ", ".join(map(str, schema["enum"])) + "."]
            continue
        values[name] = value
    if messages:
        raise ApiError(
            400,
            "Ungültige Parameter: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items()),
            errors=field_errors(messages),
        )
    return values


# -- JSON into a WTForm -----------------------------------------------------------------------------


def formdata(form_class, body: dict, rename: dict | None = None) -> MultiDict:
    """What a browser would have posted for `body`: the form parses it exactly as in the views."""
    back = {v: k for k, v in (rename or {}).items()}
    kinds = {name: unbound.field_class for name, unbound in unbound_fields(form_class)}
    data = MultiDict()
    for key, value in body.items():
        name = back.get(key, key)
        if name not in kinds:
            continue
        if value is None:
            if issubclass(kinds[name], StringField):
                data.add(name, "")  # an emptied text box, as a browser sends it
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 4.0 is an integer in JSON Schema
        if isinstance(value, bool):
            data.add(name, "y" if value else "false")
        elif issubclass(kinds[name], EuroField):
            data.add(name, euro_input(value))
        elif isinstance(value, list):
            for item in value:
                data.add(name, str(item))
        else:
            data.add(name, str(value))
    return data


def validated_form(
    form_class, body: dict, *, rename: dict | None = None, files=None, prepare=None, raw=None, **form_kwargs
):
    """The form filled from `body` (and uploaded `files`) and validated; a 422 with the form's German
    messages (under the API's field names) if it refuses. `prepare(form)` may narrow choices before
    validation, as a view does; `raw` is ready form data (for lists of subforms)."""
    data = raw if raw is not None else formdata(form_class, body, rename)
    if files:
        data = CombinedMultiDict([files, data])
    form = form_class(formdata=data, meta={"csrf": False}, **form_kwargs)
    if prepare is not None:
        prepare(form)
    if not form.validate():
        rename = rename or {}
        messages: dict[str, list[str]] = {}
        for name, errors in form.errors.items():
            _flatten(rename.get(name, name) or "(Formular)", errors, messages)
        raise ApiError(422, _summary(messages), errors=field_errors(messages))
    return form


def _flatten(path: str, errors, messages: dict[str, list[str]]) -> None:
    """Errors of a field, or of a list of subforms ("lines.1.amount_cents", counted from 0)."""
    items = errors if isinstance(errors, list) else [errors]
    for index, item in enumerate(items):
        if isinstance(item, dict):
            for name, nested in item.items():
                _flatten(f"{path}.{index}.{name}", nested, messages)
        elif isinstance(item, list):
            _flatten(f"{path}.{index}", item, messages)
        elif item:
            messages.setdefault(path, []).append(str(item))
