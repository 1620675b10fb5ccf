"""What the signing tests share: certificates made in the test run (a CA whose root the instance
trusts, the alliance's certificate, a stranger's CA and certificate, a timestamp authority), a real
RFC 3161 timestamp authority on loopback (pyHanko's own token issuer behind an HTTP server), and
pyHanko's validator as the judge of a file."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from workflow import pki
from workflow.services import signing

PASSWORD = "Zertifikat-Passwort-1"


def asn1_certificate(issued: pki.Issued):
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(issued.certificate.public_bytes(serialization.Encoding.DER))


def asn1_key(issued: pki.Issued):
    from asn1crypto import keys

    return keys.PrivateKeyInfo.load(
        issued.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


@dataclass
class Pki:
    ca: pki.Issued  # its root is in the instance's trust roots
    alliance: pki.Issued
    foreign_ca: pki.Issued  # trusted by nobody here
    foreign: pki.Issued
    tsa: pki.Issued

    def container(self, issued: pki.Issued | None = None, password: str = PASSWORD) -> bytes:
        issued = issued or self.alliance
        chain = (self.ca,) if issued is not self.foreign else (self.foreign_ca,)
        return pki.to_pkcs12(issued, password, chain=chain)

    def short_lived(self, days: int) -> pki.Issued:
        """A certificate of the test CA that expires in `days` days."""
        return pki.issue(
            self.ca,
            "Netzwerkkoordination (Test, kurz)",
            "Allianz Test",
            not_after=datetime.now(UTC) + timedelta(days=days),
        )


@pytest.fixture(scope="session")
def test_pki(app) -> Pki:
    ca = pki.make_ca("Test-CA Antragsweg", "Antragsweg Testlauf")
    foreign_ca = pki.make_ca("Fremde Zertifizierungsstelle", "Fremd GmbH")
    made = Pki(
        ca=ca,
        alliance=pki.issue(ca, "Netzwerkkoordination (Test)", "Allianz für Fachkräfte Nordostniedersachsen"),
        foreign_ca=foreign_ca,
        foreign=pki.issue(foreign_ca, "Fälscher", "Fremd GmbH"),
        tsa=pki.issue(ca, "Zeitstempeldienst (Test)", "Antragsweg Testlauf", timestamping=True),
    )
    # The instance trusts the test CA (its default trust roots folder, shared with the gunicorn node).
    folder = Path(app.instance_path) / "trust-roots"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test-ca.pem").write_bytes(ca.pem)
    return made


@pytest.fixture
def signed(world, test_pki):
    """The demo alliance with the test certificate installed by its coordinator."""
    signing.install(world.alliance, world.user("coordinator"), test_pki.container(), PASSWORD)
    return world


class _TimestampHandler(BaseHTTPRequestHandler):
    stamper = None
    requests: list = []

    def do_POST(self):  # noqa: N802 - http.server's hook name
        from asn1crypto import tsp

        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).requests.append(body)
        answer = type(self).stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def timestamp_authority(app, test_pki):
    """An RFC 3161 timestamp authority over HTTP on 127.0.0.1 (pyHanko's token issuer, signing with
    the test TSA certificate); the app is configured to use it for the test."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    handler = type("Handler", (_TimestampHandler,), {"requests": []})
    handler.stamper = DummyTimeStamper(
        tsa_cert=asn1_certificate(test_pki.tsa),
        tsa_key=asn1_key(test_pki.tsa),
        certs_to_embed=[asn1_certificate(test_pki.ca)],
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    app.config["SIGNING_TSA_URL"] = url
    try:
        yield handler
    finally:
        app.config["SIGNING_TSA_URL"] = None
        server.shutdown()
        server.server_close()


def validate(data: bytes, *roots: pki.Issued) -> list:
    """pyHanko's verdict on every signature of the file, against `roots` only."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    context = ValidationContext(trust_roots=[asn1_certificate(r) for r in roots], allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})
    # Playwright's browser (session-wide) keeps an event loop running: pyHanko's synchronous calls
    # must then run in a thread of their own, as the app's do.
    return [
        signing.outside_event_loop(
            lambda s=s: validate_pdf_signature(
                s, signer_validation_context=context, ts_validation_context=context, key_usage_settings=usage
            )
        )
        for s in reader.embedded_regular_signatures
    ]


def sign_with(data: bytes, issued: pki.Issued, chain: tuple[pki.Issued, ...] = ()) -> bytes:
    """Sign `data` (incrementally) as someone else would, with pyHanko."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_cms import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = SimpleSigner(
        signing_cert=asn1_certificate(issued),
        signing_key=asn1_key(issued),
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(field_name="Fremd", subfilter=fields.SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signing.outside_event_loop(lambda: signers.sign_pdf(writer, meta, signer=signer)).getvalue()


def first_revision(data: bytes) -> bytes:
    """The file as WeasyPrint wrote it, before the signature's incremental update: the signature
    stripped off."""
    end = data.index(b"%%EOF") + len(b"%%EOF")
    return data[:end] + b"\n"


CODE = re.compile(r"Prüfcode ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


def printed_code(data: bytes) -> str:
    """The check code as the document prints it (read back from its text)."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return CODE.search(text).group(1)
