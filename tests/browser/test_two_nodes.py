"""chromium through nginx (HTTPS, the test CA) in front of two gunicorn nodes on one PostgreSQL with
the database document store (issue 15; `proxied_pair` from tests/test_nodes.py). Each step that
matters crosses nodes: signed in on A, the sketch form fetched from B and sent to A, the PDF
uploaded on A downloaded by the coordination from B, the vote page from B and the ballot sent to A,
then round-robin over both. Which node answered each response: the request id nginx gives it
(echoed as X-Request-ID) in that node's request log."""

from __future__ import annotations

import hashlib
from urllib.parse import urlparse

import pytest

from tests.browser.test_accessibility import login
from tests.browser.test_journey import fill, submit
from tests.conftest import make_pdf
from tests.test_nodes import POSTGRES, answered, pin, proxied_pair, round_robin, served_by  # noqa: F401
from workflow import demo
from workflow.extensions import db
from workflow.models import Ballot, Document, StoredFile

pytestmark = POSTGRES


@pytest.fixture
def site(proxied_pair, https_browser):  # noqa: F811 - the fixture
    """The pages open through the proxy in front of both nodes, in the browser that trusts the CA."""
    return proxied_pair.url, https_browser


def _posted(page, path: str):
    """Wait for the answer to the form POST to `path` (the response the navigation follows from)."""
    return page.expect_response(lambda r: r.request.method == "POST" and urlparse(r.url).path == path)


def test_a_browser_through_the_proxy_crosses_both_nodes(world, site, new_page, proxied_pair, tmp_path):  # noqa: F811
    a, b = proxied_pair.nodes

    def node_of(response):
        return served_by(proxied_pair.nodes, response.headers["x-request-id"])

    sketch_app = world.application("sketch_draft")
    voting = world.application("partner_vote")
    db.session.commit()
    pdf = make_pdf(2, "Skizze über zwei Knoten im Browser")
    upload = tmp_path / "Skizze-zwei-Knoten.pdf"
    upload.write_bytes(pdf)

    # -- signed in on A, the sketch form from B, sent to A -------------------------------------
    pin(proxied_pair, a)
    sponsor = new_page()
    login(sponsor, world.user("applicant-bildungswerk").email)
    pin(proxied_pair, b)
    form_path = f"/antraege/{sketch_app.id}/skizze"
    page = sponsor.goto(form_path)
    assert page.status == 200 and node_of(page) is b  # B knows the session A signed
    fill(sponsor, {"sketch_pdf": str(upload)})
    pin(proxied_pair, a)
    with _posted(sponsor, form_path) as posted:
        submit(sponsor)
    assert posted.value.status == 303 and node_of(posted.value) is a  # the CSRF token of B's form
    assert "Der Entwurf und die PDF-Datei sind gespeichert." in sponsor.content()

    # -- the coordination, signed in on A, downloads it from B -----------------------------------
    coordinator = new_page()
    login(coordinator, world.user("coordinator").email)
    pin(proxied_pair, b)
    page = coordinator.goto(f"/antraege/{sketch_app.id}")
    assert node_of(page) is b
    link = coordinator.locator("a[href*='/dokumente/']").first
    download_path = urlparse(link.get_attribute("href")).path
    with coordinator.expect_download() as download:
        link.click()
    assert download.value.path().read_bytes() == pdf
    assert 200 in answered(b, download_path, "GET") and not answered(a, download_path)

    # -- a partner: the vote page from B, the ballot sent to A --------------------------------------
    partner = new_page()
    login(partner, world.user("partner-ihk").email)
    vote_path = f"/antraege/{voting.id}/votum"
    page = partner.goto(vote_path)
    assert node_of(page) is b and "noch nicht abgegeben" in partner.inner_text("#ihr-votum")
    fill(partner, {"ballot-choice": "approve"} | {f"ballot-{name}": "4" for name in demo.RATINGS})
    pin(proxied_pair, a)
    with _posted(partner, vote_path) as posted:
        submit(partner, "form[action$='/votum'] button[type=submit]")
    assert posted.value.status in (302, 303) and node_of(posted.value) is a
    assert "Ihr Votum ist gespeichert" in partner.content()

    # -- round-robin again: both nodes show the ballot ---------------------------------------------
    round_robin(proxied_pair)
    seen = set()
    for _ in range(12):
        page = partner.goto(vote_path)
        assert partner.inner_text("#ballot-state").startswith("abgegeben am ")
        seen.add(node_of(page))
        if seen == {a, b}:
            break
    assert seen == {a, b}, [node.url for node in seen]

    # -- what the database holds: the document in the store, the ballot once ----------------------
    db.session.expire_all()
    document = db.session.query(Document).filter_by(application_id=sketch_app.id, kind="sketch").one()
    assert document.filename == upload.name and document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert db.session.get(StoredFile, document.storage_key) is not None  # in the database store
    ballots = db.session.query(Ballot).filter_by(organisation_id=world.user("partner-ihk").organisation_id)
    assert [ballot.choice for ballot in ballots if ballot.vote.application_id == voting.id] == ["approve"]
