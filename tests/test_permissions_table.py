"""The permission table (workflow/permissions.py) is consistent with the lifecycle and with the
code that asks it, and no view checks a role by hand any more."""

from __future__ import annotations

import re
from pathlib import Path

from workflow import lifecycle, permissions

ROOT = Path(__file__).resolve().parent.parent
# A verb as the code names it: access.may(user, "verb" …), allowed_to("verb" …), may('verb' …).
ASKED = re.compile(r"""\b(?:may|allowed_to)\((?:[^()"',]+(?:\(\))?,\s*)?["'](\w+)["']""")


def _sources():
    yield from (ROOT / "workflow").rglob("*.py")
    yield from (ROOT / "templates").rglob("*.html")


def _asked() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in _sources():
        for verb in ASKED.findall(path.read_text(encoding="utf-8")):
            found.setdefault(verb, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_verb_the_code_asks_is_in_the_table():
    asked = _asked()
    assert asked, "the pattern finds the calls"
    unknown = {verb: sorted(where) for verb, where in asked.items() if verb not in permissions.VERBS}
    assert not unknown


def test_every_verb_of_the_table_is_asked_somewhere():
    # The triggers are asked by name from the lifecycle table (access.allowed_triggers, fire).
    unused = permissions.VERBS - set(_asked()) - set(lifecycle.TRIGGER_NAMES)
    assert not unused


def test_every_role_state_and_relation_named_exists():
    roles = set(lifecycle.ROLES) | {lifecycle.SYSTEM}
    for verb, grants in permissions.PERMISSIONS.items():
        assert grants, verb
        alliance_wide = {grant.states is None for grant in grants}
        assert len(alliance_wide) == 1, f"{verb}: either about one application or about the alliance"
        for grant in grants:
            assert set(grant.roles) <= roles, verb
            assert grant.states is None or (grant.states and grant.states <= set(lifecycle.STATE_NAMES)), verb
            assert grant.relation in permissions.RELATIONS, verb


def test_seeing_an_application_does_not_depend_on_its_state():
    # services/access.visible_applications asks only the relations of the `view` grants.
    assert all(grant.states == permissions.ALL_STATES for grant in permissions.PERMISSIONS["view"])


def test_the_triggers_grant_what_the_lifecycle_says():
    for trigger in lifecycle.TRIGGERS:
        granted = {role for grant in permissions.PERMISSIONS[trigger.name] for role in grant.roles}
        assert granted == set(trigger.roles), trigger.name


def test_the_state_sets_follow_from_the_lifecycle():
    assert {"sketch_draft"} == permissions.SKETCH_DRAFT
    assert {"long_form_draft"} == permissions.LONG_FORM_DRAFT
    assert {"consultation", "sketch_draft", "long_form_draft"} == permissions.SPONSOR_EDITS
    assert {"sketch_assessment"} == permissions.IN_ASSESSMENT
    assert set(lifecycle.STATE_NAMES) - lifecycle.FINAL_STATES == permissions.NOT_FINAL


def test_the_table_is_pure():
    text = (ROOT / "workflow" / "permissions.py").read_text(encoding="utf-8")
    imports = re.findall(r"^(?:from|import) (\S+)", text, re.M)
    assert set(imports) <= {"__future__", "dataclasses", "workflow.lifecycle"}


def _view_modules():
    yield from (ROOT / "workflow" / "views").glob("*.py")
    yield from (ROOT / "workflow").glob("*/views.py")


def test_no_view_checks_the_coordinator_inline():
    """403 comes from the decorators (views/guards.py) or from the table asked about one
    application (`if not access.may(…): abort(403)`), never from a role compared by hand."""
    inline = []
    for path in _view_modules():
        if path.name == "guards.py":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "abort(403)" in line and "access.may(" not in lines[number - 1]:
                inline.append(f"{path.relative_to(ROOT)}:{number + 1}")
    assert not inline


def test_no_view_compares_a_role_to_refuse():
    role_check = re.compile(
        r"""if not (?:current_)?user\.is_coordinator|role != (?:COORDINATOR|["']coordinator["'])"""
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _view_modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if role_check.search(line)
    ]
    assert not found
