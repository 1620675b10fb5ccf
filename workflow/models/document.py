from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.lifecycle import N_
from workflow.models.types import UTCDateTime, checked_enum, utcnow

# What a document is, for the application it belongs to.
DOCUMENT_KINDS = {
    "sketch": N_("Projektskizze (PDF)"),
    "long_form": N_("Langfassung (Formular der NBank)"),
    "nbank_application": N_("Antrag bei der NBank"),
    "grant_notice": N_("Zuwendungsbescheid"),
    "nbank_decline": N_("Ablehnungsbescheid der NBank"),
    "other": N_("Sonstiges Dokument"),
}


class Document(db.Model):
    """An uploaded file. Never overwritten: a new upload of the same kind is the next version."""

    __tablename__ = "documents"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "kind", "version"),
        sa.CheckConstraint("size > 0", name="not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(checked_enum(tuple(DOCUMENT_KINDS), "document_kind"))
    version: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(255))  # as uploaded, for the download's name
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    pages: Mapped[int | None]
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)  # generated file name
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS[self.kind]
