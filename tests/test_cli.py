"""The commands of `flask --app wsgi …`."""

from __future__ import annotations

import sqlalchemy as sa

from tests.expectations import STATES, TRIGGERS
from workflow.extensions import db
from workflow.models import Application, Organisation, User
from workflow.services.lifecycle import history


def test_diagram_prints_every_state_and_trigger(app):
    result = app.test_cli_runner().invoke(args=["diagram"])
    assert result.exit_code == 0
    assert "stateDiagram-v2" in result.output
    for state in STATES:
        assert state in result.output
    for trigger in TRIGGERS:
        assert f": {trigger}" in result.output


def test_init_db_is_idempotent(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Datenbank bereit" in result.output


def test_seed_demo_puts_an_application_in_every_state(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    states = set(db.session.scalars(sa.select(Application.state)))
    assert states == set(STATES)
    partners = db.session.scalars(sa.select(Organisation.name).where(Organisation.kind == "partner")).all()
    assert len(partners) == 14 and "Ostfalia Hochschule (Suderburg)" in partners
    observers = set(db.session.scalars(sa.select(Organisation.name).where(Organisation.kind == "observer")))
    assert "NBank" in observers and any("(MS)" in o for o in observers)
    roles = set(db.session.scalars(sa.select(User.role)))
    assert roles == {"applicant", "partner", "coordinator", "observer"}
    granted = db.session.scalar(sa.select(Application).where(Application.state == "granted"))
    triggers = [e.trigger for e in history(granted) if e.kind == "transition"]
    assert triggers[-3:] == ["issue_statement", "record_nbank_submission", "record_grant"]
    # Every demo statement and letter is signed with the demo certificate (named as demo), and the
    # demo CA is among the trust roots, so verify-statement trusts them.
    from workflow.models import Letter, Statement
    from workflow.services import authenticity, statements

    issued = [*db.session.scalars(sa.select(Statement)), *db.session.scalars(sa.select(Letter))]
    assert len(issued) >= 10 and all("DEMO" in (d.signed_by or "") for d in issued)
    (check,) = authenticity.check_signatures(statements.stored_bytes(statements.latest(granted)))
    assert check.intact and check.trusted and "DEMO" in check.issuer
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "keine Demodaten" in again.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0


def test_create_user_creates_the_organisation_of_the_fitting_kind(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "neu@traeger.example",
            "--role",
            "applicant",
            "--organisation",
            "Neuer Träger gGmbH",
            "--password",
            "ein-langes-passwort",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "neu@traeger.example"))
    assert user.organisation.kind == "applicant" and user.organisation.name == "Neuer Träger gGmbH"
    assert user.password_hash.startswith("$argon2id$")


def test_create_user_prompts_for_the_password(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "p@ihk.example",
            "--role",
            "partner",
            "--organisation",
            "IHK Lüneburg-Wolfsburg",
        ],
        input="ein-langes-passwort\nein-langes-passwort\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "p@ihk.example"))
    assert user.organisation_id == world.orgs["ihk"].id  # joins the existing partner organisation


def test_create_user_refuses_bad_input_in_german(app, world):
    runner = app.test_cli_runner()
    cases = [
        (
            ["x@y.example", "--role", "partner", "--organisation", "Neu", "--password", "kurz"],
            "mindestens 10",
        ),
        (
            [
                "koordination@demo.antragsweg.de",
                "--role",
                "coordinator",
                "--organisation",
                "X",
                "--password",
                "ein-langes-passwort",
            ],
            "bereits ein Konto",
        ),
        (
            [
                "x@y.example",
                "--role",
                "observer",
                "--organisation",
                "IHK Lüneburg-Wolfsburg",
                "--password",
                "ein-langes-passwort",
            ],
            "als Bündnispartner erfasst",
        ),
        (
            [
                "x@y.example",
                "--role",
                "partner",
                "--organisation",
                "X",
                "--alliance",
                "nix",
                "--password",
                "ein-langes-passwort",
            ],
            "kein Bündnis",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code != 0
        assert message in result.output, (args, result.output)
