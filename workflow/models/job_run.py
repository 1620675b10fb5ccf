from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.types import UTCDateTime


class JobRun(db.Model):
    """The last run of a periodic command (`tick`), in the database so that every node sees it:
    /metrics tells how long ago it last succeeded, whichever machine ran it."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last run in which every job did its work; the last run in which one failed.
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(default=0)
    results: Mapped[dict] = mapped_column(
        sa.JSON, default=dict
    )  # job name → how many things it did (-1: failed)
