"""What happens besides the change of state when a trigger fires, and what a `tick` runs: the two
tables, in the order they run.

`services.lifecycle.transition` runs a trigger's effects inside its transaction, after the state
changed and before the event is written; what they return is recorded in the event too.
`services.jobs.run_all` runs the tick's jobs one after the other, each committing its own work.
Both read these tables when they run (not on import), since the functions listed here fire triggers
and claim jobs themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from workflow.lifecycle import TRIGGERS_BY_NAME
from workflow.models import Application, User
from workflow.services import (
    deadlines,
    integrity,
    letters,
    long_forms,
    mail,
    nbank,
    notifications,
    reminders,
    statements,
    webhooks,
)
from workflow.votes import closing, opening
from workflow.votes import jobs as vote_jobs

Effect = Callable[[Application, User | None, dict], dict | None]
Job = Callable[[], int]  # returns how many things it did

EFFECTS: dict[str, tuple[Effect, ...]] = {
    "submit_sketch": (deadlines.deadline_recorder(deadlines.ASSESSMENT),),
    "submit_long_form": (deadlines.deadline_recorder(deadlines.STATEMENT),),
    # The circulation deadline is chosen when the vote opens and recorded by create_vote.
    "open_vote": (opening.create_vote,),
    "close_vote": (closing.freeze_tally,),
    "issue_statement": (statements.issue_statement,),
    # The assessment's decisions issue their letter; the invitation then starts the long form.
    "invite_long_form": (letters.letter_issuer("invite_long_form"), long_forms.carry_sketch),
    "request_sketch_revision": (letters.letter_issuer("request_sketch_revision"),),
    "decline_sketch": (letters.letter_issuer("decline_sketch"),),
    "record_nbank_submission": (nbank.document_recorder("record_nbank_submission"),),
    "record_grant": (nbank.document_recorder("record_grant"),),
    "record_nbank_decline": (nbank.document_recorder("record_nbank_decline"),),
}

TICK: tuple[tuple[str, Job], ...] = (
    ("notification_digests", notifications.send_digests),
    ("verify_log", integrity.nightly),
    ("revision_reminders", reminders.send_revision_reminders),
    ("coordinator_digest", reminders.send_digests),
    ("vote_deadlines", vote_jobs.close_due_votes),
    ("vote_reminders", vote_jobs.send_reminders),
    ("webhooks", webhooks.enqueue_and_deliver),
    # Last, so that what the others queued (reminders, digests) leaves in the same run, also where
    # no sender process runs.
    ("mail", mail.send_pending),
)

_unknown = sorted(set(EFFECTS) - set(TRIGGERS_BY_NAME))
if _unknown:
    raise KeyError(f"effects of unknown triggers: {_unknown}")
