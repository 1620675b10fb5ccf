"""What each trigger does besides changing the state, and what a tick runs: in this order (the order
they ran in when the modules registered themselves on import, in the running app)."""

from __future__ import annotations

from workflow.effects import EFFECTS as TABLE
from workflow.effects import TICK as TICK_TABLE

EFFECTS = {
    "submit_sketch": ["workflow.services.deadlines"],
    "submit_long_form": ["workflow.services.deadlines"],
    "close_vote": ["workflow.votes.closing"],
    "issue_statement": ["workflow.services.statements"],
    "invite_long_form": ["workflow.services.letters", "workflow.services.long_forms"],
    "request_sketch_revision": ["workflow.services.letters"],
    "decline_sketch": ["workflow.services.letters"],
    "record_nbank_submission": ["workflow.services.nbank"],
    "record_grant": ["workflow.services.nbank"],
    "record_nbank_decline": ["workflow.services.nbank"],
    "open_vote": ["workflow.votes.opening"],
}
TICK = [
    ("notification_digests", "workflow.services.notifications"),
    ("verify_log", "workflow.services.integrity"),
    ("revision_reminders", "workflow.services.reminders"),
    ("coordinator_digest", "workflow.services.reminders"),
    ("vote_deadlines", "workflow.votes.jobs"),
    ("vote_reminders", "workflow.votes.jobs"),
    ("webhooks", "workflow.services.webhooks"),
    ("mail", "workflow.services.mail"),
]


def test_each_trigger_runs_its_effects_in_order(app):
    table = {trigger: [fn.__module__ for fn in fns] for trigger, fns in TABLE.items() if fns}
    assert table == EFFECTS


def test_the_tick_runs_its_jobs_in_order(app):
    assert [(name, fn.__module__) for name, fn in TICK_TABLE] == TICK
