from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow
from workflow.rules.procedure import ProcedureRules

DISTRICTS = ("Lüneburg", "Harburg", "Uelzen", "Lüchow-Dannenberg", "Celle", "Heidekreis")

FIELDS_OF_ACTION = {
    "I": "Fachkräfte halten und Nachwuchs sichern",
    "II": "Neue Potenziale erschließen",
    "III": "Fachkräfte bedarfsgerecht qualifizieren",
    "IV": "Attraktivität der Region fördern",
    "digital": "Querschnitt: Digitalisierung",
    "structural_change": "Querschnitt: Strukturwandel",
}


class Alliance(db.Model):
    """One of Lower Saxony's regional skilled-labour alliances; every record belongs to one."""

    __tablename__ = "alliances"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    committee_name: Mapped[str] = mapped_column(sa.String(200), default="Lenkungskreis")
    coordination_address: Mapped[str] = mapped_column(sa.Text, default="")
    # The rules of procedure where they differ from the defaults (see rules/procedure.py).
    rules: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[sa.DateTime] = mapped_column(UTCDateTime, default=utcnow)

    funding_objects: Mapped[list[FundingObject]] = relationship(
        back_populates="alliance", order_by="FundingObject.number"
    )

    @property
    def procedure(self) -> ProcedureRules:
        return ProcedureRules.from_dict(self.rules)

    def __repr__(self) -> str:
        return f"<Alliance {self.slug}>"


class FundingObject(db.Model):
    """Fördergegenstand: whether it needs the alliance's statement is a setting per alliance."""

    __tablename__ = "funding_objects"
    __table_args__ = (sa.UniqueConstraint("alliance_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    number: Mapped[int] = mapped_column(sa.SmallInteger)
    name: Mapped[str] = mapped_column(sa.String(200))
    needs_statement: Mapped[bool] = mapped_column(default=True)

    alliance: Mapped[Alliance] = relationship(back_populates="funding_objects")

    @property
    def label(self) -> str:
        return f"{self.number} – {self.name}"
