"""The alliance's virtual budget per funding period, computed from the record (models/budget.py,
rules/budget.py), as plain data for the budget page."""

from __future__ import annotations

import sqlalchemy as sa

from workflow.extensions import db
from workflow.formatting import local_date, money
from workflow.lifecycle import COORDINATOR, PARTNER, STATES_BY_NAME
from workflow.models import FundingPeriod, User
from workflow.services.errors import NotAllowed

STATUS_LABELS = {
    "committed": "Gebunden (positive Stellungnahme, noch kein Bescheid)",
    "granted": "Bewilligt",
    "released": "Freigegeben (abgelehnt oder zurückgezogen)",
}


def may_see(user: User) -> bool:
    return user.role in (COORDINATOR, PARTNER)


def periods(user: User) -> list[FundingPeriod]:
    return list(
        db.session.scalars(
            sa.select(FundingPeriod)
            .where(FundingPeriod.alliance_id == user.alliance_id)
            .order_by(FundingPeriod.starts_on.desc())
        )
    )


def overview(user: User, period_id: int | None = None) -> dict | None:
    """The budget page of a period (default: the current one, else the latest)."""
    if not may_see(user):
        raise NotAllowed("Das Budget sehen die Netzwerkkoordination und die Bündnispartner.")
    available = periods(user)
    if not available:
        return None
    period = next((p for p in available if p.id == period_id), None)
    if period is None:
        period = FundingPeriod.current(user.alliance_id) or available[0]
    figures = period.figures()
    used_share = figures.share(figures.used)

    def rows(status: str) -> list[dict]:
        return [
            {
                "application_id": e.application_id,
                "reference": e.reference,
                "title": e.title,
                "applicant": e.applicant,
                "state": STATES_BY_NAME[e.state].label,
                "requested": money(e.requested_cents),
                "granted": money(e.granted_cents) if e.granted_cents is not None else "—",
                "counted": money(e.counted_cents),
                "endorsed_on": local_date(e.endorsed_on),
            }
            for e in figures.by_status(status)
        ]

    return {
        "period": {
            "id": period.id,
            "name": period.name,
            "starts_on": local_date(period.starts_on),
            "ends_on": local_date(period.ends_on),
        },
        "periods": [{"id": p.id, "name": p.name} for p in available],
        "total": money(figures.total),
        "committed": money(figures.committed),
        "granted": money(figures.granted),
        "remaining": money(figures.remaining),
        "exceeded": figures.exceeded,
        "bar": {
            # Percentages of the total for the server-side SVG bar (attributes, no inline styles).
            "granted": round(figures.share(figures.granted), 2),
            "committed": round(
                min(figures.share(figures.committed), 100 - figures.share(figures.granted)), 2
            ),
            "granted_x": 0,
            "committed_x": round(figures.share(figures.granted), 2),
            "used_percent": round(used_share, 1),
        },
        "groups": [
            {"status": status, "label": STATUS_LABELS[status], "rows": rows(status)}
            for status in ("committed", "granted", "released")
        ],
    }
