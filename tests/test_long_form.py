"""The long form: drafts saved section by section, completeness, the two plans in German amounts,
the submission's guards, what partners may see, NBank's document."""

from __future__ import annotations

import io

import pytest

from tests.conftest import make_pdf, text_of
from tests.test_documents import _office
from workflow import demo
from workflow.extensions import db
from workflow.models import Application, CostLine, Document, FinancingLine
from workflow.services import long_forms
from workflow.services.errors import RuleViolation
from workflow.services.lifecycle import fire

SPONSOR = "applicant-bildungswerk"


def _url(application, tail=""):
    return f"/antraege/{application.id}/langfassung{tail}"


def _cost_form(lines):
    data = {}
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


GOOD_COSTS = [
    {
        "category": "personnel",
        "description": "Projektleitung",
        "salary_group": "E 13 TV-L",
        "unit_cost_cents": "48,50",
        "hours": "1000",
    },
    {"category": "material", "description": "Lernmaterial", "amount_cents": "1.234,56"},
]  # 48.500,00 + 1.234,56 = 49.734,56 €
GOOD_FINANCING = [
    {"source": "esf_grant", "description": "ESF+", "amount_cents": "24.000,00"},
    {"source": "own_funds", "description": "Eigenmittel", "amount_cents": "25.734,56"},
]


def test_a_draft_is_saved_section_by_section_with_a_completeness_overview(world, login):
    application = world.application("long_form_draft")
    sponsor = login(SPONSOR)
    page = text_of(sponsor.get(_url(application)).text)
    # The application holds the funding object, fields of action and districts; the invitation
    # carried the sketch's need, target groups and activities over (test_sponsor.py).
    assert "4 von 10 Abschnitten vollständig" in page
    response = sponsor.post(
        _url(application, "/sustainability"), data={"sustainability": "Das Angebot wird verstetigt."}
    )
    assert response.status_code == 303
    assert "5 von 10 Abschnitten vollständig" in text_of(sponsor.get(_url(application)).text)
    # Half a section is kept as a draft, but does not count as complete.
    sponsor.post(_url(application, "/target_groups"), data={"target_groups": "Berufsrückkehrende"})
    page = text_of(sponsor.get(_url(application)).text)
    assert "4 von 10 Abschnitten vollständig" in page and "Berufsrückkehrende" in page
    assert "geplante Teilnehmendenzahl fehlt" in page
    # The overview is on the application page too.
    assert "4 von 10 Abschnitten vollständig" in text_of(sponsor.get(f"/antraege/{application.id}").text)


@pytest.mark.parametrize(
    "key", ["need", "target_groups", "activities", "principles", "indicators", "agency", "sustainability"]
)
def test_a_section_sent_without_its_text_fields_is_saved_empty(world, login, key):
    """A post without the section's fields (not what a browser sends, but what a script or a broken
    request may): its text columns become empty, never NULL (which the database refuses: a 500)."""
    application = world.application("long_form_draft")
    demo.fill_long_form(application, world.user(SPONSOR))
    response = login(SPONSOR).post(_url(application, f"/{key}"), data={})
    assert response.status_code == 303
    db.session.expire_all()
    long_form = db.session.get(Application, application.id).long_form
    texts = [name for name in long_forms.SECTION_FIELDS[key] if name in long_forms.TEXT_COLUMNS]
    assert texts and all(getattr(long_form, name) == "" for name in texts)


def test_funding_object_2_needs_the_agreement_with_the_employment_agency(world):
    sponsor = world.user(SPONSOR)
    application = demo.new_application(sponsor, "Arbeitslose qualifizieren", number=2)
    world.walker.walk_to(application, "long_form_draft", sponsor)
    sections = ("partners", "classification", "need", "target_groups", "activities", "costs", "financing")
    demo.fill_long_form(application, sponsor, sections + ("principles", "indicators", "sustainability"))
    assert long_forms.overview(application)["total"] == 11
    assert [s.key for s in application.long_form.incomplete_sections()] == ["agency"]
    with pytest.raises(RuleViolation, match="Agentur für Arbeit oder dem Jobcenter"):
        fire(application, "submit_long_form", sponsor)
    demo.fill_long_form(application, sponsor, ("agency",))
    fire(application, "submit_long_form", sponsor)
    assert application.state == "long_form_submitted"


def test_plans_are_entered_the_german_way_and_stored_in_cents(world, login):
    application = world.application("long_form_draft")
    sponsor = login(SPONSOR)
    assert sponsor.post(_url(application, "/costs"), data=_cost_form(GOOD_COSTS)).status_code == 303
    assert sponsor.post(_url(application, "/financing"), data=_cost_form(GOOD_FINANCING)).status_code == 303
    db.session.expire_all()
    lines = db.session.query(CostLine).order_by(CostLine.position).all()
    assert [(line.amount_cents, line.unit_cost_cents, line.hours) for line in lines] == [
        (4_850_000, 4_850, 1000),
        (123_456, None, None),
    ]
    stored = db.session.get(Application, application.id)
    assert (stored.total_cost_cents, stored.requested_grant_cents) == (4_973_456, 2_400_000)
    page = text_of(sponsor.get(_url(application)).text)
    assert "Summe Kostenplan 49.734,56 €" in page and "Summe Finanzierungsplan 49.734,56 €" in page
    assert "ausgeglichen" in page and "48,26 %" in page  # 24.000 / 49.734,56
    # The edit page shows the stored lines again, amounts the German way, with blank rows to add.
    form = sponsor.get(_url(application, "/costs")).text
    assert 'value="48,50"' in form and 'value="1.234,56"' in form and 'name="lines-4-description"' in form


def test_a_plan_that_does_not_balance_cannot_be_submitted_and_the_difference_is_shown(world, login):
    application = world.application("long_form_draft")
    user = world.user(SPONSOR)
    demo.fill_long_form(application, user)
    sponsor = login(SPONSOR)
    financing = [dict(GOOD_FINANCING[0]), {"source": "own_funds", "amount_cents": "24.500,00"}]
    sponsor.post(_url(application, "/costs"), data=_cost_form(GOOD_COSTS))
    sponsor.post(_url(application, "/financing"), data=_cost_form(financing))
    response = sponsor.post(f"/antraege/{application.id}/aktion/submit_long_form")
    assert response.status_code == 422
    # The refusal names the section with the reason its badge shows (one rule for both).
    assert "Finanzierungsplan und Förderquote (1.234,56 € weniger als der Kostenplan)" in text_of(
        response.text
    )
    db.session.expire_all()
    assert db.session.get(Application, application.id).state == "long_form_draft"


def test_the_funding_rate_is_checked_against_the_alliances_maximum(world):
    application = world.application("long_form_draft")
    sponsor = world.user(SPONSOR)
    demo.fill_long_form(application, sponsor)
    total = application.long_form.cost_total
    grant = total * 61 // 100
    long_forms.save_section(
        application,
        sponsor,
        "financing",
        {
            "lines": [
                {"source": "esf_grant", "amount_cents": grant},
                {"source": "own_funds", "amount_cents": total - grant},
            ]
        },
    )
    with pytest.raises(RuleViolation, match="Förderquote 61,00.% über dem Höchstsatz von 60 %"):
        fire(application, "submit_long_form", sponsor)
    world.alliance.rules = {"max_funding_rate_percent": 70}
    db.session.commit()
    fire(application, "submit_long_form", sponsor)
    assert application.state == "long_form_submitted"


@pytest.mark.parametrize(
    ("section", "lines", "message"),
    [
        (
            "costs",
            [{"category": "material", "description": "x", "amount_cents": "12,345"}],
            "zwei Nachkommastellen",
        ),
        ("costs", [{"category": "material", "description": "x", "amount_cents": "zwölf"}], "Betrag in Euro"),
        ("financing", [{"source": "own_funds", "amount_cents": "-100,00"}], "nicht negativ"),
        ("costs", [{"category": "personnel", "description": "Leitung", "hours": "10"}], "Stundensatz"),
        ("costs", [{"category": "material", "amount_cents": "10,00"}], "Bezeichnung"),
        ("financing", [{"amount_cents": "10,00"}], "Finanzierungsquelle"),
    ],
)
def test_bad_plan_lines_are_a_422_in_german_and_nothing_is_lost(world, login, section, lines, message):
    application = world.application("long_form_draft")
    demo.fill_long_form(application, world.user(SPONSOR))
    before = (db.session.query(CostLine).count(), db.session.query(FinancingLine).count())
    response = login(SPONSOR).post(_url(application, f"/{section}"), data=_cost_form(lines))
    assert response.status_code == 422
    assert message in text_of(response.text)
    db.session.expire_all()
    assert (db.session.query(CostLine).count(), db.session.query(FinancingLine).count()) == before


def test_partners_see_cost_categories_and_totals_never_salary_details(world, login):
    application = world.application("partner_vote")
    long_form_page = _url(application)
    for who in ("partner-dgb", "partner-ihk-deputy"):
        page = text_of(login(who).get(long_form_page).text)
        assert "Personalausgaben (Standardeinheitskosten)" in page and "Summe Kostenplan" in page
        assert "E 13 TV-L" not in page and "Stundensatz" not in page and "Projektleitung" not in page
        assert "E 13 TV-L" not in login(who).get(f"/antraege/{application.id}").text
    for who in (SPONSOR, "coordinator", "observer-nbank"):
        page = text_of(login(who).get(long_form_page).text)
        assert "E 13 TV-L" in page and "48,00 €" in page and "Projektleitung (0,5 VZÄ)" in page


def test_only_the_sponsor_edits_and_only_in_the_draft(world, login):
    draft = world.application("long_form_draft")
    assert login("coordinator").get(_url(draft, "/need")).status_code == 403
    assert login("applicant-lwz").get(_url(draft, "/need")).status_code == 404
    assert login(SPONSOR).get(_url(draft, "/gibtsnicht")).status_code == 404
    submitted = world.application("long_form_submitted")
    response = login(SPONSOR).post(_url(submitted, "/need"), data={"objectives": "Neu"})
    assert response.status_code == 403
    assert submitted.long_form.objectives != "Neu"


def test_nbank_long_form_document_is_checked_by_content_and_versioned(world, login):
    application = world.application("long_form_draft")
    sponsor = login(SPONSOR)

    def upload(data, name):
        return sponsor.post(
            _url(application, "/dokument"),
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    assert upload(make_pdf(2), "Langfassung.pdf").status_code == 303
    assert upload(_office("xlsx"), "Finanzplan.xlsx").status_code == 303
    refused = upload(b"kein Dokument", "Langfassung.pdf")
    assert refused.status_code == 422
    assert "keine PDF oder Word (DOCX) oder Excel (XLSX)-Datei" in text_of(refused.text)
    versions = db.session.query(Document).filter_by(application_id=application.id, kind="long_form").all()
    assert sorted(d.version for d in versions) == [1, 2]
    first = min(versions, key=lambda d: d.version)
    with sponsor.get(_url(application, f"/dokument/{first.id}")) as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF-")
        assert "attachment" in download.headers["Content-Disposition"]


def test_partners_cannot_download_the_nbank_document(world, login):
    application = world.application("long_form_draft")
    sponsor = world.user(SPONSOR)
    document = long_forms.store_document(application, sponsor, io.BytesIO(make_pdf(1)), "x.pdf")
    demo.fill_long_form(application, sponsor)
    fire(application, "submit_long_form", sponsor)
    _, data = world.walker.step("open_vote", sponsor)
    fire(application, "open_vote", world.user("coordinator"), data)
    assert login("partner-dgb").get(_url(application, f"/dokument/{document.id}")).status_code == 404
    # … nor by any other download route of the application (one rule: access.may_download).
    for route in (
        f"/antraege/{application.id}/dokumente/{document.id}",
        f"/antraege/{application.id}/nbank-dokumente/{document.id}",
    ):
        assert login("partner-dgb").get(route).status_code == 404, route
    assert "x.pdf" not in login("partner-dgb").get(_url(application)).text
    with login("observer-nbank").get(_url(application, f"/dokument/{document.id}")) as response:
        assert response.status_code == 200


def test_named_project_partners_are_recused_when_the_vote_opens(world):
    application = world.application("long_form_draft")
    sponsor = world.user(SPONSOR)
    demo.fill_long_form(application, sponsor)
    leuphana, celle = world.orgs["leuphana"], world.orgs["lk-celle"]
    long_forms.save_section(
        application, sponsor, "partners", {"partner_ids": [leuphana.id, celle.id], "other_partners": ""}
    )
    fire(application, "submit_long_form", sponsor)
    _, data = world.walker.step("open_vote", sponsor)
    fire(application, "open_vote", world.user("coordinator"), data)
    vote = application.current_vote
    assert {leuphana.id, celle.id} <= vote.recused_ids
    assert len(vote.eligible_organisations()) == 12
    with pytest.raises(RuleViolation, match="nur Bündnispartner"):
        long_forms.save_section(
            world.application("long_form_draft", applicant="applicant-lwz"),
            world.user("applicant-lwz"),
            "partners",
            {"partner_ids": [world.orgs["nbank"].id]},
        )
