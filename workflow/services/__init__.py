"""Domain operations: the one place where each rule is applied and each change is committed.

Views, the API and the CLI call these; none of them sets `state` or writes an event itself.
"""

# Importing the modules registers their effects on lifecycle triggers (and their `tick` jobs, which
# run in this order).
from workflow.services import (  # noqa: F401
    deadlines,
    integrity,
    letters,
    mail,
    nbank,
    reminders,
    statements,
)

# isort: split
# The vote's effects (opening, closing) and its jobs. By their full names: bound here, `jobs`
# would hide services.jobs.
import workflow.votes.closing  # noqa: F401
import workflow.votes.jobs  # noqa: F401
import workflow.votes.opening  # noqa: F401

# isort: split
from workflow.services import webhooks  # noqa: F401
