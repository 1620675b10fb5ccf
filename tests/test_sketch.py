"""The structured sketch: drafts across sessions, limits, the PDF beside or instead of the form,
versions, downloads, the guard at submission, recusal of named project partners, bad input."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from functools import lru_cache

import pytest
from pypdf import PdfReader, PdfWriter

from tests.conftest import make_pdf, text_of
from workflow import demo
from workflow.extensions import db
from workflow.models import Application, Document, Event, Sketch
from workflow.services.lifecycle import fire

SCRIPT = "<script>alert(1)</script>"


def _sketch_data(world, **overrides) -> dict:
    fo = world.alliance.funding_objects[0]
    data = {
        "title": "Pflege gewinnen",
        "funding_object_id": str(fo.id),
        "fields_of_action": ["I", "III"],
        "districts": ["Celle", "Uelzen"],
        "summary": "Pflegekräfte für die Region gewinnen.",
        "need": "In Celle fehlen 300 Pflegekräfte.",
        "objectives": "40 Menschen qualifizieren.",
        "target_groups": "Quereinsteigende, Berufsrückkehrende",
        "participants_planned": "40",
        "activities": "Kurse, Praktika, Coaching",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "total_cost_cents": "100.000,00",
        "requested_grant_cents": "50.000,00",
    }
    data.update(overrides)
    return data


def _empty_draft(world):
    """An application whose sketch was opened by the consultation but not written yet."""
    application = world.application("sketch_draft")
    application.sketch = None
    application.summary = ""
    db.session.commit()
    return application


def _stored(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


def test_the_draft_is_saved_at_any_time_and_found_again_in_a_new_session(app, world, login):
    application = _empty_draft(world)
    partial = {"title": "Pflege gewinnen", "need": "Erst ein Anfang.", "funding_object_id": "0"}
    response = login("applicant-bildungswerk").post(f"/antraege/{application.id}/skizze", data=partial)
    assert response.status_code == 303
    page = login("applicant-bildungswerk").get(f"/antraege/{application.id}/skizze")  # a new session
    assert page.status_code == 200
    assert "Erst ein Anfang." in page.text
    assert "Für das Einreichen fehlt noch" in text_of(page.text)
    assert 'maxlength="1500"' in page.text  # the limit works while typing, without JavaScript
    assert "Bisher 16 von 1500 Zeichen" in text_of(page.text)
    assert _stored(application.id).sketch.need == "Erst ein Anfang."


def test_a_complete_sketch_is_submitted_and_the_coordination_told(app, world, login, smtp):
    application = _empty_draft(world)
    sponsor = login("applicant-bildungswerk")
    response = sponsor.post(
        f"/antraege/{application.id}/skizze",
        data={
            **_sketch_data(world),
            "partner_organisation_ids": [str(world.orgs["lk-celle"].id)],
            "other_partners": "Pflegeschule Celle\nDiakonie Uelzen",
        },
    )
    assert response.status_code == 303
    stored = _stored(application.id)
    assert stored.sketch.participants_planned == 40 and stored.sketch.end_date == date(2027, 12, 31)
    assert sorted(p.label for p in stored.project_partners) == [
        "Diakonie Uelzen",
        "Landkreis Celle",
        "Pflegeschule Celle",
    ]
    smtp.messages.clear()
    response = sponsor.post(f"/antraege/{application.id}/aktion/submit_sketch")
    assert response.status_code == 302
    assert _stored(application.id).state == "sketch_submitted"
    mail = smtp.to(world.user("coordinator").email)
    assert mail and "Ziel für die Ersteinschätzung" in mail[0].get_content()


def test_an_incomplete_sketch_is_refused_at_submission_and_nothing_is_lost(app, world, login):
    application = _empty_draft(world)
    sponsor = login("applicant-bildungswerk")
    response = sponsor.post(
        f"/antraege/{application.id}/skizze", data={"title": "Nur ein Titel", "need": "Bedarf"}
    )
    assert response.status_code == 303
    response = sponsor.post(f"/antraege/{application.id}/aktion/submit_sketch")
    assert response.status_code == 422
    assert "Die Projektskizze ist noch nicht vollständig" in text_of(response.text)
    stored = _stored(application.id)
    assert (stored.state, stored.sketch.need) == ("sketch_draft", "Bedarf")


def _upload(client, application, data: bytes, world, name="Skizze.pdf", **fields):
    return client.post(
        f"/antraege/{application.id}/skizze",
        data={**fields, "sketch_pdf": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_sketch_pdf_instead_of_the_form_is_enough_and_versions_are_kept(app, world, login):
    application = _empty_draft(world)
    sponsor = login("applicant-bildungswerk")
    core = {
        k: v
        for k, v in _sketch_data(world).items()
        if k
        in (
            "title",
            "funding_object_id",
            "fields_of_action",
            "districts",
            "total_cost_cents",
            "requested_grant_cents",
        )
    }
    assert _upload(sponsor, application, make_pdf(2), world, **core).status_code == 303
    assert (
        _upload(sponsor, application, make_pdf(3), world, name="Skizze final.pdf", **core).status_code == 303
    )
    page = text_of(sponsor.get(f"/antraege/{application.id}").text)
    assert "Skizze_final.pdf" in page and "aktuell" in page
    versions = (
        Document.query.filter_by(application_id=application.id, kind="sketch")
        .order_by(Document.version)
        .all()
    )
    assert [(d.version, d.pages) for d in versions] == [(1, 2), (2, 3)]
    response = sponsor.post(f"/antraege/{application.id}/aktion/submit_sketch")
    assert response.status_code == 302, text_of(response.text)[:300]


def test_the_pdf_is_downloaded_as_an_attachment_only_by_those_who_may_see_it(app, world, login):
    application = _empty_draft(world)
    sponsor = login("applicant-bildungswerk")
    _upload(sponsor, application, make_pdf(1), world, title="Pflege gewinnen")
    document = Document.query.filter_by(application_id=application.id).one()
    url = f"/antraege/{application.id}/dokumente/{document.id}"
    with sponsor.get(url) as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    assert login("applicant-lwz").get(url).status_code == 404
    assert login("observer-nbank").get(url).status_code == 404  # a draft is the sponsor's alone
    assert login("partner-dgb").get(url).status_code == 404
    with login("coordinator").get(url) as response:
        assert response.status_code == 200
    other = world.application("sketch_draft", applicant="applicant-lwz")
    assert sponsor.get(f"/antraege/{other.id}/dokumente/{document.id}").status_code == 404


@lru_cache(maxsize=1)
def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (120 * 1024 * 1024))
    return out.getvalue()


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(1))))
    writer.encrypt("geheim")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (lambda: b"Hallo, ich bin ein Brief.", "keine PDF-Datei"),
        (lambda: b"%PDF-1.7\nkaputt", "keine lesbare PDF-Datei"),
        (lambda: make_pdf(4), "4 Seiten; erlaubt sind höchstens 3"),
        (_encrypted_pdf, "verschlüsselt"),
        (_zip_bomb, "unzulässig gepackt"),
    ],
    ids=["text", "broken", "four-pages", "encrypted", "zip-bomb"],
)
def test_a_bad_pdf_is_refused_in_german_and_the_draft_is_saved(app, world, login, payload, message):
    application = _empty_draft(world)
    sponsor = login("applicant-bildungswerk")
    response = _upload(sponsor, application, payload(), world, title="Pflege gewinnen", need="Mein Text")
    assert response.status_code == 422
    page = text_of(response.text)
    assert message in page and "Ihr Entwurf ist gespeichert" in page
    assert "Mein Text" in response.text  # shown again as typed
    stored = _stored(application.id)
    assert stored.sketch.need == "Mein Text"
    assert Document.query.filter_by(application_id=application.id).count() == 0


def test_a_50_mb_upload_is_a_413_page_in_german_and_the_saved_draft_stays(app, world, login):
    application = _empty_draft(world)
    sponsor = login("applicant-bildungswerk")
    sponsor.post(
        f"/antraege/{application.id}/skizze", data={"title": "Pflege gewinnen", "need": "Gespeichert"}
    )
    # The body built by hand (the test client would spool it to a temporary file it never closes).
    body = (
        b'--grenze\r\nContent-Disposition: form-data; name="title"\r\n\r\nX\r\n'
        b'--grenze\r\nContent-Disposition: form-data; name="sketch_pdf"; filename="gross.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n" + b"0" * (50 * 1024 * 1024) + b"\r\n--grenze--\r\n"
    )
    response = sponsor.post(
        f"/antraege/{application.id}/skizze", data=body, content_type="multipart/form-data; boundary=grenze"
    )
    assert response.status_code == 413
    assert "höchstens 10 MB" in text_of(response.text) and '<html lang="de">' in response.text
    stored = _stored(application.id)
    assert (stored.title, stored.sketch.need) == ("Pflege gewinnen", "Gespeichert")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("objectives", "x" * 1201, "„Ziele“ darf höchstens 1.200 Zeichen haben"),
        ("title", "x" * 201, "„Projekttitel“ darf höchstens 200 Zeichen haben"),
        ("activities", "x" * 2001, "höchstens 2.000 Zeichen"),
        ("participants_planned", "viele", "ganze Zahl"),
        ("participants_planned", "-3", "Bitte eine Zahl von 0 bis 100.000"),
        ("start_date", "morgen", "Datum"),
        ("end_date", "2026-01-01", "nicht vor dem Projektbeginn"),
        ("total_cost_cents", "zwölf", "Betrag in Euro"),
        ("requested_grant_cents", "200.000,00", "nicht übersteigen"),
        ("funding_object_id", "abc", "Auswahl"),
        ("fields_of_action", ["V"], "Auswahl"),
        ("partner_organisation_ids", ["999999"], "Auswahl"),
        ("other_partners", "\n".join(f"Partner {n}" for n in range(20)), "höchstens 15 weitere"),
    ],
)
def test_bad_sketch_input_is_a_422_in_german_and_the_stored_draft_is_unchanged(
    app, world, login, field, value, message
):
    application = world.application("sketch_draft")
    before = application.sketch.need
    data = _sketch_data(world, need="Neuer Text", **{field: value})
    response = login("applicant-bildungswerk").post(f"/antraege/{application.id}/skizze", data=data)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert _stored(application.id).sketch.need == before


def test_line_breaks_count_once_as_the_browser_counts_them(app, world, login):
    application = world.application("sketch_draft")
    need = "a\r\n" * 700  # 2100 characters as sent, 1400 as typed
    response = login("applicant-bildungswerk").post(
        f"/antraege/{application.id}/skizze", data=_sketch_data(world, need=need)
    )
    assert response.status_code == 303
    assert len(_stored(application.id).sketch.need) == 1399  # trailing line break stripped


def test_html_in_every_text_field_is_shown_escaped(app, world, login):
    application = world.application("sketch_draft")
    texts = {
        name: f"{SCRIPT}<b>{name}</b>"
        for name in ("title", "summary", "need", "objectives", "target_groups", "activities")
    }
    data = _sketch_data(world, **texts, other_partners=f"{SCRIPT}Partner")
    response = login("applicant-bildungswerk").post(f"/antraege/{application.id}/skizze", data=data)
    assert response.status_code == 303
    for url in (f"/antraege/{application.id}", f"/antraege/{application.id}/skizze"):
        page = login("applicant-bildungswerk").get(url).text
        assert SCRIPT not in page and "<b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    page = login("coordinator").get(f"/antraege/{application.id}").text
    assert SCRIPT not in page


def test_only_the_sponsor_edits_and_submits_the_sketch(app, world, login):
    application = world.application("sketch_draft")
    url = f"/antraege/{application.id}/skizze"
    data = _sketch_data(world, title="Übernommen")
    assert login("applicant-lwz").post(url, data=data).status_code == 404
    assert login("coordinator").post(url, data=data).status_code == 403
    assert login("observer-nbank").post(url, data=data).status_code == 404
    response = login("applicant-lwz").post(f"/antraege/{application.id}/aktion/submit_sketch")
    assert response.status_code == 404
    response = login("coordinator").post(f"/antraege/{application.id}/aktion/submit_sketch")
    assert response.status_code == 403 and "nicht ausführen" in text_of(response.text)
    stored = _stored(application.id)
    assert (stored.state, stored.title) == ("sketch_draft", "Testprojekt sketch_draft")


def test_a_submitted_sketch_can_no_longer_be_edited(app, world, login):
    application = world.application("sketch_submitted")
    response = login("applicant-bildungswerk").post(
        f"/antraege/{application.id}/skizze", data=_sketch_data(world, title="Später geändert")
    )
    assert response.status_code == 403
    assert _stored(application.id).title == "Testprojekt sketch_submitted"


def test_every_save_is_recorded_with_what_changed(app, world, login):
    application = world.application("sketch_draft")
    login("applicant-bildungswerk").post(
        f"/antraege/{application.id}/skizze", data=_sketch_data(world, need="Anders")
    )
    event = (
        Event.query.filter_by(application_id=application.id, kind="updated").order_by(Event.id.desc()).first()
    )
    assert "need" in event.data["changed"]
    page = text_of(login("coordinator").get(f"/antraege/{application.id}").text)
    assert "Ausgangslage und Bedarf" in page


def test_alliance_partners_named_as_project_partners_are_recused_from_the_vote(world):
    from workflow.models import ProjectPartner

    sponsor = world.user("applicant-bildungswerk")
    application = demo.new_application(sponsor, "Partner in der Skizze")
    application.project_partners = [
        ProjectPartner(organisation_id=world.orgs["lk-celle"].id),
        ProjectPartner(organisation_id=world.orgs["leuphana"].id),
        ProjectPartner(name="Pflegeschule Celle"),
    ]
    db.session.commit()
    # The sketch's partners are carried into the long form, whose partners the vote follows.
    world.walker.walk_to(application, "long_form_submitted", sponsor)
    fire(
        application,
        "open_vote",
        world.user("coordinator"),
        {"mode": "circulation", "deadline": date.today() + timedelta(days=9), "session_date": None},
    )
    vote = application.current_vote
    recused = {r.organisation.name: r.reason for r in vote.recusals}
    assert recused == {
        "Landkreis Celle": "Projektpartner in diesem Antrag",
        "Leuphana Universität Lüneburg": "Projektpartner in diesem Antrag",
    }
    assert len(vote.eligible_organisations()) == 12


def test_the_sketch_row_belongs_to_one_application(world):
    application = world.application("sketch_draft")
    assert db.session.query(Sketch).filter_by(application_id=application.id).count() == 1
