"""What every write of the vote does when it refuses: nothing it did so far stays."""

from __future__ import annotations

from workflow.extensions import db
from workflow.services.errors import DomainError


def refuse(error: DomainError):
    db.session.rollback()
    raise error
