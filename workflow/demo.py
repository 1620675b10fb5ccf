"""Demo data: the Allianz für Fachkräfte Nordostniedersachsen, its people, and applications in every
state, each brought there through the real domain operations (so each has a true history)."""

from __future__ import annotations

from datetime import date

from workflow.extensions import db
from workflow.models import Alliance, Application, FundingObject, Organisation, User
from workflow.passwords import hash_password
from workflow.services import votes
from workflow.services.lifecycle import create_application, fire

DEMO_PASSWORD = "Antragsweg-Demo1"  # noqa: S105 - documented demo login, never for production
DEMO_DOMAIN = "demo.antragsweg.de"

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
                {"consultation_date": today, "notes": "Idee besprochen; Skizze empfohlen."},
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
                    "deadline": votes.default_circulation_deadline(applicant.organisation.alliance),
                    "session_date": None,
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
                    "requested_changes": "",
                },
            ),
            "record_nbank_submission": (
                applicant,
                {"nbank_reference": f"ESF-{today.year}-{applicant.id:04d}", "submitted_on": today},
            ),
            "record_grant": (coordinator, {"granted_on": today, "amount_granted": None}),
            "record_nbank_decline": (
                coordinator,
                {"declined_on": today, "reason": "Fördermittel der Prioritätsachse ausgeschöpft."},
            ),
            "withdraw": (applicant, {"reason": "Der Träger hat andere Prioritäten gesetzt."}),
        }[trigger]

    def vote(self, application: Application, choices: list[str]) -> None:
        """The first len(choices) eligible partners cast these ballots."""
        eligible = {o.id for o in application.current_vote.eligible_organisations()}
        voters = [p for p in self.partners if p.organisation_id in eligible]
        for partner, choice in zip(voters, choices, strict=False):
            comment = "Die Zielgruppe ist bereits gut versorgt." if choice == "reject" else "Gut begründet."
            votes.cast_ballot(application, partner, choice, comment, **RATINGS)

    def walk_to(self, application: Application, target: str, applicant: User) -> Application:
        approve = target != "not_endorsed"
        for trigger in ROUTES[target]:
            if trigger == "vote":
                self.vote(application, ["approve" if approve else "reject"] * 14)
                continue
            actor, data = self.step(trigger, applicant, approve)
            if trigger == "record_grant":
                data["amount_granted"] = application.requested_grant_cents
            fire(application, trigger, actor, data)
        return application


def new_application(applicant: User, title: str, number: int = 1, grant: int = 24_000_000) -> Application:
    """A complete idea, as a sponsor would enter it."""
    funding = {fo.number: fo.id for fo in db.session.get(Alliance, applicant.alliance_id).funding_objects}
    return create_application(
        applicant,
        title=title,
        summary=f"{title}: ein Projekt zur Fachkräftesicherung in Nordostniedersachsen.",
        funding_object_id=funding[number],
        fields_of_action=["I", "digital"],
        districts=["Lüneburg", "Uelzen"],
        total_cost_cents=grant * 2,
        requested_grant_cents=grant,
    )


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


def seed() -> str:
    base = seed_alliance()
    people, alliance = base["people"], base["alliance"]
    walker = Walker(people)
    created = []
    for state, title, key in DEMO_APPLICATIONS:
        applicant = people[f"applicant-{key}"]
        application = new_application(applicant, title)
        if state == "partner_vote":  # a circulation in progress: five partners have voted
            walker.walk_to(application, "partner_vote", applicant)
            walker.vote(application, ["approve", "approve", "abstain", "approve", "reject"])
        else:
            walker.walk_to(application, state, applicant)
        created.append(application)
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
