"""The whole procedure in a real browser against gunicorn: a sponsor registers (confirming the
address from a real mail), asks for a consultation, writes the sketch with a PDF and the long form
with balanced plans; the coordinator records, assesses and invites; partners vote (one recused as a
named project partner, one rejecting with a comment); the statement is issued and downloaded; NBank's
submission and grant are recorded with their documents. Each step: a screenshot in test-artifacts/
and axe-core (WCAG 2.1 A/AA) on the page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_accessibility import login
from tests.conftest import make_pdf
from workflow import demo
from workflow.extensions import db
from workflow.models import Application, Document, Statement

SPONSOR_EMAIL = "petra@pflegeschule-uelzen.example"
SPONSOR_PASSWORD = "Pflege-Perspektive-2026"
RECUSED = "partner-lk-lueneburg"  # named as project partner in sketch and long form
VOTERS = [
    "partner-ihk",
    "partner-hwk",
    "partner-agv",
    "partner-aa-lueneburg",
    "partner-leuphana",
    "partner-lk-uelzen",
]
REJECTING = "partner-dgb"


class Journey:
    def __init__(self, tmp_path):
        self.step = 0
        self.tmp_path = tmp_path
        self.pages_checked = 0

    def check(self, page, name: str) -> None:
        """Screenshot and axe-core on the page as a person sees it now."""
        self.step += 1
        screenshot(page, f"journey-{self.step:02d}-{name}")
        violations = axe_violations(page)
        assert not violations, (name, page.url, violations)
        self.pages_checked += 1

    def file(self, name: str, data: bytes) -> str:
        path = self.tmp_path / name
        path.write_bytes(data)
        return str(path)


def fill(page, values: dict) -> None:
    """Fill the fields named in `values` the way a person does (type, tick, choose, attach)."""
    for name, value in values.items():
        field = page.locator(f"[name='{name}']")
        kind = field.first.evaluate("e => e.tagName === 'SELECT' ? 'select' : (e.type || '')")
        if kind in ("checkbox", "radio"):
            for item in value if isinstance(value, list) else [value]:
                if item is True:
                    field.first.check()
                else:
                    page.locator(f"[name='{name}'][value='{item}']").check()
        elif kind == "select":
            field.select_option(str(value))
        elif kind == "file":
            field.set_input_files(value)
        else:
            field.fill(str(value))


def submit(page, button: str = "main form button[type=submit]") -> None:
    """Send the form and wait for the page that answers it."""
    with page.expect_navigation():
        page.locator(button).first.click()
    assert "Das hat nicht geklappt" not in page.content(), page.url


def act(page, application_id: int, trigger: str, values: dict | None = None, journey=None, name=""):
    """Open an action from the application page's list of actions, fill its form, send it."""
    page.goto(f"/antraege/{application_id}")
    with page.expect_navigation():
        page.locator(f"a[href$='/aktion/{trigger}']").first.click()
    fill(page, values or {})
    if journey:
        journey.check(page, name or trigger)
    submit(page)
    assert "ist erledigt" in page.content(), (trigger, page.url)


@pytest.mark.parametrize("site", ["http", "https"], indirect=True)
def test_the_whole_procedure_in_a_real_browser(world, site, new_page, live_smtp, live_mailer, tmp_path):
    """Once against gunicorn directly, once over HTTPS through nginx (tests/nginx.py)."""
    base_url = site[0]
    journey = Journey(tmp_path)
    today = date.today()
    orgs = world.orgs

    # -- the sponsor registers and confirms the address from the mail ---------------------------
    sponsor = new_page()
    sponsor.goto("/registrieren")
    fill(
        sponsor,
        {
            "organisation_name": "Pflegeschule Uelzen gGmbH",
            "legal_form": "gGmbH",
            "address": "Hauptstraße 1\n29525 Uelzen",
            "contact_person": "Petra Pflege",
            "name": "Petra Pflege",
            "email": SPONSOR_EMAIL,
            "password": SPONSOR_PASSWORD,
            "password_repeat": SPONSOR_PASSWORD,
        },
    )
    journey.check(sponsor, "registrieren")
    earlier = len(live_smtp.to(SPONSOR_EMAIL))  # the mailbox lives for the run (other variant)
    submit(sponsor)
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in sponsor.content()
    mail = live_smtp.wait_for(SPONSOR_EMAIL, count=earlier + 1)[-1]
    link = re.search(r"https?://\S+", mail.get_content()).group(0)
    assert link.startswith(base_url + "/"), link  # the address people use: https:// behind nginx
    sponsor.goto(link)
    journey.check(sponsor, "adresse-bestaetigen")
    submit(sponsor)
    login(sponsor, SPONSOR_EMAIL, SPONSOR_PASSWORD)

    # -- a consultation is requested and held ---------------------------------------------------
    sponsor.goto("/")
    with sponsor.expect_navigation():
        sponsor.locator("a[href='/antraege/neu']:visible").first.click()
    fill(
        sponsor,
        {
            "title": "Pflege-Perspektiven Uelzen",
            "summary": "Quereinsteigende für die Pflege gewinnen und qualifizieren.",
            "preferred_dates": "Dienstags vormittags",
            "funding_object_id": world.alliance.funding_objects[0].id,
            "fields_of_action": ["I", "digital"],
            "districts": ["Uelzen", "Lüneburg"],
            "total_cost_cents": "49.734,56",
            "requested_grant_cents": "24.000,00",
        },
    )
    journey.check(sponsor, "beratung-anfragen")
    submit(sponsor)
    application_id = int(re.search(r"/antraege/(\d+)", sponsor.url).group(1))
    journey.check(sponsor, "antrag-angelegt")

    coordinator = new_page()
    login(coordinator, world.user("coordinator").email)
    act(
        coordinator,
        application_id,
        "record_consultation",
        {
            "consultation_date": today.isoformat(),
            "participants": "Koordination, Petra Pflege",
            "notes": "Idee geklärt.",
        },
        journey,
        "beratung-festhalten",
    )

    # -- the sketch, with its PDF -----------------------------------------------------------------
    sponsor.goto(f"/antraege/{application_id}/skizze")
    fill(
        sponsor,
        {
            "need": "In den Pflegeheimen im Landkreis Uelzen bleiben viele Stellen offen.",
            "objectives": "40 Quereinsteigende in zwei Jahren qualifizieren.",
            "target_groups": "Berufsrückkehrende, Zugewanderte, Menschen ohne Abschluss.",
            "participants_planned": "40",
            "activities": "Orientierung, Praktikum, Qualifizierung, Begleitung in den Beruf.",
            "partner_organisation_ids": [orgs["lk-lueneburg"].id],
            "start_date": date(today.year + 1, 1, 1).isoformat(),
            "end_date": date(today.year + 2, 12, 31).isoformat(),
            "sketch_pdf": journey.file("skizze.pdf", make_pdf(2)),
        },
    )
    journey.check(sponsor, "skizze-schreiben")
    submit(sponsor)
    act(sponsor, application_id, "submit_sketch", journey=journey, name="skizze-einreichen")

    act(coordinator, application_id, "start_assessment", journey=journey, name="ersteinschaetzung-beginnen")
    act(
        coordinator,
        application_id,
        "invite_long_form",
        {"parties_consulted": "NBank, MS, Landkreis Uelzen", "fundable": True, "fits_strategy": True},
        journey,
        "zur-langfassung-einladen",
    )

    # -- the long form, section by section, with balanced plans ------------------------------------
    # The invitation carried the sketch over: need, objectives, target groups, activities, dates and
    # the sketch's project partner are there already; the sponsor completes the rest.
    sponsor.goto(f"/antraege/{application_id}/langfassung")
    carried = sponsor.content()
    assert "Aus der Skizze übernommen" in carried and "5 von 10 Abschnitten vollständig" in carried
    assert "In den Pflegeheimen im Landkreis Uelzen bleiben viele Stellen offen." in carried
    journey.check(sponsor, "langfassung-aus-der-skizze")
    start = today.replace(day=1) + timedelta(days=92)
    sections = {
        "partners": {"partner_ids": [orgs["lk-lueneburg"].id], "other_partners": "Pflegeheime der Region"},
        "activities": {
            "activities": "Q1 Akquise, Q2–Q7 Qualifizierung, Q8 Vermittlung.",
            "start_on": start.isoformat(),
            "end_on": start.replace(year=start.year + 2).isoformat(),
        },
        "costs": {
            "lines-0-category": "personnel",
            "lines-0-description": "Projektleitung",
            "lines-0-salary_group": "E 13 TV-L",
            "lines-0-unit_cost_cents": "48,50",
            "lines-0-hours": "1000",
            "lines-1-category": "material",
            "lines-1-description": "Lernmaterial",
            "lines-1-amount_cents": "1.234,56",
        },
        "financing": {
            "lines-0-source": "esf_grant",
            "lines-0-description": "ESF+",
            "lines-0-amount_cents": "24.000,00",
            "lines-1-source": "own_funds",
            "lines-1-description": "Eigenmittel",
            "lines-1-amount_cents": "25.734,56",
        },
        "principles": {
            "principle_equal_opportunities": "Barrierefreie Lernorte.",
            "principle_gender_equality": "Kinderbetreuung während der Module.",
            "principle_sustainable_development": "Lernorte mit ÖPNV erreichbar.",
            "principle_good_work": "Tarifgebundenes Projektpersonal.",
        },
        "indicators": {"indicator_participants": "40", "indicator_women": "24", "indicator_qualified": "30"},
        "sustainability": {"sustainability": "Die Module gehen in das Regelangebot über."},
    }
    for key, values in sections.items():
        sponsor.goto(f"/antraege/{application_id}/langfassung/{key}")
        fill(sponsor, values)
        if key in ("partners", "costs", "financing"):
            journey.check(sponsor, f"langfassung-{key}")
        submit(sponsor)
    sponsor.goto(f"/antraege/{application_id}/langfassung")
    assert "10 von 10 Abschnitten vollständig" in sponsor.content()
    journey.check(sponsor, "langfassung-uebersicht")
    act(sponsor, application_id, "submit_long_form", journey=journey, name="langfassung-einreichen")

    # -- the partners' circulation vote -----------------------------------------------------------------
    act(coordinator, application_id, "open_vote", {"mode": "circulation"}, journey, "votum-eroeffnen")
    recused = new_page()
    login(recused, world.user(RECUSED).email)
    recused.goto(f"/antraege/{application_id}")
    assert recused.locator("form[action$='/votum']").count() == 0  # no ballot for a named partner
    journey.check(recused, "votum-befangen")
    for n, key in enumerate([*VOTERS, REJECTING]):
        partner = new_page()
        login(partner, world.user(key).email)
        partner.goto(f"/antraege/{application_id}")
        choice = "reject" if key == REJECTING else "approve"
        values = {"ballot-choice": choice} | {f"ballot-{name}": "4" for name in demo.RATINGS}
        if choice == "reject":
            values["ballot-comment"] = "Die Zielgruppe ist in Uelzen bereits gut versorgt."
        fill(partner, values)
        if n == 0 or choice == "reject":
            journey.check(partner, f"votum-{key}")
        submit(partner, "form[action$='/votum'] button[type=submit]")
        assert "Ihr Votum ist gespeichert" in partner.content()
        partner.context.close()
    act(coordinator, application_id, "close_vote", journey=journey, name="votum-schliessen")

    # -- the statement, issued and downloaded ------------------------------------------------------
    coordinator.goto(f"/antraege/{application_id}")
    with coordinator.expect_navigation():
        coordinator.locator("a[href$='/aktion/issue_statement']").first.click()
    fill(coordinator, {"decision": "endorse", "statement": "Der Lenkungskreis befürwortet das Projekt."})
    journey.check(coordinator, "stellungnahme-entwurf")
    submit(coordinator)
    sponsor.goto(f"/antraege/{application_id}")
    journey.check(sponsor, "stellungnahme-erteilt")
    with sponsor.expect_download() as download:
        sponsor.locator("a[href*='/stellungnahme/'][href$='.pdf']").first.click()
    statement_pdf = download.value.path().read_bytes()
    assert statement_pdf.startswith(b"%PDF-")

    # -- NBank: submission and grant, with their documents ---------------------------------------------
    act(
        sponsor,
        application_id,
        "record_nbank_submission",
        {
            "nbank_reference": f"ESF-{today.year}-00042",
            "submitted_on": today.isoformat(),
            "document": journey.file("Antrag_NBank.pdf", make_pdf(1, "Antrag bei der NBank")),
        },
        journey,
        "nbank-antrag",
    )
    act(
        sponsor,
        application_id,
        "record_grant",
        {
            "granted_on": today.isoformat(),
            "amount_granted": "24.000,00",
            "funded_from": start.isoformat(),
            "funded_until": start.replace(year=start.year + 2).isoformat(),
            "document": journey.file("Zuwendungsbescheid.pdf", make_pdf(1, "Zuwendungsbescheid")),
        },
        journey,
        "bewilligung",
    )
    sponsor.goto(f"/antraege/{application_id}")
    journey.check(sponsor, "bewilligt")

    # -- what the server stored ------------------------------------------------------------------------
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    assert application.state == "granted"
    vote = application.votes[0]
    assert orgs["lk-lueneburg"].id in {r.organisation_id for r in vote.recusals}
    assert sorted(b.choice for b in vote.ballots) == ["approve"] * len(VOTERS) + ["reject"]
    assert vote.outcome == "approved"
    kinds = {d.kind for d in db.session.query(Document).filter_by(application_id=application_id)}
    assert {"sketch", "nbank_application", "grant_notice"} <= kinds
    statement = db.session.query(Statement).filter_by(application_id=application_id).one()
    assert statement.sha256 and len(statement_pdf) > 1000
    print(f"\njourney: {journey.pages_checked} pages checked with axe-core, screenshots in test-artifacts/")
