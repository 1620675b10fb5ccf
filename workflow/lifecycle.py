"""The procedure of DESIGN.md as data, and the one `transitions` machine built from it.

This module is the ground floor: it imports nothing of the app. Guards are named by string; the
machine looks them up as methods on the application it is fired on (`Application.<guard>(data=...)`).
Everything else (services, views, the API, the diagram) reads the tables below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transitions import Machine


def N_(text: str) -> str:
    """Marks a label for the translation catalogue (`pybabel extract -k N_`) without translating
    it here: this module stays free of the app. Pages translate it where they show it; stored and
    issued texts keep the German."""
    return text


# Roles (codes of DESIGN.md). `system` is the app itself (the `tick` command, a vote that closes
# because every partner has voted); it is never a person's role.
APPLICANT, PARTNER, COORDINATOR, OBSERVER, SYSTEM = (
    "applicant",
    "partner",
    "coordinator",
    "observer",
    "system",
)
ROLES = (APPLICANT, PARTNER, COORDINATOR, OBSERVER)


@dataclass(frozen=True)
class State:
    name: str
    label: str
    next_actor: str  # who acts next, as shown to people ("—" for a final state)
    final: bool = False


@dataclass(frozen=True)
class Transition:
    source: str
    dest: str
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trigger:
    name: str
    label: str
    roles: tuple[str, ...]
    transitions: tuple[Transition, ...]
    # The fields this trigger records in its event (see forms/transitions.py for their types).
    records: tuple[str, ...] = field(default=())


STATES: tuple[State, ...] = (
    State("consultation", N_("Beratung angefragt"), N_("Netzwerkkoordination (Beratungsgespräch)")),
    State("sketch_draft", N_("Projektskizze in Bearbeitung"), N_("Antragsteller")),
    State("sketch_submitted", N_("Projektskizze eingereicht"), N_("Netzwerkkoordination")),
    State(
        "sketch_assessment",
        N_("Ersteinschätzung"),
        N_("Netzwerkkoordination mit NBank, MS und Bündnispartnern"),
    ),
    State("long_form_draft", N_("Langfassung in Bearbeitung"), N_("Antragsteller")),
    State("long_form_submitted", N_("Langfassung eingereicht"), N_("Netzwerkkoordination")),
    State("partner_vote", N_("Votum der Bündnispartner"), N_("Bündnispartner")),
    State("statement_pending", N_("Stellungnahme in Vorbereitung"), N_("Netzwerkkoordination")),
    State("endorsed", N_("Positive Stellungnahme"), N_("Antragsteller (Antrag bei der NBank)")),
    State("nbank_submitted", N_("Antrag bei der NBank gestellt"), N_("NBank (Entscheidung)")),
    State("granted", N_("Bewilligt (Zuwendungsbescheid)"), "—", final=True),
    State("nbank_declined", N_("Von der NBank abgelehnt"), "—", final=True),
    State("sketch_declined", N_("Skizze nicht befürwortet"), "—", final=True),
    State("not_endorsed", N_("Negative Stellungnahme"), "—", final=True),
    State("withdrawn", N_("Zurückgezogen"), "—", final=True),
)

STATE_NAMES: tuple[str, ...] = tuple(s.name for s in STATES)
STATES_BY_NAME: dict[str, State] = {s.name: s for s in STATES}
INITIAL_STATE = "consultation"
FINAL_STATES: frozenset[str] = frozenset(s.name for s in STATES if s.final)
NON_FINAL_STATES: tuple[str, ...] = tuple(s.name for s in STATES if not s.final)


def _t(source: str, dest: str, *guards: str) -> Transition:
    return Transition(source, dest, tuple(guards))


TRIGGERS: tuple[Trigger, ...] = (
    Trigger(
        "record_consultation",
        N_("Beratungsgespräch erfassen"),
        (COORDINATOR,),
        (_t("consultation", "sketch_draft"),),
        records=("consultation_date", "participants", "notes", "recommendation"),
    ),
    Trigger(
        "submit_sketch",
        N_("Projektskizze einreichen"),
        (APPLICANT,),
        (_t("sketch_draft", "sketch_submitted", "sketch_complete"),),
    ),
    Trigger(
        "start_assessment",
        N_("Ersteinschätzung beginnen"),
        (COORDINATOR,),
        (_t("sketch_submitted", "sketch_assessment"),),
    ),
    Trigger(
        "request_sketch_revision",
        N_("Überarbeitung der Skizze anfordern"),
        (COORDINATOR,),
        (_t("sketch_assessment", "sketch_draft"),),
        records=("reason",),
    ),
    Trigger(
        "invite_long_form",
        N_("Zur Langfassung einladen"),
        (COORDINATOR,),
        (_t("sketch_assessment", "long_form_draft", "assessment_positive"),),
        records=("parties_consulted", "fundable", "fits_strategy", "notes"),
    ),
    Trigger(
        "decline_sketch",
        N_("Skizze nicht befürworten"),
        (COORDINATOR,),
        (_t("sketch_assessment", "sketch_declined"),),
        records=("reason",),
    ),
    Trigger(
        "submit_long_form",
        N_("Langfassung einreichen"),
        (APPLICANT,),
        (
            _t(
                "long_form_draft",
                "long_form_submitted",
                "long_form_complete",
                "plans_balance",
                "funding_rate_allowed",
            ),
        ),
    ),
    Trigger(
        "request_long_form_revision",
        N_("Formale Nachbesserung anfordern"),
        (COORDINATOR,),
        (_t("long_form_submitted", "long_form_draft"),),
        records=("deficiencies",),
    ),
    Trigger(
        "open_vote",
        N_("Votum eröffnen"),
        (COORDINATOR,),
        (_t("long_form_submitted", "partner_vote", "needs_statement", "vote_setup_valid"),),
        records=("mode", "deadline", "session_id"),
    ),
    Trigger(
        "close_vote",
        N_("Votum schließen"),
        (COORDINATOR, SYSTEM),
        (_t("partner_vote", "statement_pending", "vote_closable"),),
    ),
    Trigger(
        "issue_statement",
        N_("Stellungnahme abgeben"),
        (COORDINATOR,),
        (
            # The target follows the frozen outcome of the vote; the first that passes is taken.
            _t(
                "statement_pending",
                "endorsed",
                "vote_approved",
                "decision_endorse",
                "budget_confirmed_if_exceeded",
            ),
            _t("statement_pending", "long_form_draft", "vote_not_approved", "decision_revise"),
            _t("statement_pending", "not_endorsed", "vote_not_approved", "decision_reject"),
        ),
        records=(
            "decision",
            "statement",
            "conditions",
            "recommendations",
            "requested_changes",
            "budget_confirmed",
        ),
    ),
    Trigger(
        "pass_without_vote",
        N_("Ohne Votum weiterleiten"),
        (COORDINATOR,),
        (_t("long_form_submitted", "endorsed", "statement_not_needed"),),
        records=("note",),
    ),
    Trigger(
        "record_nbank_submission",
        N_("Antragstellung bei der NBank erfassen"),
        (APPLICANT, COORDINATOR),
        (_t("endorsed", "nbank_submitted", "nbank_reference_valid", "document_attached"),),
        records=("nbank_reference", "submitted_on", "document"),
    ),
    Trigger(
        "record_grant",
        N_("Zuwendungsbescheid erfassen"),
        (APPLICANT, COORDINATOR),
        (
            _t(
                "nbank_submitted",
                "granted",
                "grant_plausible",
                "decided_after_submission",
                "grant_period_valid",
                "document_attached",
            ),
        ),
        records=("granted_on", "amount_granted", "funded_from", "funded_until", "document"),
    ),
    Trigger(
        "record_nbank_decline",
        N_("Ablehnung der NBank erfassen"),
        (APPLICANT, COORDINATOR),
        (_t("nbank_submitted", "nbank_declined", "decided_after_submission", "document_attached"),),
        records=("declined_on", "reason", "document"),
    ),
    Trigger(
        "withdraw",
        N_("Antrag zurückziehen"),
        (APPLICANT, COORDINATOR),
        tuple(_t(state, "withdrawn") for state in NON_FINAL_STATES),
        records=("reason",),
    ),
)

# What a person is told when a guard refuses (German; the UI's language of record).
GUARD_MESSAGES: dict[str, str] = {
    "sketch_complete": "Die Projektskizze ist noch nicht vollständig. Bitte füllen Sie alle Angaben "
    "der Skizze aus oder laden Sie die Skizze als PDF (höchstens 3 Seiten) hoch; Titel, "
    "Fördergegenstand, Handlungsfelder, Landkreise, Gesamtkosten und beantragte Förderung sind "
    "immer nötig.",
    "long_form_complete": "Die Langfassung ist noch nicht vollständig.",
    "plans_balance": "Kostenplan und Finanzierungsplan sind nicht ausgeglichen.",
    "funding_rate_allowed": "Die Förderquote übersteigt den Höchstsatz des Bündnisses.",
    "assessment_positive": "Zur Langfassung kann nur eingeladen werden, wenn die beteiligten Stellen "
    "genannt sind und das Projekt förderfähig ist und zur Strategie passt.",
    "needs_statement": "Dieser Fördergegenstand braucht keine Stellungnahme des Bündnisses.",
    "statement_not_needed": "Dieser Fördergegenstand braucht eine Stellungnahme des Bündnisses; "
    "der Antrag muss zur Abstimmung gestellt werden.",
    "vote_setup_valid": "Für ein Umlaufverfahren ist eine Frist in der Zukunft nötig, für eine "
    "Sitzung eine geplante, noch nicht vergangene Sitzung des Bündnisses.",
    "vote_closable": "Das Votum kann noch nicht geschlossen werden: das Quorum ist nicht erreicht.",
    "vote_approved": "Die Bündnispartner haben nicht zugestimmt; eine positive Stellungnahme ist "
    "nicht möglich.",
    "vote_not_approved": "Die Bündnispartner haben zugestimmt; die Stellungnahme muss positiv sein.",
    "decision_endorse": "Die Entscheidung muss dem Abstimmungsergebnis folgen.",
    "decision_revise": "Für eine Überarbeitung müssen die gewünschten Änderungen genannt werden.",
    "decision_reject": "Die Entscheidung muss dem Abstimmungsergebnis folgen.",
    "grant_plausible": "Der bewilligte Betrag muss größer als 0 sein und darf die beantragte "
    "Förderung nicht übersteigen.",
    "budget_confirmed_if_exceeded": "Die positive Stellungnahme überschreitet das verbleibende Budget "
    "des Förderzeitraums. Bitte bestätigen Sie die Überschreitung ausdrücklich.",
    "nbank_reference_valid": "Das Aktenzeichen der NBank hat nicht das erwartete Format "
    "(Programmkürzel, Jahr und laufende Nummer, z. B. ESF-2026-00042).",
    "decided_after_submission": "Das Datum des Bescheids darf nicht vor der Antragstellung bei der "
    "NBank liegen.",
    "grant_period_valid": "Der Bewilligungszeitraum muss mit einem Beginn vor seinem Ende angegeben werden.",
    "document_attached": "Bitte laden Sie den Bescheid bzw. Antrag als PDF-Datei hoch.",
}

TRIGGERS_BY_NAME: dict[str, Trigger] = {t.name: t for t in TRIGGERS}
TRIGGER_NAMES: tuple[str, ...] = tuple(TRIGGERS_BY_NAME)


def machine_definition() -> dict:
    """The keyword arguments of a `transitions` machine for the tables above."""
    return {
        "states": list(STATE_NAMES),
        "transitions": [
            {
                "trigger": trigger.name,
                "source": t.source,
                "dest": t.dest,
                "conditions": list(t.guards),
            }
            for trigger in TRIGGERS
            for t in trigger.transitions
        ],
        "auto_transitions": False,
        "model_attribute": "state",
    }


# One machine for all applications (model=None): triggers are fired on a row with
# `MACHINE.events[name].trigger(application, data=...)`. Never build one per row.
MACHINE = Machine(model=None, initial=None, **machine_definition())


def states_only_after(trigger: str) -> frozenset[str]:
    """The states an application can only reach by way of `trigger` (read from the table: what
    stays unreachable from the initial state when that trigger is taken away)."""
    reachable, frontier = {INITIAL_STATE}, [INITIAL_STATE]
    while frontier:
        state = frontier.pop()
        for other in TRIGGERS:
            if other.name == trigger:
                continue
            for t in other.transitions:
                if t.source == state and t.dest not in reachable:
                    reachable.add(t.dest)
                    frontier.append(t.dest)
    return frozenset(STATE_NAMES) - reachable


def triggers_from(state: str) -> tuple[Trigger, ...]:
    """The triggers whose transitions start in `state`, in the order of the table."""
    return tuple(t for t in TRIGGERS if any(tr.source == state for tr in t.transitions))


def transitions_of(trigger: str, state: str) -> tuple[Transition, ...]:
    return tuple(t for t in TRIGGERS_BY_NAME[trigger].transitions if t.source == state)


def mermaid_diagram() -> str:
    """The lifecycle as a Mermaid state diagram, drawn from the same definition."""
    from transitions.extensions import GraphMachine

    class _Drawing:
        state = INITIAL_STATE

    drawing = _Drawing()
    GraphMachine(
        model=drawing,
        initial=INITIAL_STATE,
        graph_engine="mermaid",
        show_conditions=True,
        title="Antragsweg: Lebenszyklus eines Antrags",
        **machine_definition(),
    )
    lines = []
    for line in drawing.get_graph().draw(None).splitlines():
        # Drop the styling of the "current" state: the diagram describes every application.
        if line.strip().startswith(("classDef", "Class ")):
            continue
        lines.append(line.rstrip())
    return "\n".join(line for line in lines if line) + "\n"
