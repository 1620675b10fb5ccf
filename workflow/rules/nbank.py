"""What NBank's records look like: the reference of an application at NBank."""

from __future__ import annotations

import re

# Programme code, year, running number: ESF-2026-00042, ESFPLUS-2025-123, ZW1-2026-004711.
REFERENCE = re.compile(r"^[A-Z][A-Z0-9]{1,9}-(20\d{2})-\d{3,8}$")
REFERENCE_EXAMPLE = "ESF-2026-00042"


def normalise_reference(text: str | None) -> str:
    return re.sub(r"\s+", "", (text or "")).upper()


def valid_reference(text: str | None) -> bool:
    return bool(REFERENCE.match(normalise_reference(text)))
