"""The public authenticity page (/echtheit, issue 18): anyone uploads a PDF or types the reference
and the check code printed on it, and learns whether it is a statement or letter issued here,
unchanged, with its reference, date, alliance, decision, signer and any later correction; nothing
more. Bad input is refused in German with a 4xx and never stored; checks are throttled per address;
the upload works over real HTTP on gunicorn."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from tests import bad_input, signing_support, stored
from tests.conftest import make_pdf, text_of
from tests.signing_support import first_revision, printed_code, sign_with
from workflow.extensions import db
from workflow.services import letters, signing, statements

test_pki, signed = signing_support.test_pki, signing_support.signed

CORRECTION = {
    "replaces_version": "1",
    "correction_reason": "Tippfehler.",
    "statement": "Der Lenkungskreis befürwortet das Projekt.",
}


BOUNDARY = b"echtheitsgrenze"


def _upload(client, data: bytes, name: str = "stellungnahme.pdf", **kwargs):
    """POST the file as a browser does (the body built here: werkzeug's test builder would spool a
    large one into a temporary file it never closes)."""
    body = (
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="file"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + data
        + b"\r\n--"
        + BOUNDARY
        + b"--\r\n"
    )
    content_type = "multipart/form-data; boundary=" + BOUNDARY.decode()
    response = client.post("/echtheit/datei", data=body, content_type=content_type, **kwargs)
    response.close()
    return response


@pytest.fixture
def issued(signed):
    application = signed.application("endorsed")
    statement = statements.latest(application)
    return signed, application, statement, statements.stored_bytes(statement)


def _never_more_than_printed(page: str, world, application) -> None:
    """No ballots, comments, people or other documents on the answer."""
    for secret in (
        "Gut begründet.",  # the partners' comments
        "Zustimmung",  # ballots
        "IHK Lüneburg-Wolfsburg",  # voters
        world.user("coordinator").name,
        world.user("applicant-bildungswerk").name,
        application.applicant.contact_person or "—",
        application.title,
    ):
        assert secret not in page, secret


def test_the_page_is_public_and_explains_both_ways(client):
    page = client.get("/echtheit")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "PDF-Datei prüfen" in text and "Mit Aktenzeichen und Prüfcode prüfen" in text
    assert "nicht gespeichert" in text


def test_an_uploaded_original_is_genuine_with_what_it_prints_and_nothing_more(app, issued):
    world, application, statement, data = issued
    files_before = stored.keys()
    page = _upload(app.test_client(), data)
    assert page.status_code == 200
    text = text_of(page.text)
    for expected in (
        "Echt und unverändert",
        "Stellungnahme des Bündnisses",
        statement.reference,
        statement.issued_at.astimezone(signing.BERLIN).strftime("%d.%m.%Y"),
        "Allianz für Fachkräfte Nordostniedersachsen",
        "Positive Stellungnahme",
        "Signiert von CN=Netzwerkkoordination (Test)",
        "die Signatur ist intakt",
        "führt zu einer hier hinterlegten Vertrauenswurzel",
        "Keine spätere Berichtigung",
    ):
        assert expected in text, expected
    _never_more_than_printed(text, world, application)
    assert stored.keys() == files_before  # never stored

    # After a correction the same file says what replaces it.
    corrected = statements.correct(application, world.user("coordinator"), CORRECTION | {"conditions": "x"})
    text = text_of(_upload(app.test_client(), data).text)
    assert f"Ersetzt durch die berichtigte Fassung {corrected.reference}" in text


def test_a_changed_or_foreign_file_is_not_confirmed_and_names_nothing(app, issued, test_pki):
    world, application, statement, data = issued
    position = data.index(b"(Stellungnahme ") + 5
    changed = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
    resigned = sign_with(first_revision(data), test_pki.foreign, chain=(test_pki.foreign_ca,))
    answers = {}
    for label, file in (
        ("changed", changed),
        ("stripped", first_revision(data)),
        ("resigned", resigned),
        ("foreign", make_pdf(1, "Irgendein Dokument")),
    ):
        page = _upload(app.test_client(), file)
        assert page.status_code == 200, label
        text = text_of(page.text)
        assert "Nicht bestätigt" in text, label
        assert statement.reference not in text and application.reference not in text, label
        _never_more_than_printed(text, world, application)
        answers[label] = text
    assert "beschädigt" in answers["changed"]
    assert "keine elektronische Signatur" in answers["stripped"]
    assert "intakte elektronische Signatur von CN=Fälscher" in answers["resigned"]


def test_a_file_with_something_added_after_the_signature_is_changed(app, issued, test_pki):
    world, application, statement, data = issued
    countersigned = sign_with(data, test_pki.foreign, chain=(test_pki.foreign_ca,))
    text = text_of(_upload(app.test_client(), countersigned).text)
    assert "Verändert" in text and statement.reference in text and "Echt und unverändert" not in text


def test_reference_and_check_code_find_the_document_and_a_wrong_code_finds_nothing(app, issued):
    world, application, statement, data = issued
    code = printed_code(data)
    client = app.test_client()
    page = client.post("/echtheit/code", data={"reference": statement.reference, "code": code})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Dieses Dokument wurde hier ausgestellt" in text and statement.reference in text
    assert "Positive Stellungnahme" in text and statement.sha256 in text
    assert "Signiert von CN=Netzwerkkoordination (Test)" in text
    _never_more_than_printed(text, world, application)
    # As typed by a person: lower case, spaces, O for 0.
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert (
        client.post(
            "/echtheit/code", data={"reference": statement.reference.lower(), "code": typed}
        ).status_code
        == 200
    )
    # The QR code's address opens the same answer.
    link = signing.printed_check(statement.reference, code, signed=True)["link"]
    assert link.startswith("http://127.0.0.1:5000/echtheit?") and "pruefcode=" in link
    qr = client.get(link.removeprefix("http://127.0.0.1:5000"))
    assert qr.status_code == 200 and "Dieses Dokument wurde hier ausgestellt" in text_of(qr.text)

    # A wrong code and an unknown reference get the same answer: nothing about what exists.
    wrong = client.post("/echtheit/code", data={"reference": statement.reference, "code": "AAAA-BBBB-CCCC"})
    unknown = client.post("/echtheit/code", data={"reference": "NON-2099-99999/S1", "code": code})
    assert wrong.status_code == unknown.status_code == 404
    assert "kein ausgestelltes Dokument" in text_of(wrong.text)
    assert text_of(wrong.text) == text_of(unknown.text)  # what was typed stays in the fields only
    empty = client.post("/echtheit/code", data={"reference": "", "code": ""})
    assert empty.status_code == 422 and "Bitte geben Sie das Aktenzeichen ein." in text_of(empty.text)


def test_letters_are_checked_the_same_way(app, signed):
    application = signed.application("long_form_draft")
    letter = letters.latest(application)
    data = letters.stored_bytes(letter)
    text = text_of(_upload(app.test_client(), data).text)
    assert "Echt und unverändert" in text and "Schreiben zur Ersteinschätzung" in text
    assert letter.reference in text and "Einladung zur Langfassung" in text
    page = app.test_client().post(
        "/echtheit/code", data={"reference": letter.reference, "code": printed_code(data)}
    )
    assert page.status_code == 200 and letter.reference in text_of(page.text)


def test_an_unsigned_statement_of_this_instance_is_genuine_and_unsigned(app, world):
    statement = statements.latest(world.application("endorsed"))
    text = text_of(_upload(app.test_client(), statements.stored_bytes(statement)).text)
    assert "Echt und unverändert" in text and "Nicht elektronisch signiert" in text


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(1)))
    writer.encrypt("geheim")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_bad_files_get_a_german_4xx_and_nothing_is_stored(app, world):
    files_before = stored.keys()
    client = app.test_client()
    for label, data, status, expected in (
        ("not a PDF", b"Kein PDF, nur Text.\n" * 20, 422, "keine PDF-Datei"),
        ("a PDF bomb", bad_input.pdf_bomb(), 422, "unzulässig gepackt"),
        ("an encrypted PDF", _encrypted_pdf(), 422, "verschlüsselt"),
        ("empty", b"", 422, "leer"),
        ("over the page's limit", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), 422, "größer als 10 MB"),
        ("a huge body", b"%PDF-1.4\n" + b"0" * (13 * 1024 * 1024), 413, "zu groß"),
    ):
        response = _upload(client, data)
        assert response.status_code == status, label
        assert expected in text_of(response.text), (label, text_of(response.text)[:300])
    assert client.post("/echtheit/datei", data={}).status_code == 422
    assert stored.keys() == files_before


def test_checks_are_throttled_per_address(app, world):
    app.config["AUTHENTICITY_CHECKS_PER_ADDRESS"] = 3
    try:
        pdf = make_pdf(1)
        client = app.test_client()
        for _ in range(3):
            assert _upload(client, pdf).status_code == 200
        assert client.post("/echtheit/code", data={"reference": "A", "code": "B"}).status_code == 429
        refused = _upload(client, pdf)
        assert refused.status_code == 429 and "zu viele Prüfungen" in text_of(refused.text)
        other = app.test_client()
        assert _upload(other, pdf, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    finally:
        app.config["AUTHENTICITY_CHECKS_PER_ADDRESS"] = 30
        db.session.rollback()


def test_an_upload_over_real_http_on_gunicorn(issued, http):
    world, application, statement, data = issued
    anonymous = http(None)
    token = anonymous.csrf_token("/echtheit")
    response = anonymous.post(
        "/echtheit/datei",
        data={"csrf_token": token},
        files={"file": ("stellungnahme.pdf", data, "application/pdf")},
    )
    assert response.status_code == 200, response.text[:500]
    text = text_of(response.text)
    assert "Echt und unverändert" in text and statement.reference in text
    assert "führt zu einer hier hinterlegten Vertrauenswurzel" in text  # the node reads the same roots
    too_big = anonymous.post(
        "/echtheit/datei",
        data={"csrf_token": token},
        files={"file": ("gross.pdf", b"%PDF-1.4\n" + b"0" * (13 * 1024 * 1024), "application/pdf")},
    )
    assert too_big.status_code == 413
    no_token = http(None).post("/echtheit/datei", files={"file": ("a.pdf", data, "application/pdf")})
    assert no_token.status_code == 400  # CSRF on the public form too
