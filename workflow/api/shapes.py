"""What the API answers, declared once: each shape is a pydantic model that both serializes the
JSON of a response and gives the OpenAPI document its schema. Strict, and no field that is not
declared: an answer that strays from its shape fails loudly instead of drifting from the document.
A model's docstring is its German description in the document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema, models_json_schema


def _iso(value: date) -> str:
    return value.isoformat()  # as the API always wrote them: "2026-12-04T18:33:12.123456+00:00"


DateTime = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Day = Annotated[
    date, PlainSerializer(_iso, return_type=str), WithJsonSchema({"type": "string", "format": "date"})
]
# JSON the domain already hands over as plain data (an event's recorded fields, a section's values).
Plain = dict[str, Any]


class Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_serialization_defaults_required=True)

    def plain(self) -> dict:
        return self.model_dump(mode="json")


class Named(Shape):
    id: int
    name: str


def named(item) -> Named:
    return Named(id=item.id, name=item.name)


class _Generator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema) -> bool:
        return False  # the document names each property after its place (openapi._named)


def components(models: list[type[Shape]]) -> dict[str, dict]:
    """The JSON Schemas of `models` and of every shape they contain, by model name."""
    _, top = models_json_schema(
        [(model, "serialization") for model in models],
        ref_template="#/components/schemas/{model}",
        schema_generator=_Generator,
    )
    return top.get("$defs", {})
