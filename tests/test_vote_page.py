"""The vote page (issue 16, §1): what a partner needs to decide, in order, on one page; who has
voted but never how while the vote is open; no salary line; the own ballot with its state and its
history; the forms post to the existing operations and come back here, refusals shown here in
German with nothing entered lost; no more queries than the application page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import LoggedIn, text_of
from tests.test_cockpit import _queries
from workflow.extensions import db
from workflow.formatting import local_datetime
from workflow.models import Ballot, Objection, Recusal
from workflow.votes import casting

REJECT_COMMENT = "Die Zielgruppe ist bereits gut versorgt."


def _checked(html: str, name: str, value: str) -> bool:
    """The radio button `name`=`value` is checked in the page."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no input {name}={value}")


def _page(client, application) -> tuple[int, str]:
    response = client.get(f"/antraege/{application.id}/votum")
    return response.status_code, response.get_data(as_text=True)


def test_a_partner_reads_what_to_decide_in_order_and_no_salary_line(world, login):
    application = world.application("partner_vote")
    status, html = _page(login("partner-dgb"), application)
    assert status == 200
    text = text_of(html)
    order = [
        application.title,
        "Bildungswerk Heide gGmbH",  # the sponsor
        "1 – Strukturprojekte",
        "Fachkräfte halten und Nachwuchs sichern",
        "Lüneburg, Uelzen",
        "Gesamtkosten 480.000,00 €",
        "Beantragte Förderung (ESF+) 240.000,00 €",
        "Förderquote 50,00 %",
        "ein Projekt zur Fachkräftesicherung",  # the summary
        "120 Teilnehmende gewinnen",  # objectives
        "Junge Erwachsene ohne Berufsabschluss",  # target groups
        "Geplante Teilnehmende: 120",
        "Personalausgaben (Standardeinheitskosten) 288.000,00 €",
        "Eigenmittel 120.000,00 €",
        "Ergebnis der Ersteinschätzung Einladung zur Langfassung",
        "Dokumente",
        "Verfahren Umlaufverfahren",
        "Frist " + local_datetime(application.current_vote.deadline_at),
        "Wer abgestimmt hat",
        "Votum Ihrer Organisation noch nicht abgegeben",
        "Dem Umlaufverfahren widersprechen",
        "Befangenheit erklären",
        "Zum vollständigen Antrag",
    ]
    positions = [text.find(item) for item in order]
    assert -1 not in positions, [item for item, at in zip(order, positions, strict=True) if at < 0]
    assert positions == sorted(positions), order
    # Category totals only: no salary group, no line of either plan, no hourly rate.
    for line in ("E 13 TV-L", "E 11 TV-L", "Projektleitung (0,5 VZÄ)", "Eigenanteil des Trägers", "48,00 €"):
        assert line not in text, line
    # Without JavaScript: one form per action, every group of radios a fieldset with its legend.
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    form = html.split('name="seite" value="votum"', 1)[0].rsplit("<form", 1)[1]
    assert f'action="/antraege/{application.id}/votum"' in form and 'method="post"' in form
    assert html.count("<legend") == html.count("<fieldset") == 6  # the choice and five ratings
    assert '<main id="inhalt"' in html and html.count("<h1") == 1


def test_who_has_voted_shows_while_open_never_how(world, login):
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-ihk"), "reject", REJECT_COMMENT, rating_feasibility=2)
    status, html = _page(login("partner-dgb"), application)
    text = text_of(html)
    assert status == 200
    assert (
        "IHK Lüneburg-Wolfsburg: abgestimmt" in text
        and "DGB Region Nord-Ost-Niedersachsen: noch nicht" in text
    )
    assert REJECT_COMMENT not in text and "Ablehnung: 1" not in text and "– Ablehnung" not in text
    assert "Wie abgestimmt wurde, ist bis zum Schluss der Abstimmung nicht sichtbar." in text
    # The coordination sees everything.
    coordinator = text_of(_page(login("coordinator"), application)[1])
    assert "IHK Lüneburg-Wolfsburg: abgestimmt" in coordinator and "– Ablehnung" in coordinator
    assert "Ablehnung: 1" in coordinator


def test_a_ballot_cast_on_the_page_comes_back_to_it_with_its_state_and_history(world, login):
    application = world.application("partner_vote")
    partner = login("partner-dgb")
    url = f"/antraege/{application.id}/votum"
    response = partner.post(
        url,
        data={"seite": "votum", "ballot-choice": "approve", "ballot-rating_strategy_fit": "5"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{url}#ihr-votum")
    ballot = db.session.scalars(sa.select(Ballot)).one()
    assert (ballot.choice, ballot.rating_strategy_fit) == ("approve", 5)
    deadline = local_datetime(application.current_vote.deadline_at)
    text = text_of(_page(partner, application)[1])
    assert f"abgegeben am {local_datetime(ballot.cast_at)}, Sie können es bis {deadline} ändern" in text
    assert "Votum ändern" in text
    # Changed: the page shows the new one, the history both, oldest first.
    response = partner.post(
        url, data={"seite": "votum", "ballot-choice": "reject", "ballot-comment": "Zu teuer."}
    )
    assert response.status_code == 303
    html = _page(partner, application)[1]
    assert _checked(html, "ballot-choice", "reject") and not _checked(html, "ballot-choice", "approve")
    history = text_of(html.split("Verlauf Ihres Votums", 1)[1])
    assert history.index("Zustimmung") < history.index("Ablehnung") < history.index("Zu teuer.")
    assert "Passung zur Strategie und ihren Handlungsfeldern 5" in history
    # Another partner's page shows neither their ballot nor its history.
    other = text_of(_page(login("partner-hwk"), application)[1])
    assert "Zu teuer." not in other and "Verlauf Ihres Votums" not in other


def test_a_refused_ballot_is_shown_on_the_page_in_german_and_keeps_what_was_entered(world, login):
    application = world.application("partner_vote")
    partner = login("partner-dgb")
    response = partner.post(
        f"/antraege/{application.id}/votum",
        data={"seite": "votum", "ballot-choice": "reject", "ballot-rating_regional_relevance": "2"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Eine Ablehnung muss begründet werden." in text_of(html) and "Wer abgestimmt hat" in text_of(html)
    assert _checked(html, "ballot-rating_regional_relevance", "2") and _checked(
        html, "ballot-choice", "reject"
    )
    assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 0
    # A ballot for another organisation is refused (403, in German); what the organisation cast stays.
    casting.cast_ballot(application, world.user("partner-dgb"), "approve")
    response = partner.post(
        f"/antraege/{application.id}/votum",
        data={
            "seite": "votum",
            "ballot-choice": "abstain",
            "ballot-organisation_id": str(world.orgs["ihk"].id),
        },
    )
    assert response.status_code == 403
    assert "nur das Votum Ihrer eigenen Organisation" in text_of(response.get_data(as_text=True))
    db.session.expire_all()
    assert [b.choice for b in db.session.scalars(sa.select(Ballot))] == ["approve"]
    # Without `seite`, the application page answers as before.
    response = partner.post(f"/antraege/{application.id}/votum", data={"ballot-choice": "reject"})
    assert response.status_code == 422 and "Verlauf" in text_of(response.get_data(as_text=True))


def test_objection_and_conflict_from_the_page_use_the_operations_and_come_back(world, login):
    application = world.application("partner_vote")
    partner = login("partner-dgb")
    url = f"/antraege/{application.id}/votum"
    refused = partner.post(f"/antraege/{application.id}/widerspruch", data={"seite": "votum"})
    assert refused.status_code == 422
    refused_html = refused.get_data(as_text=True)
    assert "Bitte begründen Sie Ihren Widerspruch." in text_of(refused_html)
    assert "Wer abgestimmt hat" in text_of(refused_html)  # the vote page, its form opened
    assert re.search(r"<details[^>]*open>\s*<summary[^>]*>Dem Umlaufverfahren", refused_html)
    done = partner.post(
        f"/antraege/{application.id}/widerspruch",
        data={"seite": "votum", "objection-reason": "Bitte im Lenkungskreis beraten."},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{url}#ihr-votum")
    assert db.session.scalars(sa.select(Objection)).one().reason == "Bitte im Lenkungskreis beraten."
    text = text_of(_page(partner, application)[1])
    assert "Sitzung des Gremiums" in text and "Bitte im Lenkungskreis beraten." in text
    assert "Votum abgeben" not in text  # a session decides now: no ballot online
    done = login("partner-hwk").post(
        f"/antraege/{application.id}/befangenheit",
        data={"seite": "votum", "conflict-reason": "Wir sind Kooperationspartner."},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{url}#ihr-votum")
    assert any(r.reason == "Wir sind Kooperationspartner." for r in db.session.scalars(sa.select(Recusal)))
    text = text_of(_page(login("partner-hwk"), application)[1])
    assert "Ihre Organisation ist bei diesem Antrag befangen und stimmt nicht ab." in text
    assert "Befangenheit erklärt" in text.split("Verlauf Ihres Votums", 1)[1]


def test_the_start_page_and_the_application_page_lead_partners_to_the_vote_page(world, login):
    application = world.application("partner_vote")
    link = f'href="/antraege/{application.id}/votum"'
    assert link in login("partner-dgb").get("/start").get_data(as_text=True)
    assert link in login("partner-dgb").get(f"/antraege/{application.id}").get_data(as_text=True)
    assert link not in login("applicant-bildungswerk").get(f"/antraege/{application.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("who", ["applicant-bildungswerk", "observer-nbank"])
def test_sponsors_and_observers_read_the_vote_on_the_application_page(world, login, who):
    application = world.application("partner_vote")
    response = login(who).get(f"/antraege/{application.id}/votum")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/antraege/{application.id}#votum")


def test_another_alliance_never_sees_the_page(app, world, other_alliance):
    application = world.application("partner_vote")
    weser = LoggedIn(app, "partner@weser.example")
    assert weser.get(f"/antraege/{application.id}/votum").status_code == 404


def test_a_closed_vote_shows_how_everyone_voted(world, login):
    application = world.application("statement_pending")
    text = text_of(_page(login("partner-dgb"), application)[1])
    assert "geschlossen: Zustimmung" in text and "– Zustimmung" in text
    assert "Votum abgeben" not in text and "Sie können es bis" not in text


@pytest.mark.parametrize("who", ["partner-dgb", "coordinator"])
def test_the_vote_page_reads_no_more_queries_than_the_application_page(app, world, who):
    """An open circulation with ballots and a recusal (a project partner): each statement
    runs once, and there are no more than the application page runs for the same application."""
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve", "reject", "abstain", "approve"])
    client = LoggedIn(app, world.user(who).email)
    vote_url, page_url = f"/antraege/{application.id}/votum", f"/antraege/{application.id}"
    client.get(vote_url), client.get(page_url)  # warm up
    vote_page, full_page = _queries(app, client, vote_url), _queries(app, client, page_url)
    assert len(set(vote_page)) == len(vote_page), vote_page
    assert len(vote_page) <= len(full_page), (vote_page, full_page)
