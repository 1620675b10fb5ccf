"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime  # noqa: F401 - UTC is re-exported

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands out aware UTC, on SQLite and PostgreSQL alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Antragsweg stores only aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def checked_enum(values, name: str) -> sa.Enum:
    """A string column limited to `values` by a CHECK constraint (no native enum: one schema for both
    databases, and new values need no ALTER TYPE)."""
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
    )
