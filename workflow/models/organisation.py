from __future__ import annotations

import sqlalchemy as sa
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
