"""The database document store (services/storage.py): one row per stored file, its bytes in chunk
rows, so that no node needs a local disk and no file is ever held whole in memory."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)  # the rows' storage_key
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredChunk(db.Model):
    __tablename__ = "stored_file_chunks"

    key: Mapped[str] = mapped_column(
        sa.String(100), sa.ForeignKey("stored_files.key", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
