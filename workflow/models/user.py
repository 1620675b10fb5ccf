from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.lifecycle import COORDINATOR, ROLES
from workflow.models.organisation import Organisation
from workflow.models.types import UTCDateTime, checked_enum, utcnow

ROLE_LABELS = {
    "applicant": "Antragsteller",
    "partner": "Bündnispartner",
    "coordinator": "Netzwerkkoordination",
    "observer": "NBank / Ministerium",
}


class User(UserMixin, db.Model):
    """One person, one account; an account belongs to one organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(checked_enum(ROLES, "user_role"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Two-factor authentication (TOTP, RFC 6238): the shared secret once enrolled, and the last
    # time step used, so that a code cannot be replayed.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Accounts made by the coordination count as confirmed; a self-registered one is confirmed
    # through the link mailed to it (and cannot submit anything before).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The language the person last chose for the pages ("de", "en"): their mails are written in it.
    language: Mapped[str] = mapped_column(sa.String(8), default="de", server_default="de")

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def alliance_id(self) -> int:
        return self.organisation.alliance_id

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot log in
        return self.active

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_coordinator(self) -> bool:
        return self.role == COORDINATOR

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"
