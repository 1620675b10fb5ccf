"""The sponsor's way (issue 19, "The sponsor"): the long form starts from the sketch, recusal follows
the long form's partners, an open revision request stands in the status box, a section is complete
only when its rules hold, and self-registration lands in the chosen alliance, whose pages and mails
carry its own name."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import make_pdf, text_of
from workflow import demo
from workflow.extensions import db
from workflow.formatting import local_datetime
from workflow.models import Application, Document, Event, LongForm, ProjectPartner, Sketch, User
from workflow.services import integrity, long_forms, sketches
from workflow.services.errors import NotAllowed, NotFound, RuleViolation
from workflow.services.lifecycle import fire
from workflow.votes import casting, opening

SPONSOR = "applicant-bildungswerk"
SKETCH_COLUMNS = [c.name for c in Sketch.__table__.columns]


def _sketch_snapshot(application: Application) -> dict:
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    sketch = application.sketch
    return {
        "sketch": {name: getattr(sketch, name) for name in SKETCH_COLUMNS},
        "partners": sorted((p.organisation_id or 0, p.name or "") for p in application.project_partners),
        "pdfs": [
            (d.version, d.sha256)
            for d in db.session.scalars(
                sa.select(Document)
                .where(Document.application_id == application.id, Document.kind == "sketch")
                .order_by(Document.version)
            )
        ],
    }


def _in_assessment_with_partners(world, **partners) -> Application:
    """A sketch naming alliance partners (by key) and one other partner, with a PDF, in assessment."""
    sponsor = world.user(SPONSOR)
    application = demo.new_application(sponsor, "Pflegeberufe gewinnen")
    application.project_partners = [
        ProjectPartner(organisation_id=world.orgs[key].id) for key in partners.get("alliance", ())
    ] + [ProjectPartner(name=name) for name in partners.get("others", ())]
    db.session.commit()
    world.walker.walk_to(application, "sketch_draft", sponsor)
    sketches.upload_pdf(application, sponsor, io.BytesIO(make_pdf(2)), "Skizze.pdf")
    for trigger in ("submit_sketch", "start_assessment"):
        actor, data = world.walker.step(trigger, sponsor)
        fire(application, trigger, actor, data)
    return application


def _invite(world, application: Application) -> Event:
    actor, data = world.walker.step("invite_long_form", world.user(SPONSOR))
    return fire(application, "invite_long_form", actor, data)


# -- 1. the long form starts from the sketch ------------------------------------------------------


def test_the_invitation_carries_the_sketch_into_the_long_form_and_leaves_the_sketch_as_submitted(
    world, login
):
    application = _in_assessment_with_partners(world, alliance=("lk-celle",), others=("Pflegeschule Celle",))
    before = _sketch_snapshot(application)
    history_before = [
        (e.id, e.hash) for e in Event.query.filter_by(application_id=application.id).order_by(Event.id)
    ]
    sketch = application.sketch
    event = _invite(world, application)

    long_form = application.long_form
    assert long_form is not None
    assert long_form.starting_situation == sketch.need and long_form.objectives == sketch.objectives
    assert long_form.target_groups == sketch.target_groups
    assert long_form.participants_planned == sketch.participants_planned == 120
    assert long_form.activities == sketch.activities
    assert (long_form.start_on, long_form.end_on) == (sketch.start_date, sketch.end_date)
    assert long_form.project_partner_ids == [world.orgs["lk-celle"].id]
    assert long_form.other_partners == "Pflegeschule Celle"
    # The requested grant is the financing plan's ESF+ line; the total cost becomes no invented line.
    assert [(f.source, f.amount_cents) for f in long_form.financing_lines] == [("esf_grant", 24_000_000)]
    assert long_form.cost_lines == []
    # Carried is recorded: who and when (the invitation's event) and what.
    carried = event.data["carried_from_sketch"]
    assert event.actor_id == world.user("coordinator").id
    assert set(carried["fields"]) >= {
        "project_partners",
        "starting_situation",
        "objectives",
        "target_groups",
        "participants_planned",
        "activities",
        "start_on",
        "end_on",
        "esf_grant",
    }
    assert carried["esf_grant_cents"] == 24_000_000 and carried["sketch_total_cost_cents"] == 48_000_000
    overview = {s["key"]: s for s in long_forms.overview(application)["sections"]}
    assert all(
        overview[k]["complete"] for k in ("partners", "classification", "need", "target_groups", "activities")
    )
    assert overview["financing"]["problems"] == ["der Kostenplan enthält noch keine Ausgaben"]

    sponsor = login(SPONSOR)
    page = text_of(sponsor.get(f"/antraege/{application.id}/langfassung").text)
    assert "5 von 10 Abschnitten vollständig" in page and sketch.need in page
    assert "Aus der Skizze übernommen" in page and "480.000,00 €" in page  # the total cost as the target
    history = text_of(sponsor.get(f"/antraege/{application.id}").text)
    assert "Aus der Skizze in die Langfassung übernommen" in history

    # Editable: the sponsor changes what was carried; the sketch stays as it was submitted.
    url = f"/antraege/{application.id}/langfassung"
    form = sponsor.get(f"{url}/need").text
    assert sketch.need in form  # the section's form holds the carried text, to edit
    costs = text_of(sponsor.get(f"{url}/costs").text)
    assert "Geschätzte Gesamtkosten laut Projektskizze: 480.000,00 €" in costs  # the target, no line
    assert (
        sponsor.post(f"{url}/need", data={"starting_situation": "Neu.", "objectives": "Neu."}).status_code
        == 303
    )
    leuphana = world.orgs["leuphana"].id
    assert (
        sponsor.post(f"{url}/partners", data={"partner_ids": [leuphana], "other_partners": ""}).status_code
        == 303
    )
    assert _sketch_snapshot(application) == before
    assert before["pdfs"] == [(1, before["pdfs"][0][1])]  # its version is kept
    db.session.expire_all()
    stored = db.session.get(Application, application.id)
    assert stored.long_form.starting_situation == "Neu." and stored.long_form.project_partner_ids == [
        leuphana
    ]
    # The history up to the invitation is untouched and the chain holds.
    assert [(e.id, e.hash) for e in Event.query.filter_by(application_id=application.id).order_by(Event.id)][
        : len(history_before)
    ] == (history_before)
    checked, broken = integrity.verify_log()
    assert broken is None and checked > 0


def test_a_long_form_that_exists_is_never_overwritten(world):
    # A revision round: the long form comes back as the sponsor wrote it.
    application = world.application("long_form_submitted")
    written = application.long_form.starting_situation
    assert written == demo.LONG_FORM_TEXT["starting_situation"] != application.sketch.need
    fire(
        application,
        "request_long_form_revision",
        world.user("coordinator"),
        {"deficiencies": "Anlage fehlt."},
    )
    assert application.state == "long_form_draft"
    assert application.long_form.starting_situation == written
    assert application.long_form.cost_total > 0
    # A long form that exists when the invitation comes: kept, nothing carried.
    other = _in_assessment_with_partners(world, alliance=("leuphana",))
    db.session.add(LongForm(application_id=other.id, starting_situation="Eigener Text.", saved_sections=[]))
    db.session.commit()
    event = _invite(world, other)
    assert other.long_form.starting_situation == "Eigener Text."
    assert other.long_form.partner_rows == [] and other.long_form.financing_lines == []
    assert "carried_from_sketch" not in event.data


def test_recusal_follows_the_long_form_partners_once_it_exists(world):
    sponsor = world.user(SPONSOR)
    application = _in_assessment_with_partners(world, alliance=("lk-celle", "leuphana"))
    _invite(world, application)
    ostfalia = world.orgs["ostfalia"].id
    long_forms.save_section(
        application, sponsor, "partners", {"partner_ids": [world.orgs["lk-celle"].id, ostfalia]}
    )
    demo.fill_long_form(application, sponsor)  # keeps the partners chosen
    fire(application, "submit_long_form", sponsor)
    actor, data = world.walker.step("open_vote", sponsor)
    fire(application, "open_vote", actor, data)
    vote = application.current_vote
    assert vote.recused_ids == {world.orgs["lk-celle"].id, ostfalia}
    # Dropped from the long form's partners (named in the sketch): it votes.
    casting.cast_ballot(application, world.user("partner-leuphana"), "approve", "")
    # Added in the long form: recused.
    with pytest.raises(NotAllowed, match="befangen"):
        casting.cast_ballot(application, world.user("partner-ostfalia"), "approve", "")
    assert opening.project_partner_ids(application) == sorted([world.orgs["lk-celle"].id, ostfalia])


def test_without_a_long_form_the_sketch_partners_are_recused(world):
    application = _in_assessment_with_partners(world, alliance=("leuphana",))
    assert application.long_form is None
    assert opening.project_partner_ids(application) == [world.orgs["leuphana"].id]


# -- 2. an open revision request in the status box -------------------------------------------------


def _status_box(html: str) -> str:
    match = re.search(r'<section class="kern-card status-card".*?</section>', html, re.S)
    assert match, "no status box"
    return match.group(0)


def _revised(world, how: str) -> tuple[Application, str, str]:
    coordinator = world.user("coordinator")
    if how == "sketch":
        application = world.application("sketch_assessment")
        text = "Bitte die Zielgruppen genauer beschreiben und die Landkreise begründen."
        fire(application, "request_sketch_revision", coordinator, {"reason": text})
        return application, text, f"/antraege/{application.id}/skizze"
    if how == "long_form":
        application = world.application("long_form_submitted")
        text = "Die Kooperationsvereinbarung mit dem Landkreis fehlt."
        fire(application, "request_long_form_revision", coordinator, {"deficiencies": text})
        return application, text, f"/antraege/{application.id}/langfassung"
    application = world.application("partner_vote")
    world.walker.vote(application, ["reject"] * 14)
    text = "Den Kostenplan um die Mietkosten kürzen."
    data = {
        "decision": "revise",
        "statement": "Der Lenkungskreis bittet um Überarbeitung.",
        "requested_changes": text,
    }
    fire(application, "issue_statement", coordinator, data)
    return application, text, f"/antraege/{application.id}/langfassung"


@pytest.mark.parametrize("how", ["sketch", "long_form", "statement"])
def test_the_status_box_shows_the_open_revision_request(world, login, how):
    application, text, edit_url = _revised(world, how)
    event = (
        Event.query.filter_by(application_id=application.id, kind="transition")
        .order_by(Event.id.desc())
        .first()
    )
    html = login(SPONSOR).get(f"/antraege/{application.id}").text
    box = _status_box(html)
    shown = text_of(box)
    assert "Als Nächstes: Antragsteller" in shown
    assert text in shown  # what to change
    assert local_datetime(event.created_at) in shown  # when
    assert world.user("coordinator").name in shown  # who
    assert f'href="#verlauf-{event.id}"' in box and f'id="verlauf-{event.id}"' in html  # the history entry
    assert f'href="{edit_url}"' in box  # the part to edit
    # The coordination sees the request too, without the sponsor's edit link.
    coordinator_box = _status_box(login("coordinator").get(f"/antraege/{application.id}").text)
    assert text in text_of(coordinator_box) and f'href="{edit_url}"' not in coordinator_box


def test_the_request_is_gone_once_the_sponsor_submits_again(world):
    from workflow.services import revisions

    application, _, _ = _revised(world, "long_form")
    sponsor = world.user(SPONSOR)
    assert revisions.open_request(application, sponsor) is not None
    fire(application, "submit_long_form", sponsor)
    assert revisions.open_request(application, sponsor) is None


# -- 3. a section is complete only when its rules hold ----------------------------------------------


def _plan(application, sponsor, *, short_by=0, grant=None):
    costs, financing = demo.plan_lines(48_000_000, grant or 24_000_000)
    financing[-1]["amount_cents"] -= short_by
    long_forms.save_sections(
        application, sponsor, {"costs": {"lines": costs}, "financing": {"lines": financing}}
    )


BROKEN = {
    "unbalanced": (
        lambda app, sponsor: _plan(app, sponsor, short_by=123_456),
        {"financing": ["1.234,56\u00a0€ weniger als der Kostenplan"]},
    ),
    "overfinanced": (
        lambda app, sponsor: _plan(app, sponsor, short_by=-100),
        {"financing": ["1,00\u00a0€ mehr als der Kostenplan"]},
    ),
    "rate_too_high": (
        lambda app, sponsor: _plan(app, sponsor, grant=40_000_000),  # 83,33 % of 480.000 €
        {"financing": ["Förderquote 83,33\u00a0% über dem Höchstsatz von 60 %"]},
    ),
    "principle_missing": (
        lambda app, sponsor: long_forms.save_section(
            app, sponsor, "principles", {**{k: "x" for k in long_forms.PRINCIPLES}, "principle_good_work": ""}
        ),
        {"principles": ["Gute Arbeit fehlt"]},
    ),
    "costs_missing": (
        lambda app, sponsor: long_forms.save_section(app, sponsor, "costs", {"lines": []}),
        {
            "costs": ["noch keine Ausgaben eingetragen"],
            "financing": ["der Kostenplan enthält noch keine Ausgaben"],
        },
    ),
    "complete": (lambda app, sponsor: None, {}),
}


def _badges(html: str) -> dict[str, str]:
    return {
        key: text_of(body) for key, body in re.findall(r'<li id="abschnitt-([a-z_]+)">(.*?)</li>', html, re.S)
    }


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_badges_the_count_and_the_submission_agree(world, login, case):
    """Each section's badge, its reasons and the count say what `submit_long_form` says."""
    sponsor = world.user(SPONSOR)
    application = world.application("long_form_draft")
    demo.fill_long_form(application, sponsor)
    breaking, expected = BROKEN[case]
    breaking(application, sponsor)
    html = login(SPONSOR).get(f"/antraege/{application.id}/langfassung").text
    badges = _badges(html)
    incomplete = {key for key, text in badges.items() if "unvollständig" in text}
    assert incomplete == set(expected)
    for key, reasons in expected.items():
        for reason in reasons:
            assert reason.replace("\u00a0", " ") in badges[key]
    assert f"{10 - len(expected)} von 10 Abschnitten vollständig" in text_of(html)
    titles = {s["key"]: s["title"] for s in long_forms.overview(application)["sections"]}
    if not expected:
        fire(application, "submit_long_form", sponsor)
        assert application.state == "long_form_submitted"
        return
    with pytest.raises(RuleViolation) as refused:
        fire(application, "submit_long_form", sponsor)
    named = {key for key, title in titles.items() if f"{title} (" in refused.value.message}
    assert named == set(expected)
    for reasons in expected.values():
        for reason in reasons:
            assert reason in refused.value.message


def test_funding_object_2_is_complete_only_with_the_agencys_agreement(world, login):
    sponsor = world.user(SPONSOR)
    application = demo.new_application(sponsor, "Arbeitslose qualifizieren", number=2)
    world.walker.walk_to(application, "long_form_draft", sponsor)
    demo.fill_long_form(application, sponsor)
    long_forms.save_section(
        application,
        sponsor,
        "agency",
        {"agency_name": "Jobcenter", "agency_agreed_on": None, "agency_agreement": ""},
    )
    badges = _badges(login(SPONSOR).get(f"/antraege/{application.id}/langfassung").text)
    assert "unvollständig" in badges["agency"] and "Datum der Abstimmung fehlt" in badges["agency"]
    with pytest.raises(RuleViolation, match="Abstimmung mit der Agentur für Arbeit"):
        fire(application, "submit_long_form", sponsor)


# -- 4. registration into the chosen alliance, pages and mails with its name ------------------------

FIRST_ALLIANCE_WORDS = ("Nordostniedersachsen", "Allianz für Fachkräfte", "Lenkungskreis", "IHK Lüneburg")


def _registration(**extra) -> dict:
    return {
        "organisation_name": "Weser Lernwerk gGmbH",
        "legal_form": "gGmbH",
        "address": "Am Deich 1\n28195 Bremen",
        "contact_person": "Wiebke Weser",
        "name": "Wiebke Weser",
        "email": "wiebke@lernwerk.example",
        "password": "Deichgraf-Lernwerk-2026",
        "password_repeat": "Deichgraf-Lernwerk-2026",
        **extra,
    }


def test_with_one_alliance_there_is_nothing_to_choose(client, world):
    page = client.get("/registrieren").text
    assert 'name="alliance"' not in page
    assert "Allianz für Fachkräfte Nordostniedersachsen" in text_of(page)
    assert client.post("/registrieren", data=_registration()).status_code == 200
    user = User.query.filter_by(email="wiebke@lernwerk.example").one()
    assert user.alliance_id == world.alliance.id


def test_with_several_alliances_the_sponsor_must_choose(client, world, other_alliance):
    page = client.get("/registrieren").text
    assert 'name="alliance"' in page and "Fachkräftebündnis Weser" in page
    refused = client.post("/registrieren", data=_registration())
    assert refused.status_code == 422 and "Bitte wählen Sie das Bündnis" in text_of(refused.text)
    assert User.query.filter_by(email="wiebke@lernwerk.example").first() is None
    assert client.post("/registrieren", data=_registration(alliance="nonsense")).status_code == 422
    assert client.post("/registrieren", data=_registration(alliance="weser")).status_code == 200
    user = User.query.filter_by(email="wiebke@lernwerk.example").one()
    assert user.alliance_id == other_alliance.alliance.id


def test_the_alliances_own_address_decides_and_every_page_and_mail_carries_its_name(
    app, client, world, other_alliance, smtp
):
    other_alliance.alliance.committee_name = "Weser-Ausschuss"
    other_alliance.alliance.coordination_address = "Fachkräftebündnis Weser\nAm Markt 1\n28195 Bremen"
    db.session.commit()
    page = client.get("/registrieren?buendnis=weser").text
    assert 'name="alliance"' not in page
    assert "Sie registrieren sich bei: Fachkräftebündnis Weser" in text_of(page)
    assert client.get("/registrieren?buendnis=gibtesnicht").status_code == 404
    assert client.post("/registrieren?buendnis=weser", data=_registration()).status_code == 200
    user = User.query.filter_by(email="wiebke@lernwerk.example").one()
    assert user.alliance_id == other_alliance.alliance.id
    assert user.organisation.alliance_id == other_alliance.alliance.id

    from workflow.services import mail

    mail.send_pending()
    (message,) = smtp.to("wiebke@lernwerk.example")
    body = message.get_content()
    assert "Fachkräftebündnis Weser" in body
    assert not [w for w in FIRST_ALLIANCE_WORDS if w in body], body

    # The second alliance's people see its name on their pages, never the first alliance's.
    from tests.conftest import LoggedIn

    application = other_alliance.application
    coordinator = LoggedIn(app, other_alliance.coordinator.email)
    sponsor = LoggedIn(app, other_alliance.sponsor.email)
    pages = [
        (sponsor, "/start"),
        (sponsor, f"/antraege/{application.id}"),
        (coordinator, f"/antraege/{application.id}"),
        (coordinator, "/sitzungen"),
        (coordinator, "/start"),
        (coordinator, "/barrierefreiheit"),
    ]
    for person, url in pages:
        response = person.get(url)
        assert response.status_code == 200, url
        shown = text_of(response.text)
        assert "Fachkräftebündnis Weser" in shown, url
        assert not [w for w in FIRST_ALLIANCE_WORDS if w in shown], (url, shown)
    assert "Weser-Ausschuss" in text_of(coordinator.get("/sitzungen").text)
    # The assessment letter (page and PDF) is the second alliance's, with its coordination's address.
    from pypdf import PdfReader

    fire(application, "start_assessment", other_alliance.coordinator)
    fire(application, "request_sketch_revision", other_alliance.coordinator, {"reason": "Bitte kürzen."})
    letter = text_of(sponsor.get(f"/antraege/{application.id}/ersteinschaetzung/schreiben").text)
    pdf = sponsor.get(f"/antraege/{application.id}/ersteinschaetzung/schreiben.pdf")
    assert pdf.status_code == 200
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for shown in (letter, pdf_text):
        assert "Fachkräftebündnis Weser" in shown and "Am Markt 1" in shown
        assert not [w for w in FIRST_ALLIANCE_WORDS if w in shown], shown


def test_one_rule_says_which_alliance_a_sponsor_registers_with(world, other_alliance):
    """services/accounts.registration_choice, which the page, its header and the registration use."""
    from workflow.services import accounts

    assert accounts.registration_choice("weser") == (other_alliance.alliance, [])
    assert accounts.registration_choice(" NON ") == (world.alliance, [])
    decided, choices = accounts.registration_choice()
    assert decided is None and {a.slug for a in choices} == {"non", "weser"}
    with pytest.raises(NotFound):
        accounts.registration_choice("gibtesnicht")


def test_the_only_alliance_of_the_instance_decides_by_itself(world):
    from workflow.services import accounts

    assert accounts.registration_choice() == (world.alliance, [])
    assert accounts.registration_choice(None) == (world.alliance, [])
