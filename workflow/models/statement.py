from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.lifecycle import N_
from workflow.models.types import UTCDateTime, checked_enum, utcnow

DECISIONS = {
    "endorse": N_("Positive Stellungnahme"),
    "revise": N_("Überarbeitung der Langfassung erbeten"),
    "reject": N_("Negative Stellungnahme"),
}


class Statement(db.Model):
    """The alliance's statement (Stellungnahme) on an application, as issued: a PDF/A-3 rendered
    once and stored with its SHA-256. Never changed; a correction is the next version, naming the
    one it replaces."""

    __tablename__ = "statements"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint(
            "(version = 1 AND replaces_id IS NULL) OR (version > 1 AND replaces_id IS NOT NULL)",
            name="correction_names_predecessor",
        ),
        sa.CheckConstraint("size > 0", name="not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("votes.id"))
    version: Mapped[int]
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("statements.id"), unique=True)
    reference: Mapped[str] = mapped_column(sa.String(48), unique=True)  # NON-2026-00042/S1
    decision: Mapped[str] = mapped_column(checked_enum(tuple(DECISIONS), "statement_decision"))
    # The machine-readable decision record, exactly as embedded in the PDF.
    record: Mapped[dict] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    pages: Mapped[int]
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    correction_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The short code printed on the statement (as its SHA-256; None for statements issued before
    # codes were printed) and the subject of the certificate it was signed with (None: unsigned).
    check_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    signed_by: Mapped[str | None] = mapped_column(sa.String(500))
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issued_by = relationship("User")
    replaces: Mapped[Statement | None] = relationship(remote_side=[id])

    @property
    def decision_label(self) -> str:
        return DECISIONS[self.decision]

    @property
    def filename(self) -> str:
        return f"Stellungnahme_{self.reference.replace('/', '_')}.pdf"
