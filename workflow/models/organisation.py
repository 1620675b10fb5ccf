from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.alliance import Alliance
from workflow.models.types import checked_enum

PARTNER, APPLICANT_ORG, OBSERVER_ORG, COORDINATION = "partner", "applicant", "observer", "coordination"
ORGANISATION_KINDS = (PARTNER, APPLICANT_ORG, OBSERVER_ORG, COORDINATION)
KIND_LABELS = {
    PARTNER: "Bündnispartner",
    APPLICANT_ORG: "Projektträger",
    OBSERVER_ORG: "Beobachtende Stelle (NBank, MS)",
    COORDINATION: "Netzwerkkoordination",
}
# The kind of organisation a person of each role belongs to.
KIND_FOR_ROLE = {
    "applicant": APPLICANT_ORG,
    "partner": PARTNER,
    "observer": OBSERVER_ORG,
    "coordinator": COORDINATION,
}


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (sa.UniqueConstraint("alliance_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(checked_enum(ORGANISATION_KINDS, "organisation_kind"))
    # A partner that left the alliance: kept for the record, no longer asked to vote.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # A sponsor's particulars (self-registration); the letters are addressed with them.
    legal_form: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    address: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    contact_person: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    alliance: Mapped[Alliance] = relationship()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r} ({self.kind})>"


def partners_of(alliance_id: int) -> list[Organisation]:
    """Every partner organisation of the alliance (those that left included), by name. Read once
    per request: the application page needs them for its vote panel and its timeline."""
    known = g.setdefault("partners_of", {}) if has_request_context() else {}
    if alliance_id not in known:
        known[alliance_id] = list(
            db.session.scalars(
                sa.select(Organisation)
                .where(Organisation.alliance_id == alliance_id, Organisation.kind == PARTNER)
                .order_by(Organisation.name)
            )
        )
    return known[alliance_id]


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _forget_partners(session, flush_context, instances):
    # A partner joining or leaving makes the list read before it wrong.
    if has_request_context() and any(
        isinstance(obj, Organisation) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        g.pop("partners_of", None)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _expired_on_commit(session):
    # A commit that expires what it loaded would reload each partner one by one: read them afresh.
    if has_request_context() and session.expire_on_commit:
        g.pop("partners_of", None)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _expired_on_rollback(session):
    if has_request_context():
        g.pop("partners_of", None)
