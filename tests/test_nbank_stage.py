"""The NBank stage in the browser: submission, grant notice, refusal, each with its document; the
way past the vote for funding objects that need no statement. Bad input: 4xx, German, nothing lost."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import stored
from tests.conftest import text_of
from workflow.demo import placeholder_pdf
from workflow.extensions import db
from workflow.models import Application, Document, Event
from workflow.services import documents

TODAY = date.today()


def _pdf(name="bescheid.pdf", title="Bescheid"):
    return (io.BytesIO(placeholder_pdf(title)), name)


def _post(client, application, trigger, data):
    return client.post(
        f"/antraege/{application.id}/aktion/{trigger}", data=data, content_type="multipart/form-data"
    )


def _state(application) -> str:
    db.session.expire_all()
    return db.session.get(Application, application.id).state


def _documents(application) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Document).where(Document.application_id == application.id)
    )


def test_submission_grant_and_their_documents_are_recorded(world, login):
    application = world.application("endorsed")
    sponsor = login("applicant-bildungswerk")
    response = _post(
        sponsor,
        application,
        "record_nbank_submission",
        {
            "nbank_reference": " esf-2026-00042 ",
            "submitted_on": TODAY.isoformat(),
            "document": _pdf("Antrag_Łódź.pdf"),
        },
    )
    assert response.status_code == 302, text_of(response.text)[:400]
    assert _state(application) == "nbank_submitted"
    response = _post(
        sponsor,
        application,
        "record_grant",
        {
            "granted_on": TODAY.isoformat(),
            "amount_granted": "200.000,00",
            "funded_from": "2027-01-01",
            "funded_until": "2028-12-31",
            "document": _pdf(),
        },
    )
    assert response.status_code == 302, text_of(response.text)[:400]
    assert _state(application) == "granted"
    kinds = {d.kind: d for d in documents.versions(db.session.get(Application, application.id))}
    assert set(kinds) == {"nbank_application", "grant_notice"}
    antrag = sponsor.get(f"/antraege/{application.id}/nbank-dokumente/{kinds['nbank_application'].id}")
    disposition = antrag.headers["Content-Disposition"]
    assert antrag.status_code == 200 and "filename*=UTF-8''Antrag_%C5%81%C3%B3d%C5%BA.pdf" in disposition
    assert kinds["grant_notice"].filename == "bescheid.pdf" and kinds["grant_notice"].version == 1
    events = {
        e.trigger: e.data
        for e in db.session.scalars(sa.select(Event).where(Event.application_id == application.id))
        if e.trigger
    }
    assert events["record_nbank_submission"]["nbank_reference"] == "ESF-2026-00042"
    assert events["record_grant"]["document"]["sha256"] == kinds["grant_notice"].sha256
    assert events["record_grant"]["funded_until"] == "2028-12-31"
    page = text_of(sponsor.get(f"/antraege/{application.id}").text)
    assert "ESF-2026-00042" in page and "200.000,00 €" in page
    assert "Zuwendungsbescheid (bescheid.pdf)" in page and kinds["grant_notice"].sha256 in page
    download = sponsor.get(f"/antraege/{application.id}/nbank-dokumente/{kinds['grant_notice'].id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    other = world.application("consultation", applicant="applicant-lwz")
    assert sponsor.get(f"/antraege/{other.id}/nbank-dokumente/{kinds['grant_notice'].id}").status_code == 404
    assert (
        login("applicant-lwz").get(f"/antraege/{application.id}/nbank-dokumente/{kinds['grant_notice'].id}")
    ).status_code == 404


def test_a_refusal_is_recorded_with_its_document(world, login):
    application = world.application("nbank_submitted")
    response = _post(
        login("coordinator"),
        application,
        "record_nbank_decline",
        {
            "declined_on": TODAY.isoformat(),
            "reason": "Mittel ausgeschöpft.",
            "document": _pdf("ablehnung.pdf"),
        },
    )
    assert response.status_code == 302, text_of(response.text)[:400]
    assert _state(application) == "nbank_declined"
    assert documents.current(application, "nbank_decline").filename == "ablehnung.pdf"


GRANT = {
    "granted_on": TODAY.isoformat(),
    "amount_granted": "100.000,00",
    "funded_from": "2027-01-01",
    "funded_until": "2027-12-31",
}


@pytest.mark.parametrize(
    ("trigger", "state", "data", "message"),
    [
        (
            "record_nbank_submission",
            "endorsed",
            {"nbank_reference": "4711", "submitted_on": TODAY.isoformat()},
            "nicht das erwartete Format",
        ),
        (
            "record_nbank_submission",
            "endorsed",
            {"nbank_reference": "ESF 2026 / 42", "submitted_on": TODAY.isoformat()},
            "nicht das erwartete Format",
        ),
        ("record_grant", "nbank_submitted", GRANT | {"amount_granted": "240.000,01"}, "nicht übersteigen"),
        (
            "record_grant",
            "nbank_submitted",
            GRANT | {"granted_on": (TODAY - timedelta(days=1)).isoformat()},
            "nicht vor der Antragstellung",
        ),
        (
            "record_nbank_decline",
            "nbank_submitted",
            {"declined_on": (TODAY - timedelta(days=3)).isoformat(), "reason": "Zu spät."},
            "nicht vor der Antragstellung",
        ),
        (
            "record_grant",
            "nbank_submitted",
            GRANT | {"funded_until": "2026-12-31"},
            "nach seinem Beginn",
        ),
        ("record_grant", "nbank_submitted", GRANT | {"document": None}, "als PDF-Datei hoch"),
        (
            "record_grant",
            "nbank_submitted",
            GRANT | {"document": (io.BytesIO(b"MZ\x90\x00 kein PDF"), "bescheid.pdf")},
            "keine PDF-Datei",
        ),
        (
            "record_grant",
            "nbank_submitted",
            GRANT | {"document": (io.BytesIO(b"%PDF-1.7\n kaputt"), "bescheid.pdf")},
            "keine lesbare PDF-Datei",
        ),
    ],
)
def test_bad_input_is_a_4xx_with_a_german_message_and_nothing_is_lost(
    world, login, trigger, state, data, message
):
    application = world.application(state)
    data = dict(data)
    if "document" not in data:
        data["document"] = _pdf()
    elif data["document"] is None:
        del data["document"]
    before_docs, before_files = _documents(application), stored.keys()
    response = _post(login("coordinator"), application, trigger, data)
    assert 400 <= response.status_code < 500, response.status_code
    assert message in text_of(response.text)
    assert _state(application) == state
    assert _documents(application) == before_docs
    assert stored.keys() == before_files


def test_a_funding_object_without_statement_passes_with_a_note(world, login):
    fo = world.alliance.funding_objects[2]
    fo.needs_statement = False
    db.session.commit()
    application = world.application("long_form_submitted", number=3)
    coordinator = login("coordinator")
    page = text_of(coordinator.get(f"/antraege/{application.id}").text)
    assert "Ohne Votum weiterleiten" in page and "Votum eröffnen" not in page
    refused = coordinator.post(f"/antraege/{application.id}/aktion/pass_without_vote", data={"note": " "})
    assert refused.status_code == 422 and "Bitte füllen Sie dieses Feld aus" in text_of(refused.text)
    assert _state(application) == "long_form_submitted"
    done = coordinator.post(
        f"/antraege/{application.id}/aktion/pass_without_vote",
        data={"note": "Weiterbildung über Landesaufruf."},
    )
    assert done.status_code == 302
    assert _state(application) == "endorsed"
