"""The alliance's virtual budget (DESIGN.md "Budget"): pure arithmetic on the record.

Requested amounts of endorsed applications are committed; a grant notice replaces the requested
amount by the amount granted; a refusal by NBank or a withdrawal releases the amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

COMMITTED_STATES = frozenset({"endorsed", "nbank_submitted"})
GRANTED_STATES = frozenset({"granted"})
RELEASED_STATES = frozenset({"nbank_declined", "withdrawn"})


@dataclass(frozen=True)
class Entry:
    application_id: int
    reference: str
    title: str
    applicant: str
    state: str
    requested_cents: int
    granted_cents: int | None
    endorsed_on: datetime | None = None

    @property
    def status(self) -> str:
        if self.state in GRANTED_STATES:
            return "granted"
        if self.state in COMMITTED_STATES:
            return "committed"
        return "released"  # refused, withdrawn, or sent back after the statement

    @property
    def counted_cents(self) -> int:
        if self.status == "granted":
            return self.granted_cents or 0
        if self.status == "committed":
            return self.requested_cents
        return 0


@dataclass(frozen=True)
class Figures:
    total: int
    committed: int
    granted: int
    entries: tuple[Entry, ...] = field(default=())

    @property
    def used(self) -> int:
        return self.committed + self.granted

    @property
    def remaining(self) -> int:
        return self.total - self.used

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def would_exceed(self, amount_cents: int) -> bool:
        return amount_cents > self.remaining

    def share(self, cents: int) -> float:
        """Percent of the total (0–100, for the bar), never negative."""
        if self.total <= 0:
            return 100.0 if cents > 0 else 0.0
        return max(0.0, min(100.0, cents * 100 / self.total))

    def by_status(self, status: str) -> list[Entry]:
        return [e for e in self.entries if e.status == status]


def figures(total_cents: int, entries: Iterable[Entry]) -> Figures:
    entries = tuple(entries)
    return Figures(
        total=total_cents,
        committed=sum(e.counted_cents for e in entries if e.status == "committed"),
        granted=sum(e.counted_cents for e in entries if e.status == "granted"),
        entries=entries,
    )
