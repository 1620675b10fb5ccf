"""The lifecycle module declares exactly DESIGN.md's states and triggers."""

from tests.expectations import FINAL, STATES, TRIGGERS
from workflow import lifecycle


def test_states_and_labels_are_those_of_the_design():
    assert {s.name: s.label for s in lifecycle.STATES} == STATES
    assert lifecycle.FINAL_STATES == FINAL
    assert lifecycle.INITIAL_STATE == "consultation"


def test_every_trigger_has_the_designed_sources_targets_roles_and_records():
    assert set(lifecycle.TRIGGERS_BY_NAME) == set(TRIGGERS)
    for name, (sources, dests, roles, records) in TRIGGERS.items():
        trigger = lifecycle.TRIGGERS_BY_NAME[name]
        assert {t.source for t in trigger.transitions} == set(sources), name
        assert {t.dest for t in trigger.transitions} == dests, name
        assert set(trigger.roles) - {"system"} == roles, name
        assert set(trigger.records) == records, name


def test_machine_is_shared_and_has_no_auto_transitions():
    machine = lifecycle.MACHINE
    assert machine.models == []  # model=None: one machine, no per-row state
    assert not any(name.startswith("to_") for name in machine.events)
    assert set(machine.events) == set(TRIGGERS)


def test_only_the_vote_closes_by_itself():
    system_triggers = {t.name for t in lifecycle.TRIGGERS if "system" in t.roles}
    assert system_triggers == {"close_vote"}


def test_final_states_have_no_way_out():
    for state in FINAL:
        assert lifecycle.triggers_from(state) == ()


def test_mermaid_diagram_names_every_state_and_trigger():
    diagram = lifecycle.mermaid_diagram()
    assert diagram.splitlines()[3].strip() == "stateDiagram-v2"
    for state in STATES:
        assert f'state "{state}" as {state}' in diagram
    for name, (sources, _, _, _) in TRIGGERS.items():
        for source in sources:
            assert any(
                line.strip().startswith(f"{source} --> ") and f": {name}" in line
                for line in diagram.splitlines()
            ), (name, source)


def test_the_states_only_reached_through_a_submitted_sketch_are_read_from_the_table():
    from workflow.lifecycle import states_only_after

    after_sketch = states_only_after("submit_sketch")
    assert {"sketch_submitted", "partner_vote", "granted", "sketch_declined"} <= after_sketch
    # A sketch sent back for revision, a withdrawal: reachable without a submission as well.
    assert not after_sketch & {"consultation", "sketch_draft", "withdrawn"}
    assert states_only_after("record_grant") == {"granted"}
