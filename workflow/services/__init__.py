"""Domain operations: the one place where each rule is applied and each change is committed.

Views, the API and the CLI call these; none of them sets `state` or writes an event itself.
"""

# Importing the modules registers their effects on lifecycle triggers.
from workflow.services import (  # noqa: F401
    deadlines,
    integrity,
    letters,
    mail,
    nbank,
    reminders,
    statements,
    votes,
    webhooks,
)
