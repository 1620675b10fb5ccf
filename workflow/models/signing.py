"""Electronic signatures and what a stranger may check: each alliance's signing certificate (its key
stored encrypted), the assessment letters as issued (signed like the statements), and the checks
made on the public authenticity page (counted per address for throttling)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.types import UTCDateTime, checked_enum, utcnow

LETTER_DECISIONS = {
    "invite_long_form": "Einladung zur Langfassung",
    "request_sketch_revision": "Bitte um Überarbeitung der Projektskizze",
    "decline_sketch": "Projektskizze nicht befürwortet",
}


class SigningCertificate(db.Model):
    """The certificate an alliance signs its statements and letters with, at most one per alliance.
    The private key is never stored in plain: `encrypted_key` is AES-256-GCM ciphertext (base64 of
    nonce and ciphertext) under a key derived from the configuration's SIGNING_KEY_SECRET, bound to
    the alliance and the certificate (services/signing.py). Installing and removing are events of
    the alliance; a replaced certificate's row (and its key) is deleted."""

    __tablename__ = "signing_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(500))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    serial_number: Mapped[str] = mapped_column(sa.String(100))
    fingerprint_sha256: Mapped[str] = mapped_column(sa.String(64))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    chain_pem: Mapped[str] = mapped_column(sa.Text, default="")  # the PKCS#12's other certificates
    encrypted_key: Mapped[str] = mapped_column(sa.Text)
    installed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: command
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    installed_by = relationship("User")


class Letter(db.Model):
    """The result of the first assessment as a letter to the sponsor, issued once with the decision:
    a PDF/A-3 (signed when the alliance has a certificate) stored with its SHA-256, served from
    storage, never re-rendered."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    number: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(48), unique=True)  # NON-2026-00042/E1
    decision: Mapped[str] = mapped_column(checked_enum(tuple(LETTER_DECISIONS), "letter_decision"))
    record: Mapped[dict] = mapped_column(sa.JSON)  # the letter's data, exactly as embedded
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    pages: Mapped[int]
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    check_code_hash: Mapped[str] = mapped_column(sa.String(64))
    signed_by: Mapped[str | None] = mapped_column(sa.String(500))  # certificate subject; None: unsigned
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("application_id", "number"),
        sa.CheckConstraint("size > 0", name="not_empty"),
    )

    issued_by = relationship("User")

    @property
    def decision_label(self) -> str:
        return LETTER_DECISIONS[self.decision]

    @property
    def filename(self) -> str:
        return f"Ersteinschaetzung_{self.reference.replace('/', '_')}.pdf"


class AuthenticityCheck(db.Model):
    """One check on the public authenticity page, kept only for the throttling window."""

    __tablename__ = "authenticity_checks"
    __table_args__ = (sa.Index("ix_authenticity_checks_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
