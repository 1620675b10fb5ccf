"""DESIGN.md's tables, written out again by hand: the tests hold the code to these, never to itself.

If the design changes, change this file by reading DESIGN.md, not the lifecycle module.
"""

STATES = {
    "consultation": "Beratung angefragt",
    "sketch_draft": "Projektskizze in Bearbeitung",
    "sketch_submitted": "Projektskizze eingereicht",
    "sketch_assessment": "Ersteinschätzung",
    "long_form_draft": "Langfassung in Bearbeitung",
    "long_form_submitted": "Langfassung eingereicht",
    "partner_vote": "Votum der Bündnispartner",
    "statement_pending": "Stellungnahme in Vorbereitung",
    "endorsed": "Positive Stellungnahme",
    "nbank_submitted": "Antrag bei der NBank gestellt",
    "granted": "Bewilligt (Zuwendungsbescheid)",
    "nbank_declined": "Von der NBank abgelehnt",
    "sketch_declined": "Skizze nicht befürwortet",
    "not_endorsed": "Negative Stellungnahme",
    "withdrawn": "Zurückgezogen",
}
FINAL = {"granted", "nbank_declined", "sketch_declined", "not_endorsed", "withdrawn"}
NON_FINAL = [s for s in STATES if s not in FINAL]

A, C = "applicant", "coordinator"

# trigger: (sources, destinations, roles that may fire it, fields it records)
TRIGGERS = {
    "record_consultation": (
        ["consultation"],
        {"sketch_draft"},
        {C},
        {"consultation_date", "participants", "notes", "recommendation"},
    ),
    "submit_sketch": (["sketch_draft"], {"sketch_submitted"}, {A}, set()),
    "start_assessment": (["sketch_submitted"], {"sketch_assessment"}, {C}, set()),
    "request_sketch_revision": (["sketch_assessment"], {"sketch_draft"}, {C}, {"reason"}),
    "invite_long_form": (
        ["sketch_assessment"],
        {"long_form_draft"},
        {C},
        {"parties_consulted", "fundable", "fits_strategy", "notes"},
    ),
    "decline_sketch": (["sketch_assessment"], {"sketch_declined"}, {C}, {"reason"}),
    "submit_long_form": (["long_form_draft"], {"long_form_submitted"}, {A}, set()),
    "request_long_form_revision": (["long_form_submitted"], {"long_form_draft"}, {C}, {"deficiencies"}),
    "open_vote": (["long_form_submitted"], {"partner_vote"}, {C}, {"mode", "deadline", "session_id"}),
    "close_vote": (["partner_vote"], {"statement_pending"}, {C}, set()),
    "issue_statement": (
        ["statement_pending"],
        {"endorsed", "not_endorsed", "long_form_draft"},
        {C},
        {"decision", "statement", "conditions", "recommendations", "requested_changes", "budget_confirmed"},
    ),
    "pass_without_vote": (["long_form_submitted"], {"endorsed"}, {C}, {"note"}),
    "record_nbank_submission": (
        ["endorsed"],
        {"nbank_submitted"},
        {A, C},
        {"nbank_reference", "submitted_on", "document"},
    ),
    "record_grant": (
        ["nbank_submitted"],
        {"granted"},
        {A, C},
        {"granted_on", "amount_granted", "funded_from", "funded_until", "document"},
    ),
    "record_nbank_decline": (
        ["nbank_submitted"],
        {"nbank_declined"},
        {A, C},
        {"declined_on", "reason", "document"},
    ),
    "withdraw": (NON_FINAL, {"withdrawn"}, {A, C}, {"reason"}),
}

ROLES = ["applicant", "partner", "coordinator", "observer"]
