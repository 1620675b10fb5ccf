"""Demo data: the Allianz für Fachkräfte Nordostniedersachsen, its people, and applications in every
state, each brought there through the real domain operations (so each has a true history)."""

from __future__ import annotations

from datetime import date

from workflow.extensions import db
from workflow.models import (
    Alliance,
    Application,
    FundingObject,
    FundingPeriod,
    Organisation,
    ProjectPartner,
    Sketch,
    User,
)
from workflow.passwords import hash_password
from workflow.services.lifecycle import create_application, fire
from workflow.votes import casting, timing, to_session

# The documented demo login (README), never a production password.
DEMO_PASSWORD = "Antragsweg-Demo1"  # noqa: S105  # nosec B105
DEMO_DOMAIN = "demo.antragsweg.de"
# The demo coordinator's second factor (documented in the README; `flask --app wsgi demo-totp`).
DEMO_TOTP_SECRET = "ANTRAGSWEGDEMOKOORDINATION"  # noqa: S105  # nosec B105

PARTNERS = (
    ("IHK Lüneburg-Wolfsburg", "ihk"),
    ("Handwerkskammer Braunschweig-Lüneburg-Stade", "hwk"),
    ("Arbeitgeberverband Lüneburg-Nordostniedersachsen", "agv"),
    ("DGB Region Nord-Ost-Niedersachsen", "dgb"),
    ("Agentur für Arbeit Lüneburg-Uelzen", "aa-lueneburg"),
    ("Agentur für Arbeit Celle", "aa-celle"),
    ("Leuphana Universität Lüneburg", "leuphana"),
    ("Ostfalia Hochschule (Suderburg)", "ostfalia"),
    ("Landkreis Lüneburg", "lk-lueneburg"),
    ("Landkreis Harburg", "lk-harburg"),
    ("Landkreis Uelzen", "lk-uelzen"),
    ("Landkreis Lüchow-Dannenberg", "lk-luechow"),
    ("Landkreis Celle", "lk-celle"),
    ("Landkreis Heidekreis", "lk-heidekreis"),
)
OBSERVERS = (
    ("NBank", "nbank"),
    ("Niedersächsisches Ministerium für Soziales, Arbeit, Gesundheit und Gleichstellung (MS)", "ms"),
)
APPLICANTS = (
    ("Bildungswerk Heide gGmbH", "bildungswerk"),
    ("Lüneburger Weiterbildungszentrum e. V.", "lwz"),
    ("Elbtal Technik GmbH", "elbtal"),
)
# The alliance's current planning budget (strategy 2024–2027): EUR 2,340,000 up to 31.12.2027.
FUNDING_PERIOD = ("Strategieperiode 2024–2027", date(2024, 1, 1), date(2027, 12, 31), 234_000_000)
FUNDING_OBJECTS = (
    (1, "Strukturprojekte"),
    (2, "Projekte für Arbeitslose"),
    (3, "Berufliche Weiterbildungsprojekte"),
)


def _user(email_local: str, name: str, role: str, organisation: Organisation, password_hash: str) -> User:
    user = User(
        email=f"{email_local}@{DEMO_DOMAIN}",
        name=name,
        role=role,
        organisation_id=organisation.id,
        password_hash=password_hash,
    )
    db.session.add(user)
    return user


def seed_alliance() -> dict:
    """The alliance, its organisations and demo people. Returns them by short name."""
    alliance = Alliance(
        slug="non",
        name="Allianz für Fachkräfte Nordostniedersachsen",
        committee_name="Lenkungskreis",
        coordination_address="c/o IHK Lüneburg-Wolfsburg\nAm Sande 1\n21335 Lüneburg",
    )
    db.session.add(alliance)
    db.session.flush()
    for number, name in FUNDING_OBJECTS:
        db.session.add(FundingObject(alliance_id=alliance.id, number=number, name=name))
    db.session.add(
        FundingPeriod(
            alliance_id=alliance.id,
            name=FUNDING_PERIOD[0],
            starts_on=FUNDING_PERIOD[1],
            ends_on=FUNDING_PERIOD[2],
            budget_cents=FUNDING_PERIOD[3],
        )
    )
    password_hash = hash_password(DEMO_PASSWORD)
    people: dict[str, User] = {}
    orgs: dict[str, Organisation] = {}

    def org(name: str, kind: str, key: str) -> Organisation:
        organisation = Organisation(alliance_id=alliance.id, name=name, kind=kind)
        db.session.add(organisation)
        db.session.flush()
        orgs[key] = organisation
        return organisation

    coordination = org("Netzwerkkoordination (IHK Lüneburg-Wolfsburg)", "coordination", "coordination")
    people["coordinator"] = _user(
        "koordination", "Katrin Koordinatorin", "coordinator", coordination, password_hash
    )
    for name, key in PARTNERS:
        organisation = org(name, "partner", key)
        people[f"partner-{key}"] = _user(
            f"partner.{key}", f"Vertretung {name}", "partner", organisation, password_hash
        )
    # A deputy: one organisation, two representatives, one vote.
    people["partner-ihk-deputy"] = _user(
        "partner.ihk.vertretung",
        "Stellvertretung IHK Lüneburg-Wolfsburg",
        "partner",
        orgs["ihk"],
        password_hash,
    )
    for name, key in OBSERVERS:
        people[f"observer-{key}"] = _user(
            key,
            f"Ansprechperson {name.split(' (')[0]}",
            "observer",
            org(name, "observer", key),
            password_hash,
        )
    for name, key in APPLICANTS:
        people[f"applicant-{key}"] = _user(
            f"antrag.{key}", f"Projektleitung {name}", "applicant", org(name, "applicant", key), password_hash
        )
    db.session.commit()
    return {"alliance": alliance, "people": people, "orgs": orgs}


# How an application reaches each state: the triggers on the way ("vote": the eligible partners
# cast their ballots, and the vote closes by itself when the last one is in).
_TO_VOTE = (
    "record_consultation",
    "submit_sketch",
    "start_assessment",
    "invite_long_form",
    "submit_long_form",
    "open_vote",
)
ROUTES: dict[str, tuple[str, ...]] = {
    "consultation": (),
    "sketch_draft": _TO_VOTE[:1],
    "sketch_submitted": _TO_VOTE[:2],
    "sketch_assessment": _TO_VOTE[:3],
    "sketch_declined": (*_TO_VOTE[:3], "decline_sketch"),
    "long_form_draft": _TO_VOTE[:4],
    "long_form_submitted": _TO_VOTE[:5],
    "partner_vote": _TO_VOTE,
    "statement_pending": (*_TO_VOTE, "vote"),
    "endorsed": (*_TO_VOTE, "vote", "issue_statement"),
    "not_endorsed": (*_TO_VOTE, "vote", "issue_statement"),
    "nbank_submitted": (*_TO_VOTE, "vote", "issue_statement", "record_nbank_submission"),
    "granted": (*_TO_VOTE, "vote", "issue_statement", "record_nbank_submission", "record_grant"),
    "nbank_declined": (
        *_TO_VOTE,
        "vote",
        "issue_statement",
        "record_nbank_submission",
        "record_nbank_decline",
    ),
    "withdrawn": ("withdraw",),
}
RATINGS = {
    "rating_skilled_labour": 4,
    "rating_strategy_fit": 5,
    "rating_regional_relevance": 4,
    "rating_feasibility": 3,
    "rating_sustainability": 4,
}


def placeholder_pdf(title: str) -> bytes:
    """A one-page PDF standing in for a document of NBank in the demo (no rendering needed)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class Walker:
    """Brings applications to a state through the real operations, with plausible data."""

    def __init__(self, people: dict[str, User]):
        self.coordinator = people["coordinator"]
        self.partners = [
            u for k, u in people.items() if k.startswith("partner-") and not k.endswith("deputy")
        ]

    def step(self, trigger: str, applicant: User, approve: bool = True) -> tuple[User, dict]:
        """Who fires `trigger` on the way, and with what data."""
        today = date.today()
        coordinator = self.coordinator
        return {
            "record_consultation": (
                coordinator,
                {
                    "consultation_date": today,
                    "participants": "Netzwerkkoordination, Projektleitung des Trägers",
                    "notes": "Idee besprochen; Zielgruppe und Landkreise geklärt.",
                    "recommendation": "Projektskizze einreichen; Landkreis als Partner gewinnen.",
                },
            ),
            "submit_sketch": (applicant, {}),
            "start_assessment": (coordinator, {}),
            "decline_sketch": (coordinator, {"reason": "Kein Beitrag zur Fachkräftesicherung erkennbar."}),
            "invite_long_form": (
                coordinator,
                {
                    "parties_consulted": "NBank, MS, Landkreis Lüneburg",
                    "fundable": True,
                    "fits_strategy": True,
                    "notes": "",
                },
            ),
            "submit_long_form": (applicant, {}),
            "open_vote": (
                coordinator,
                {
                    "mode": "circulation",
                    "deadline": timing.default_circulation_deadline(applicant.organisation.alliance),
                    "session_id": None,
                },
            ),
            "close_vote": (coordinator, {}),
            "issue_statement": (
                coordinator,
                {
                    "decision": "endorse" if approve else "reject",
                    "statement": "Der Lenkungskreis befürwortet das Projekt."
                    if approve
                    else "Der Lenkungskreis befürwortet das Projekt nicht.",
                    "conditions": "Die Teilnehmendenzahlen werden halbjährlich berichtet." if approve else "",
                    "recommendations": "",
                    "requested_changes": "",
                    "budget_confirmed": True,
                },
            ),
            "record_nbank_submission": (
                applicant,
                {
                    "nbank_reference": f"ESF-{today.year}-{applicant.id:05d}",
                    "submitted_on": today,
                    "document": (placeholder_pdf("Antrag bei der NBank"), "Antrag_NBank.pdf"),
                },
            ),
            "record_grant": (
                coordinator,
                {
                    "granted_on": today,
                    "amount_granted": None,
                    "funded_from": date(today.year + 1, 1, 1),
                    "funded_until": date(today.year + 2, 12, 31),
                    "document": (placeholder_pdf("Zuwendungsbescheid"), "Zuwendungsbescheid.pdf"),
                },
            ),
            "record_nbank_decline": (
                coordinator,
                {
                    "declined_on": today,
                    "reason": "Fördermittel der Prioritätsachse ausgeschöpft.",
                    "document": (placeholder_pdf("Ablehnungsbescheid"), "Ablehnungsbescheid.pdf"),
                },
            ),
            "withdraw": (applicant, {"reason": "Der Träger hat andere Prioritäten gesetzt."}),
        }[trigger]

    def vote(self, application: Application, choices: list[str]) -> None:
        """The first len(choices) eligible partners cast these ballots."""
        eligible = {o.id for o in application.current_vote.eligible_organisations()}
        voters = [p for p in self.partners if p.organisation_id in eligible]
        for partner, choice in zip(voters, choices, strict=False):
            comment = "Die Zielgruppe ist bereits gut versorgt." if choice == "reject" else "Gut begründet."
            casting.cast_ballot(application, partner, choice, comment, **RATINGS)

    def walk_to(self, application: Application, target: str, applicant: User) -> Application:
        approve = target != "not_endorsed"
        for trigger in ROUTES[target]:
            # The invitation carried the sketch over; the sponsor writes the rest.
            if trigger == "submit_long_form" and not (
                application.long_form and application.long_form.is_complete()
            ):
                fill_long_form(application, applicant)
            if trigger == "vote":
                self.vote(application, ["approve" if approve else "reject"] * 14)
                continue
            actor, data = self.step(trigger, applicant, approve)
            if trigger == "record_grant":
                data["amount_granted"] = application.requested_grant_cents
            fire(application, trigger, actor, data)
        return application


LONG_FORM_TEXT = {
    "other_partners": "Regionale Ausbildungsbetriebe (Kooperationsvereinbarungen liegen vor).",
    "starting_situation": "In den Landkreisen fehlen Fachkräfte; viele Ausbildungsplätze bleiben unbesetzt.",
    "objectives": "120 Teilnehmende gewinnen, qualifizieren und in Betriebe der Region vermitteln.",
    "target_groups": "Junge Erwachsene ohne Berufsabschluss, Berufsrückkehrende, Zugewanderte.",
    "participants_planned": 120,
    "activities": "Q1: Aufbau und Akquise · Q2–Q6: Qualifizierung in Modulen · Q7–Q8: Vermittlung, Transfer.",
    "principle_equal_opportunities": "Barrierefreie Lernorte; Angebote in einfacher Sprache.",
    "principle_gender_equality": "Mindestens 50 % Frauen; Kinderbetreuung während der Module.",
    "principle_sustainable_development": "Digitale Lernformate sparen Wege; Lernorte mit ÖPNV erreichbar.",
    "principle_good_work": "Tarifgebundene Beschäftigung des Projektpersonals.",
    "indicator_participants": 120,
    "indicator_women": 60,
    "indicator_qualified": 80,
    "indicator_notes": "Nach den Indikatoren des ESF+-Programms Niedersachsen.",
    "agency_name": "Agentur für Arbeit Lüneburg-Uelzen und Jobcenter Landkreis Lüneburg",
    "agency_agreement": "Zuweisung über Bildungsgutscheine abgestimmt; kein Doppelangebot.",
    "sustainability": "Die Lernmodule gehen in das Regelangebot des Trägers über.",
}


def plan_lines(total: int, grant: int) -> tuple[list[dict], list[dict]]:
    """A balanced cost and financing plan of `total` cents with an ESF+ grant of `grant` cents."""
    unit = 4_800  # 48,00 € per hour, the standard unit cost of the salary group
    lead_hours = total * 3 // 10 // unit
    staff_hours = total * 3 // 10 // unit
    personnel = unit * (lead_hours + staff_hours)
    flat = personnel * 15 // 100
    third = total // 10
    costs = [
        {
            "category": "personnel",
            "description": "Projektleitung (0,5 VZÄ)",
            "salary_group": "E 13 TV-L",
            "unit_cost_cents": unit,
            "hours": lead_hours,
        },
        {
            "category": "personnel",
            "description": "Fachanleitung (1,0 VZÄ)",
            "salary_group": "E 11 TV-L",
            "unit_cost_cents": unit,
            "hours": staff_hours,
        },
        {"category": "flat_rate", "description": "Restkostenpauschale 15 %", "amount_cents": flat},
        {
            "category": "third_party",
            "description": "Externe Prüfungen und Zertifikate",
            "amount_cents": third,
        },
        {
            "category": "material",
            "description": "Lernmaterial, Miete, Ausstattung",
            "amount_cents": total - personnel - flat - third,
        },
    ]
    state = (total - grant) // 2
    financing = [
        {"source": "esf_grant", "description": "ESF+-Zuschuss", "amount_cents": grant},
        {"source": "state_funds", "description": "Landesmittel", "amount_cents": state},
        {
            "source": "own_funds",
            "description": "Eigenanteil des Trägers",
            "amount_cents": total - grant - state,
        },
    ]
    return costs, financing


def fill_long_form(application: Application, sponsor: User, sections: tuple[str, ...] | None = None) -> None:
    """The sponsor writes the long form section by section, through the real operation."""
    from datetime import timedelta

    from workflow.services import long_forms

    total = application.total_cost_cents or 48_000_000
    grant = application.requested_grant_cents or total // 2
    costs, financing = plan_lines(total, grant)
    start = date.today().replace(day=1) + timedelta(days=92)
    carried = application.long_form  # the project partners the sketch named stay
    values = {
        "partners": {
            "partner_ids": carried.project_partner_ids if carried else [],
            "other_partners": LONG_FORM_TEXT["other_partners"],
        },
        "classification": {
            "funding_object_id": application.funding_object_id,
            "fields_of_action": application.fields_of_action,
            "districts": application.districts,
        },
        "activities": {
            "activities": LONG_FORM_TEXT["activities"],
            "start_on": start,
            "end_on": start.replace(year=start.year + 2) - timedelta(days=1),
        },
        "costs": {"lines": costs},
        "financing": {"lines": financing},
        "agency": {
            "agency_name": LONG_FORM_TEXT["agency_name"],
            "agency_agreed_on": date.today(),
            "agency_agreement": LONG_FORM_TEXT["agency_agreement"],
        },
    }
    for key, names in long_forms.SECTION_FIELDS.items():
        if key not in values:
            values[key] = {name: LONG_FORM_TEXT[name] for name in names}
    needs_agency = application.funding_object is not None and application.funding_object.number == 2
    order = (
        "partners",
        "classification",
        "need",
        "target_groups",
        "activities",
        "costs",
        "financing",
        "principles",
        "indicators",
        "agency",
        "sustainability",
    )
    chosen = [k for k in sections or order if k != "agency" or needs_agency]
    long_forms.save_sections(application, sponsor, {key: values[key] for key in chosen})


def new_application(applicant: User, title: str, number: int = 1, grant: int = 24_000_000) -> Application:
    """A complete idea, as a sponsor would enter it."""
    funding = {fo.number: fo.id for fo in db.session.get(Alliance, applicant.alliance_id).funding_objects}
    application = create_application(
        applicant,
        title=title,
        summary=f"{title}: ein Projekt zur Fachkräftesicherung in der Region.",
        preferred_dates="Dienstag oder Donnerstag vormittags in den nächsten zwei Wochen",
        funding_object_id=funding[number],
        fields_of_action=["I", "digital"],
        districts=["Lüneburg", "Uelzen"],
        total_cost_cents=grant * 2,
        requested_grant_cents=grant,
    )
    # The structured sketch, complete (written before the consultation in the demo, so that every
    # walk can submit it).
    today = date.today()
    application.sketch = Sketch(
        need="Betriebe in der Region finden für offene Stellen kaum Bewerberinnen und Bewerber; "
        "die Zahl der Auszubildenden sinkt seit Jahren.",
        objectives="Mehr Fachkräfte gewinnen und halten; Betriebe vernetzen.",
        target_groups="Kleine und mittlere Unternehmen, Schulabgängerinnen und Schulabgänger.",
        participants_planned=120,
        activities="Workshops mit Betrieben, Beratung, Öffentlichkeitsarbeit, Netzwerktreffen.",
        start_date=date(today.year + 1, 1, 1),
        end_date=date(today.year + 2, 12, 31),
        updated_by_id=applicant.id,
    )
    db.session.commit()
    return application


# The demo's applications: one per state, and a vote in progress.
DEMO_APPLICATIONS = (
    ("consultation", "Pflege-Perspektiven Heidekreis", "bildungswerk"),
    ("sketch_draft", "Handwerk digital Lüchow-Dannenberg", "elbtal"),
    ("sketch_submitted", "Zukunftswerkstatt Ausbildung Uelzen", "lwz"),
    ("sketch_assessment", "Fachkräfte-Willkommensservice Celle", "bildungswerk"),
    ("long_form_draft", "Teilqualifizierung Logistik Harburg", "lwz"),
    ("long_form_submitted", "Frauen in Führung Lüneburg", "elbtal"),
    ("partner_vote", "Homecoming Nordostniedersachsen", "bildungswerk"),
    ("statement_pending", "Berufsorientierung Gesundheitsberufe", "lwz"),
    ("endorsed", "Digitale Lernwerkstatt Celle", "elbtal"),
    ("nbank_submitted", "Azubi-Netzwerk Heidekreis", "bildungswerk"),
    ("granted", "Kompetenzzentrum Pflege Lüneburg", "lwz"),
    ("nbank_declined", "Rekrutierung internationaler Fachkräfte", "elbtal"),
    ("sketch_declined", "Regionalmarketing ohne Bezug", "bildungswerk"),
    ("not_endorsed", "Coworking auf dem Land", "lwz"),
    ("withdrawn", "Mobilitätsprojekt Wendland", "elbtal"),
)


def _seed_sessions(people: dict[str, User], walker: Walker) -> list[Application]:
    """The next committee session with its agenda; a long form put onto it; a circulation to which
    a partner objected (now an item of the same session)."""
    from datetime import UTC, datetime, time, timedelta

    from workflow.rules.deadlines import BERLIN, next_working_day
    from workflow.services import sessions

    coordinator = people["coordinator"]
    day = next_working_day(datetime.now(UTC).date() + timedelta(days=21))
    session = sessions.schedule(
        coordinator,
        datetime.combine(day, time(14, 0), tzinfo=BERLIN),
        "IHK Lüneburg-Wolfsburg, Am Sande 1, Lüneburg (Sitzungssaal) – oder per Videokonferenz",
        "1. Begrüßung und Protokoll der letzten Sitzung\n2. Bericht der Netzwerkkoordination\n"
        "3. Voten zu Langfassungen (siehe unten)\n4. Verschiedenes",
    )
    sponsor = people["applicant-elbtal"]
    in_session = new_application(sponsor, "Digitalisierungslotsen Uelzen")
    walker.walk_to(in_session, "long_form_submitted", sponsor)
    fire(
        in_session, "open_vote", coordinator, {"mode": "session", "deadline": None, "session_id": session.id}
    )
    sponsor = people["applicant-lwz"]
    objected = new_application(sponsor, "Quereinstieg Kita Heidekreis", number=2)
    walker.walk_to(objected, "partner_vote", sponsor)
    walker.vote(objected, ["approve", "reject", "approve"])
    to_session.object_to_circulation(
        objected,
        people["partner-dgb"],
        "Die Abgrenzung zu den Angeboten des Jobcenters sollte im Lenkungskreis beraten werden.",
    )
    return [in_session, objected]


def seed() -> str:
    base = seed_alliance()
    people, alliance = base["people"], base["alliance"]
    people["coordinator"].totp_secret = DEMO_TOTP_SECRET
    db.session.commit()
    install_demo_certificate(alliance, people["coordinator"])
    walker = Walker(people)
    created = []
    for state, title, key in DEMO_APPLICATIONS:
        applicant = people[f"applicant-{key}"]
        application = new_application(applicant, title)
        if state == "partner_vote":  # a named project partner of the alliance is recused from the vote
            application.project_partners = [
                ProjectPartner(organisation_id=base["orgs"]["lk-heidekreis"].id),
                ProjectPartner(name="Kreishandwerkerschaft Lüneburger Heide"),
            ]
            db.session.commit()
        if state == "partner_vote":  # a circulation in progress: five partners have voted
            walker.walk_to(application, "partner_vote", applicant)
            walker.vote(application, ["approve", "approve", "abstain", "approve", "reject"])
        elif state == "long_form_draft":  # a long form half written
            walker.walk_to(application, state, applicant)
            fill_long_form(application, applicant, ("partners", "classification", "need", "costs"))
        else:
            walker.walk_to(application, state, applicant)
        created.append(application)
    # A sketch sent back for revision: the sponsor's start page says what is asked, `tick` reminds.
    revised = new_application(people["applicant-lwz"], "Quereinstieg Kita Harburg")
    walker.walk_to(revised, "sketch_assessment", people["applicant-lwz"])
    fire(
        revised,
        "request_sketch_revision",
        people["coordinator"],
        {"reason": "Bitte die Zielgruppe und die geplanten Teilnehmerzahlen genauer beschreiben."},
    )
    created.append(revised)
    _stage_one_demo(people, created)
    created += _seed_sessions(people, walker)
    # A Teams channel as a webhook receiver, switched off (its address is an example).
    from workflow.services import webhooks

    receiver = webhooks.register_receiver(
        people["coordinator"],
        name="Teams-Kanal Lenkungskreis (Beispiel)",
        url="https://example.org/teams-webhook",
        kind="teams",
        events=["open_vote", "close_vote", "issue_statement"],
    )
    webhooks.set_active(people["coordinator"], receiver, False)
    states = {a.state for a in created}
    return (
        f"Demodaten angelegt: {alliance.name}, {len(base['orgs'])} Organisationen, "
        f"{len(people)} Konten, {len(created)} Anträge in {len(states)} Status. "
        f"Passwort aller Demokonten: {DEMO_PASSWORD}"
    )


def install_demo_certificate(alliance: Alliance, coordinator: User) -> None:
    """A demo CA and the alliance's demo signing certificate, both named as demo in their subject
    (made with `cryptography`), so that every demo statement and letter is signed. The CA goes into
    the default trust roots (instance/trust-roots), so the authenticity page trusts it too."""
    from workflow import pki
    from workflow.services import authenticity, signing

    ca, certificate = pki.demo_certificates(alliance.name)
    folder = authenticity.trust_root_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "antragsweg-demo-ca.pem").write_bytes(ca.pem)
    container = pki.to_pkcs12(certificate, pki.DEMO_PASSWORD, chain=(ca,))
    signing.install(alliance, coordinator, container, pki.DEMO_PASSWORD)


def _stage_one_demo(people: dict[str, User], created: list[Application]) -> None:
    """The first assessment in progress: NBank consulted, a partner asked and commenting."""
    from workflow.services import assessment

    in_assessment = next(a for a in created if a.state == "sketch_assessment")
    coordinator = people["coordinator"]
    assessment.record_consultation(
        in_assessment,
        coordinator,
        "NBank, Förderberatung (Frau Beispiel)",
        date.today(),
        "Förderfähig als Strukturprojekt; Personalkosten zu Standardeinheitskosten planen.",
    )
    assessment.grant_access(
        in_assessment,
        coordinator,
        people["partner-lk-celle"].organisation_id,
        "Passt das Vorhaben zur Willkommenskultur im Landkreis Celle?",
    )
    assessment.comment(
        in_assessment,
        people["partner-lk-celle"],
        "Das passt gut; wir würden uns als Kooperationspartner beteiligen.",
    )
