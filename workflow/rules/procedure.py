"""An alliance's rules of procedure (DESIGN.md "Rules"): defaults here, each changeable per alliance.

A vote keeps a copy of the rules it was opened under, so that changing them never changes a running
vote.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ProcedureRules:
    circulation_days: int = 7
    statement_days: int = 14
    assessment_days: int = 21
    quorum_percent: int = 50  # share of the eligible partners who must have cast a ballot
    secret_while_open: bool = True  # partners see who voted, not how, until the vote closes
    attributed_comments: bool = True  # partners' comments in the statement carry their names
    max_funding_rate_percent: int = 60  # grant / eligible cost, checked on the long form
    reminder_days: tuple[int, ...] = (3, 1)  # reminders this many days before a deadline
    # A sponsor asked to revise is reminded this many days after the request, until they resubmit.
    revision_reminder_days: tuple[int, ...] = (7, 14)

    @classmethod
    def from_dict(cls, data: dict | None) -> ProcedureRules:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        for name in ("reminder_days", "revision_reminder_days"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["reminder_days"] = list(self.reminder_days)
        data["revision_reminder_days"] = list(self.revision_reminder_days)
        return data


DEFAULT_RULES = ProcedureRules()
