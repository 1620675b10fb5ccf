"""Signed statements and letters (issue 18): the alliance's certificate (PKCS#12, checked by content,
its key stored only encrypted), PAdES B-B signatures on every issued kind (B-T with a timestamp
authority on loopback), the PDF/A-3 markers and the embedded record kept, verify-statement judging
files with pyHanko's validator, the expiry warning on the start page and in the digest."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app
from pypdf import PdfReader

from tests import signing_support, stored
from tests.conftest import text_of
from tests.signing_support import PASSWORD, first_revision, printed_code, sign_with, validate
from workflow import pki
from workflow.extensions import db
from workflow.models import Application, Event, Letter, SigningCertificate, Statement
from workflow.services import letters, pdf, reminders, signing, statements
from workflow.services.errors import RuleViolation
from workflow.services.integrity import verify_log
from workflow.services.lifecycle import fire

# The shared fixtures (tests/signing_support.py).
test_pki, signed, timestamp_authority = (
    signing_support.test_pki,
    signing_support.signed,
    signing_support.timestamp_authority,
)

CORRECTION = {
    "replaces_version": "1",
    "correction_reason": "Tippfehler in der Auflage.",
    "statement": "Der Lenkungskreis befürwortet das Projekt.",
    "conditions": "Vierteljährlicher Bericht an den Lenkungskreis.",
    "recommendations": "",
    "requested_changes": "",
}


def _endorsed(world) -> tuple[Application, Statement]:
    application = world.application("endorsed")
    return application, statements.latest(application)


def _xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


def _signed_attributes(data: bytes) -> set[str]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures
    return {attribute["type"].native for attribute in signature.signer_info["signed_attrs"]}


def _field_font_widths(reader: PdfReader) -> list[int]:
    """The glyph widths the visible field's embedded font declares (PDF: thousandths of an em)."""
    widths = []
    for annotation in reader.pages[-1].get("/Annots") or []:
        stack = [annotation.get_object()["/AP"]["/N"].get_object()]
        while stack:
            stream = stack.pop()
            resources = stream.get("/Resources") or {}
            for font in (resources.get("/Font") or {}).values():
                for descendant in font.get_object()["/DescendantFonts"]:
                    widths += [
                        w for item in descendant.get_object()["/W"] if isinstance(item, list) for w in item
                    ]
            stack += [child.get_object() for child in (resources.get("/XObject") or {}).values()]
    return widths


def _field_texts(reader: PdfReader) -> str:
    """The visible signature field's text (pyHanko marks each line with its /ActualText)."""
    texts = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/FT") != "/Sig":
                continue
            assert widget["/F"] & 4, "the field prints (PDF/A)"
            stack = [widget["/AP"]["/N"].get_object()]
            while stack:
                stream = stack.pop()
                texts += re.findall(rb"/ActualText \((.*?)\)\s*>>", stream.get_data())
                for child in ((stream.get("/Resources") or {}).get("/XObject") or {}).values():
                    stack.append(child.get_object())

    def literal(raw: bytes) -> str:  # a PDF literal string: octal and backslash escapes
        raw = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), raw)
        return re.sub(rb"\\(.)", rb"\1", raw).decode("latin-1")

    return " ".join(literal(t) for t in texts)


# -- the certificate ---------------------------------------------------------------------------------


def test_a_pkcs12_upload_is_checked_by_its_content(world, test_pki):
    alliance, coordinator = world.alliance, world.user("coordinator")
    now = datetime.now(UTC)
    stale = pki.issue(
        test_pki.ca, "Alt", "Allianz", not_before=now - timedelta(days=400), not_after=now - timedelta(days=1)
    )
    early = pki.issue(test_pki.ca, "Früh", "Allianz", not_before=now + timedelta(days=3))
    encryption = serialization.BestAvailableEncryption(PASSWORD.encode())
    only_certificate = pkcs12.serialize_key_and_certificates(
        b"x", None, test_pki.alliance.certificate, None, encryption
    )
    only_key = pkcs12.serialize_key_and_certificates(
        b"x", test_pki.alliance.key, None, [test_pki.foreign.certificate], encryption
    )
    cases = {
        "kein PKCS#12-Container": (b"%PDF-1.7\n" + b"0" * 100, PASSWORD),
        "Passwort ist falsch": (test_pki.container(), "falsch"),
        "abgelaufen": (pki.to_pkcs12(stale, PASSWORD), PASSWORD),
        "gilt erst ab": (pki.to_pkcs12(early, PASSWORD), PASSWORD),
        "Zertifizierungsstelle": (pki.to_pkcs12(test_pki.ca, PASSWORD), PASSWORD),
        "keinen privaten Schlüssel": (only_certificate, PASSWORD),
        "kein Zertifikat": (only_key, PASSWORD),
        "leer": (b"", PASSWORD),
        "größer als": (b"\x30" + b"0" * (signing.MAX_PKCS12_BYTES + 1), PASSWORD),
    }
    for expected, (data, password) in cases.items():
        with pytest.raises(RuleViolation) as refused:
            signing.install(alliance, coordinator, data, password)
        assert expected in refused.value.message, (expected, refused.value.message)
    assert signing.current(alliance.id) is None

    row = signing.install(alliance, coordinator, test_pki.container(), PASSWORD)
    assert "CN=Netzwerkkoordination (Test)" in row.subject and "CN=Test-CA Antragsweg" in row.issuer
    # The key is stored only encrypted: neither its DER nor its PEM is in the row, and another
    # secret cannot open it.
    der = test_pki.alliance.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    stored = base64.b64decode(row.encrypted_key)
    assert der not in stored and der[-64:] not in stored and "PRIVATE KEY" not in row.encrypted_key
    assert signing.decrypt_key(row.encrypted_key, alliance.id, row.fingerprint_sha256) == der
    current_app.config["SIGNING_KEY_SECRET"] = "ein-anderes-geheimnis"
    try:
        with pytest.raises(signing.SigningUnavailable):
            signing.prepare(alliance)
    finally:
        current_app.config["SIGNING_KEY_SECRET"] = None
    # Installing is an event of the alliance; a new certificate replaces the old one and its key.
    signing.install(alliance, coordinator, test_pki.container(test_pki.short_lived(90)), PASSWORD)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningCertificate)) == 1
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.application_id.is_(None))).all()
    assert kinds.count(signing.INSTALLED) == 2
    assert verify_log()[1] is None  # in the alliance's hash chain


def test_the_settings_page_installs_shows_and_removes_the_certificate(world, login, test_pki):
    coordinator = login("coordinator")
    files_before = stored.keys()
    page = text_of(coordinator.get("/einstellungen").text)
    assert "Es ist kein Signaturzertifikat installiert" in page
    refused = coordinator.post(
        "/einstellungen/signaturzertifikat",
        data={
            "signing-file": (io.BytesIO(test_pki.container()), "zertifikat.p12"),
            "signing-password": "falsch",
        },
    )
    assert refused.status_code == 422 and "Passwort ist falsch" in text_of(refused.text)
    response = coordinator.post(
        "/einstellungen/signaturzertifikat",
        data={
            "signing-file": (io.BytesIO(test_pki.container()), "zertifikat.p12"),
            "signing-password": PASSWORD,
        },
    )
    assert response.status_code == 303
    page = text_of(coordinator.get("/einstellungen").text)
    certificate = test_pki.alliance.certificate
    for expected in (
        "CN=Netzwerkkoordination (Test)",  # subject
        "CN=Test-CA Antragsweg",  # issuer
        f"vom {certificate.not_valid_before_utc.astimezone(signing.BERLIN):%d.%m.%Y} "
        f"bis zum {certificate.not_valid_after_utc.astimezone(signing.BERLIN):%d.%m.%Y}",
        "PAdES B-B",
        "Signaturzertifikat installiert",  # the settings' history
    ):
        assert expected in page, expected
    # Nothing of the upload is stored as it came: no file written, the password nowhere.
    assert stored.keys() == files_before
    assert PASSWORD not in json.dumps([e.data for e in db.session.scalars(sa.select(Event))])
    assert login("partner-ihk").post("/einstellungen/signaturzertifikat/entfernen").status_code == 403
    assert coordinator.post("/einstellungen/signaturzertifikat/entfernen").status_code == 303
    assert signing.current(world.alliance.id) is None


# -- signing every issued kind -----------------------------------------------------------------------


def test_statement_correction_and_letter_are_signed_pades_keeping_pdfa_and_the_record(
    signed, login, test_pki
):
    world = signed
    application, statement = _endorsed(world)
    corrected = statements.correct(application, world.user("coordinator"), CORRECTION)
    letter = letters.latest(application)
    assert letter is not None and letter.decision == "invite_long_form"
    for document, data, record_name in (
        (statement, statements.stored_bytes(statement), statements.RECORD_NAME),
        (corrected, statements.stored_bytes(corrected), statements.RECORD_NAME),
        (letter, letters.stored_bytes(letter), letters.RECORD_NAME),
    ):
        # The stored hash is the signed file's.
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert document.signed_by and "Netzwerkkoordination (Test)" in document.signed_by
        # pyHanko's validator: intact, trusted (the test CA), the whole file covered, nothing changed after.
        (status,) = validate(data, test_pki.ca)
        assert status.intact and status.valid and status.trusted and status.bottom_line, (
            status.pretty_print_details()
        )
        assert status.coverage.name == "ENTIRE_FILE" and status.modification_level.name == "NONE"
        assert status.timestamp_validity is None  # B-B: no timestamp without an authority
        # PAdES baseline: the ETSI sub-filter; the signing time in the PDF, not in the CMS.
        reader = PdfReader(io.BytesIO(data))
        value = reader.pages[-1]["/Annots"][0].get_object()["/V"].get_object()
        assert value["/SubFilter"] == "/ETSI.CAdES.detached" and "/M" in value
        names = _signed_attributes(data)
        assert "signing_certificate_v2" in names and "signing_time" not in names
        # An incremental update: the file as rendered is still there, byte for byte, in front.
        assert data.startswith(first_revision(data)[:-1]) and data.count(b"%%EOF") == 2
        # PDF/A-3u markers and the attached record, read back after signing.
        xmp = _xmp(reader)
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="U"' in xmp
        assert "/OutputIntents" in reader.trailer["/Root"]
        producer = re.search(r'pdf:Producer="([^"]+)"', xmp).group(1)
        assert reader.metadata["/Producer"] == producer  # document information agrees with the XMP
        assert list(reader.attachments) == [record_name]
        record = json.loads(reader.attachments[record_name][0])
        assert record == document.record
        # The visible field says who signed, when, and where to check it.
        field = _field_texts(reader)
        assert "Netzwerkkoordination der Allianz für Fachkräfte Nordostniedersachsen" in field, field
        assert re.search(r"am \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr", field), field
        assert "http://127.0.0.1:5000/echtheit" in field and document.reference in field
        # Its font is embedded with widths in thousandths of an em (a digit about half an em), not in
        # the font's own 2048 units, which would spread every line to twice its width.
        widths = _field_font_widths(reader)
        assert widths and max(widths) <= 1100 and 400 <= sorted(widths)[len(widths) // 2] <= 700, widths
        # The page text prints the address and the code too; the code is stored only as its hash.
        code = printed_code(data)
        assert document.check_code_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
        assert code not in json.dumps(document.record)
    # The application page says the documents are signed.
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{application.id}").text)
    assert page.count("signiert (PAdES), Zertifikat: CN=Netzwerkkoordination (Test)") >= 3


def test_downloads_are_never_rendered_or_signed_again(signed, login, monkeypatch):
    application, statement = _endorsed(signed)

    def refuse(*args, **kwargs):
        raise AssertionError("rendered or signed again")

    for target, name in (
        (pdf, "render_with_boxes"),
        (pdf, "render"),
        (signing, "sign"),
        (signing, "prepare"),
    ):
        monkeypatch.setattr(target, name, refuse)
    first = login("coordinator").get(f"/antraege/{application.id}/stellungnahme/1.pdf").data
    second = login("applicant-bildungswerk").get(f"/antraege/{application.id}/stellungnahme/1.pdf").data
    kept = stored.raw(statement.storage_key)
    assert first == second == kept and hashlib.sha256(kept).hexdigest() == statement.sha256
    letter = letters.latest(application)
    with login("applicant-bildungswerk").get(
        f"/antraege/{application.id}/ersteinschaetzung/schreiben.pdf"
    ) as got:
        assert got.status_code == 200 and got.data == letters.stored_bytes(letter)
        assert got.headers["Content-Disposition"] == f'attachment; filename="{letter.filename}"'


def test_a_letter_of_a_decision_from_before_letters_were_stored_is_rendered_as_it_was(world, login):
    application = world.application("long_form_draft")
    event = db.session.scalars(sa.select(Event).where(Event.trigger == "invite_long_form")).one()
    legacy = {k: v for k, v in event.data.items() if not k.startswith("letter_")}
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(data=legacy))  # as recorded before
    db.session.commit()
    with login("applicant-bildungswerk").get(
        f"/antraege/{application.id}/ersteinschaetzung/schreiben.pdf"
    ) as got:
        assert got.status_code == 200 and got.mimetype == "application/pdf"
        assert (
            got.headers["Content-Disposition"]
            == f'attachment; filename="Ersteinschaetzung-{application.reference}.pdf"'
        )
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages).split())
    assert "Einladung zur Langfassung" in text and b"/ByteRange" not in got.data


def test_without_a_certificate_documents_are_issued_unsigned_and_say_so(world, login):
    application, statement = _endorsed(world)
    data = statements.stored_bytes(statement)
    assert statement.signed_by is None and b"/ByteRange" not in data and b"/Sig" not in data
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "nicht elektronisch signiert" in " ".join(text.split())
    assert printed_code(data) and statement.check_code_hash
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{application.id}").text)
    assert "nicht elektronisch signiert" in page


def test_a_timestamp_authority_on_loopback_makes_it_pades_b_t(signed, test_pki, timestamp_authority):
    application, statement = _endorsed(signed)
    assert timestamp_authority.requests, "the TSA was asked over HTTP"
    (status,) = validate(statements.stored_bytes(statement), test_pki.ca)
    assert status.bottom_line and status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    assert abs(status.timestamp_validity.timestamp - statement.issued_at) < timedelta(minutes=1)
    ok, report = _verify(statements.stored_bytes(statement))
    assert ok and "Zeitstempel:" in report and "(vertrauenswürdig)" in report


def test_an_unreachable_timestamp_authority_or_an_expired_certificate_refuses_issuing(signed, app, login):
    world = signed
    application = world.application("statement_pending")
    data = {"decision": "endorse", "statement": "Befürwortet.", "budget_confirmed": "y"}
    app.config["SIGNING_TSA_URL"] = "http://127.0.0.1:9/tsa"  # nobody listens there
    try:
        response = login("coordinator").post(f"/antraege/{application.id}/aktion/issue_statement", data=data)
    finally:
        app.config["SIGNING_TSA_URL"] = None
    assert response.status_code == 409 and "Zeitstempeldienst" in text_of(response.text)
    db.session.expire_all()
    assert db.session.get(Application, application.id).state == "statement_pending"
    assert statements.latest(application) is None
    files = stored.keys()
    # An expired certificate: refused too, saying what to do.
    db.session.execute(sa.update(SigningCertificate).values(not_after=datetime.now(UTC) - timedelta(days=1)))
    db.session.commit()
    response = login("coordinator").post(f"/antraege/{application.id}/aktion/issue_statement", data=data)
    assert response.status_code == 409 and "abgelaufen" in text_of(response.text)
    assert stored.keys() == files  # no file left behind


# -- verify-statement --------------------------------------------------------------------------------


def _verify(data: bytes) -> tuple[bool, str]:
    """verify-statement on a file holding `data`: (exit status 0, its report)."""
    path = Path(current_app.instance_path) / f"pruefung-{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    path.write_bytes(data)
    try:
        result = current_app.test_cli_runner().invoke(args=["verify-statement", str(path)])
    finally:
        path.unlink()
    return result.exit_code == 0, result.output


def test_verify_statement_tells_the_five_kinds_of_file_apart(signed, test_pki):
    world = signed
    application, statement = _endorsed(world)
    original = statements.stored_bytes(statement)

    # 1. The original: issued here, unchanged, signature intact, the signer, the chain to the roots.
    (status,) = validate(original, test_pki.ca)
    assert status.bottom_line
    ok, report = _verify(original)
    assert ok, report
    for expected in (
        f"Echt und unverändert: Stellungnahme {statement.reference}",
        "Hier ausgestellt: ja. Unverändert: ja.",
        "Signatur: intakt; signiert von CN=Netzwerkkoordination (Test)",
        "Signaturzeit (laut Signatur):",
        "führt zu einer konfigurierten Vertrauenswurzel",
        "Berichtigt: nein.",
    ):
        assert expected in report, (expected, report)

    # 2. One byte changed (in the title, inside what the signature covers): the signature breaks.
    position = original.index(b"(Stellungnahme ") + 5
    changed = original[:position] + bytes([original[position] ^ 0x01]) + original[position + 1 :]
    assert len(changed) == len(original)
    (status,) = validate(changed, test_pki.ca)
    assert not status.intact and not status.bottom_line
    ok, report = _verify(changed)
    assert not ok and "NICHT unverändert" in report and "BESCHÄDIGT" in report, report
    assert statement.reference in report  # the administrator learns what it pretends to be

    # 3. The signature stripped: the file as rendered, before its signature.
    stripped = first_revision(original)
    assert validate(stripped, test_pki.ca) == []
    ok, report = _verify(stripped)
    assert not ok and "NICHT unverändert" in report and "Signatur: keine" in report, report

    # 4. A copy re-signed with another certificate: intact, but a stranger's, chaining to nothing here.
    resigned = sign_with(stripped, test_pki.foreign, chain=(test_pki.foreign_ca,))
    (status,) = validate(resigned, test_pki.ca)
    assert status.intact and not status.trusted and not status.bottom_line
    (status,) = validate(resigned, test_pki.foreign_ca)
    assert status.bottom_line  # a perfectly good signature, just not this alliance's
    ok, report = _verify(resigned)
    assert (
        not ok and "signiert von CN=Fälscher" in report and "KEINER konfigurierten Vertrauenswurzel" in report
    )

    # 5. An unsigned statement of this instance (issued without a certificate): genuine, unsigned.
    signing.remove(world.alliance, world.user("coordinator"))
    corrected = statements.correct(application, world.user("coordinator"), CORRECTION)
    unsigned = statements.stored_bytes(corrected)
    assert validate(unsigned, test_pki.ca) == []
    ok, report = _verify(unsigned)
    assert ok and f"Echt und unverändert: Stellungnahme {corrected.reference}" in report
    assert "Signatur: keine" in report

    # The original says now that it was corrected since; a second signature added on top of it
    # is a change after signing, and the file still contains the original.
    ok, report = _verify(original)
    assert ok and f"Berichtigt: ja, sie wurde durch {corrected.reference} berichtigt" in report
    countersigned = sign_with(original, test_pki.foreign, chain=(test_pki.foreign_ca,))
    first, second = validate(countersigned, test_pki.ca)
    assert first.intact and first.trusted and first.coverage.name == "ENTIRE_REVISION"
    ok, report = _verify(countersigned)
    assert (
        not ok
        and "wurde danach aber verändert" in report
        and "Signatur 2: intakt; signiert von CN=Fälscher" in report
    )


def test_verify_statement_checks_letters_too(signed, test_pki):
    application = signed.application("sketch_assessment")
    fire(application, "decline_sketch", signed.user("coordinator"), {"reason": "Kein Bezug zur Strategie."})
    letter = letters.latest(application)
    ok, report = _verify(letters.stored_bytes(letter))
    assert ok and f"Schreiben zur Ersteinschätzung {letter.reference}" in report and "intakt" in report
    assert letter.decision == "decline_sketch" and letter.reference == f"{application.reference}/E1"


# -- the expiry warning ------------------------------------------------------------------------------


def test_thirty_days_before_expiry_the_coordination_is_warned_on_the_start_page_and_in_the_digest(
    world, login, smtp, test_pki
):
    coordinator = world.user("coordinator")
    signing.install(world.alliance, coordinator, test_pki.container(test_pki.short_lived(60)), PASSWORD)
    assert "Signaturzertifikat" not in text_of(login("coordinator").get("/start").text)
    morning = datetime.now(UTC).replace(hour=6, minute=30)  # 07:30 or 08:30 in Berlin: the digest's hour
    assert reminders.send_digests(now=morning) == 0  # nothing due, certificate far from expiry

    signing.install(world.alliance, coordinator, test_pki.container(test_pki.short_lived(12)), PASSWORD)
    start = text_of(login("coordinator").get("/start").text)
    assert "Das Signaturzertifikat des Bündnisses läuft am" in start and "in 11 Tagen" in start
    assert "Signaturzertifikat" not in text_of(login("partner-ihk").get("/start").text)
    settings = text_of(login("coordinator").get("/einstellungen").text)
    assert "läuft in weniger als 30 Tagen ab" in settings
    assert reminders.send_digests(now=morning) == 1
    (mail,) = smtp.to(coordinator.email)
    assert "Signaturzertifikat" in mail["Subject"] and "läuft am" in mail.get_content()
    assert reminders.send_digests(now=morning) == 0  # once a day


def test_backup_keeps_the_issued_files_and_the_encrypted_key(signed, app, tmp_path):
    application, statement = _endorsed(signed)
    letter = letters.latest(application)
    archive = tmp_path / "sicherung.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    import tarfile

    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        rows = tar.extractfile("tables/signing_certificates.jsonl").read()
    assert {f"documents/{statement.storage_key}", f"documents/{letter.storage_key}"} <= names
    assert b"PRIVATE KEY" not in rows and json.loads(rows)["encrypted_key"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 1
