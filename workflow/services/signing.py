"""Electronic signatures (PAdES) of the documents an alliance issues: statements, their corrections
and the assessment letters.

- **The certificate.** Each alliance has at most one signing certificate, installed by its
  coordinator (settings page) or the administrator (`flask --app wsgi signing-certificate install`)
  as PKCS#12 with its password. The upload is checked by its content (a PKCS#12 container whose key
  fits its certificate, valid now, meant for signing) and never stored as it came: the certificate
  is kept in PEM, the private key only encrypted (AES-256-GCM under a key derived with HKDF from the
  configuration's SIGNING_KEY_SECRET, bound to the alliance and the certificate's fingerprint). A
  backup or a database dump therefore holds no usable key; whoever restores one needs the secret.
- **Signing.** The rendered PDF/A-3 gets one incremental update: a visible signature field (who
  signed, when, where to check it) on the box the template kept free, and a CMS signature of the
  ETSI.CAdES.detached kind, PAdES baseline B-B; with SIGNING_TSA_URL a signature timestamp from
  that authority makes it B-T. Everything before the update stays byte for byte, the PDF/A markers
  and the embedded decision record included.
- **Printing.** Every document carries the authenticity page's address, a short check code and a
  QR code of both; the code is stored only as its SHA-256.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import io
import logging
import os
import secrets
import shutil
import subprocess  # nosec B404
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import segno
import sqlalchemy as sa
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from workflow.extensions import db
from workflow.formatting import local_date
from workflow.models import Alliance, SigningCertificate, User
from workflow.models.event import log_event
from workflow.models.types import utcnow
from workflow.rules.deadlines import BERLIN
from workflow.services.errors import DomainError, RuleViolation
from workflow.services.pdf import Box

EXPIRY_WARNING_DAYS = 30
MAX_PKCS12_BYTES = 256 * 1024
FIELD_NAME = "Signatur"
INSTALLED, REMOVED = "signing_certificate_installed", "signing_certificate_removed"
# Room for the CMS signature in the PDF (bytes of DER, written as hex): the certificate chain of a
# real provider and, for B-T, the timestamp token with the authority's chain fit well.
RESERVED_BYTES = {False: 16 * 1024, True: 32 * 1024}
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
CODE_LENGTH = 12
AUTHENTICITY_PATH = "/echtheit"

# fontTools reports every table it drops while subsetting the signature's font.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class SigningUnavailable(DomainError):
    """A certificate is installed but cannot sign now (expired, key unreadable, no timestamp)."""

    status = 409


def outside_event_loop(call):
    """Run `call()` (a synchronous pyHanko call) where it can run: pyHanko's synchronous API wraps
    its asynchronous one in asyncio.run, which refuses to run inside a running event loop (an async
    server, a test driving a browser); there, it runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


# -- the key's protection ---------------------------------------------------------------------------


def _secret() -> bytes:
    """SIGNING_KEY_SECRET, or the one generated into the instance folder on first use."""
    configured = current_app.config.get("SIGNING_KEY_SECRET")
    if configured:
        return configured.encode() if isinstance(configured, str) else bytes(configured)
    path = Path(current_app.instance_path) / "signing_key_secret"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _cipher() -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"antragsweg", info=b"signing-key/v1").derive(
        _secret()
    )
    return AESGCM(key)


def _bound_to(alliance_id: int, fingerprint: str) -> bytes:
    return f"antragsweg-signing-key:{alliance_id}:{fingerprint}".encode()


def encrypt_key(der: bytes, alliance_id: int, fingerprint: str) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(
        nonce + _cipher().encrypt(nonce, der, _bound_to(alliance_id, fingerprint))
    ).decode()


def decrypt_key(stored: str, alliance_id: int, fingerprint: str) -> bytes:
    try:
        blob = base64.b64decode(stored)
        return _cipher().decrypt(blob[:12], blob[12:], _bound_to(alliance_id, fingerprint))
    except (InvalidTag, ValueError) as error:
        raise SigningUnavailable(
            "Der Schlüssel des Signaturzertifikats lässt sich mit dem konfigurierten Geheimnis "
            "(SIGNING_KEY_SECRET) nicht entschlüsseln – etwa nach einer Wiederherstellung auf einem "
            "anderen Server. Bitte installieren Sie das Zertifikat neu oder entfernen Sie es."
        ) from error


# -- reading and installing a certificate ------------------------------------------------------------


def name_text(name: x509.Name) -> str:
    """A certificate name as people read it: CN=…, O=…, C=DE."""
    return name.rfc4514_string()


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class Container:
    """What a checked PKCS#12 upload holds."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _refuse(message: str) -> RuleViolation:
    return RuleViolation(message, field="file")


def read_pkcs12(data: bytes, password: str, now: datetime | None = None) -> Container:
    """Check an uploaded PKCS#12 container by its content. Raises RuleViolation (German)."""
    now = now or utcnow()
    if not data:
        raise _refuse("Die Datei ist leer.")
    if len(data) > MAX_PKCS12_BYTES:
        raise _refuse(f"Die Datei ist größer als {MAX_PKCS12_BYTES // 1024} KB; ein Zertifikat ist kleiner.")
    if data[:1] != b"\x30":  # a DER SEQUENCE, as every PKCS#12 container is
        raise _refuse("Die Datei ist kein PKCS#12-Container (.p12 oder .pfx).")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except (ValueError, TypeError) as error:
        raise _refuse(
            "Die Datei lässt sich nicht öffnen: Sie ist kein lesbarer PKCS#12-Container, oder das "
            "Passwort ist falsch."
        ) from error
    if key is None:
        raise _refuse("Der Container enthält keinen privaten Schlüssel; zum Signieren wird er gebraucht.")
    if certificate is None:
        raise _refuse("Der Container enthält kein Zertifikat zu seinem Schlüssel.")
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise _refuse(f"Der RSA-Schlüssel hat nur {key.key_size} Bit; verlangt sind mindestens 2048.")
    elif not isinstance(key, ec.EllipticCurvePrivateKey):
        raise _refuse("Dieser Schlüsseltyp wird nicht unterstützt (erlaubt: RSA ab 2048 Bit, ECDSA).")
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ) != certificate.public_key().public_bytes(serialization.Encoding.DER, public):
        raise _refuse("Der private Schlüssel passt nicht zum Zertifikat im Container.")
    if certificate.not_valid_before_utc > now:
        raise _refuse(f"Das Zertifikat gilt erst ab dem {local_date(certificate.not_valid_before_utc)}.")
    if certificate.not_valid_after_utc <= now:
        raise _refuse(f"Das Zertifikat ist am {local_date(certificate.not_valid_after_utc)} abgelaufen.")
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            raise _refuse("Das ist das Zertifikat einer Zertifizierungsstelle, kein Signaturzertifikat.")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise _refuse("Das Zertifikat ist nicht zum Signieren bestimmt (Schlüsselverwendung).")
    except x509.ExtensionNotFound:
        pass
    return Container(key, certificate, tuple(chain or ()))


def current(alliance_id: int) -> SigningCertificate | None:
    return db.session.scalar(
        sa.select(SigningCertificate).where(SigningCertificate.alliance_id == alliance_id)
    )


def _event(alliance: Alliance, actor: User | None, kind: str, data: dict) -> None:
    log_event(None, actor, kind, alliance_id=alliance.id, **data)


def _facts(row: SigningCertificate) -> dict:
    return {
        "subject": row.subject,
        "issuer": row.issuer,
        "serial_number": row.serial_number,
        "fingerprint_sha256": row.fingerprint_sha256,
        "not_before": row.not_before,
        "not_after": row.not_after,
    }


def install(alliance: Alliance, actor: User | None, data: bytes, password: str) -> SigningCertificate:
    """Install (or replace) the alliance's signing certificate from a PKCS#12 container."""
    container = read_pkcs12(data, password)
    db.session.refresh(alliance, with_for_update=True)
    try:
        previous = current(alliance.id)
        replaced = previous.fingerprint_sha256 if previous else None
        if previous is not None:
            db.session.delete(previous)  # its key goes with it
            db.session.flush()
        certificate = container.certificate
        print_ = fingerprint(certificate)
        der_key = container.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        row = SigningCertificate(
            alliance_id=alliance.id,
            subject=name_text(certificate.subject)[:500],
            issuer=name_text(certificate.issuer)[:500],
            serial_number=format(certificate.serial_number, "x")[:100],
            fingerprint_sha256=print_,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
            chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in container.chain),
            encrypted_key=encrypt_key(der_key, alliance.id, print_),
            installed_by_id=actor.id if actor else None,
        )
        db.session.add(row)
        _event(alliance, actor, INSTALLED, _facts(row) | {"replaced": replaced})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row


def remove(alliance: Alliance, actor: User | None) -> bool:
    """Remove the alliance's certificate (and its key): documents are issued unsigned from now on."""
    db.session.refresh(alliance, with_for_update=True)
    try:
        row = current(alliance.id)
        if row is None:
            db.session.rollback()
            return False
        _event(alliance, actor, REMOVED, _facts(row))
        db.session.delete(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


# -- what the pages and the digest say ---------------------------------------------------------------


def summary(alliance_id: int, now: datetime | None = None) -> dict | None:
    """The installed certificate as plain data for the settings page, or None."""
    row = current(alliance_id)
    if row is None:
        return None
    now = now or utcnow()
    return {
        "subject": row.subject,
        "issuer": row.issuer,
        "serial_number": row.serial_number,
        "fingerprint": row.fingerprint_sha256,
        "not_before": row.not_before,
        "not_after": row.not_after,
        "installed_at": row.installed_at,
        "installed_by": row.installed_by.name if row.installed_by else "Administration (Befehl)",
        "expired": row.not_after <= now,
        "expiring": now < row.not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS),
        "level": "B-T" if current_app.config.get("SIGNING_TSA_URL") else "B-B",
    }


def expiry_warning(alliance_id: int, now: datetime | None = None) -> LazyString | None:
    """The warning for the coordination when the certificate expires within 30 days (or has),
    written out in the reader's language (a page's, the digest's recipient's)."""
    row = current(alliance_id)
    if row is None:
        return None
    now = now or utcnow()
    until = local_date(row.not_after)
    if row.not_after <= now:
        return _l(
            "Das Signaturzertifikat des Bündnisses ist am %(day)s abgelaufen. Stellungnahmen und "
            "Schreiben können erst wieder ausgestellt werden, wenn Sie unter „Einstellungen“ ein neues "
            "Zertifikat installieren (oder das abgelaufene entfernen, dann unsigniert).",
            day=until,
        )
    days = (row.not_after - now).days
    if row.not_after - now > timedelta(days=EXPIRY_WARNING_DAYS):
        return None
    if days <= 1:
        return _l(
            "Das Signaturzertifikat des Bündnisses läuft am %(day)s ab (morgen). Bitte installieren Sie "
            "rechtzeitig ein neues unter „Einstellungen“, sonst können danach keine Stellungnahmen und "
            "Schreiben mehr ausgestellt werden.",
            day=until,
        )
    return _l(
        "Das Signaturzertifikat des Bündnisses läuft am %(day)s ab (in %(days)s Tagen). Bitte "
        "installieren Sie rechtzeitig ein neues unter „Einstellungen“, sonst können danach keine "
        "Stellungnahmen und Schreiben mehr ausgestellt werden.",
        day=until,
        days=days,
    )


# -- printing the way to check a document -------------------------------------------------------------


def new_check_code() -> str:
    """A short code printed on a document (60 bits), in groups of four: 7KQ2-M9XA-T4RB."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(typed: str) -> str:
    """What was typed, as the code is stored: upper case, without spaces and dashes, with the
    letters people confuse with digits read as those digits."""
    text = "".join((typed or "").split()).replace("-", "").upper()
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def authenticity_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/") + AUTHENTICITY_PATH


def printed_check(reference: str, code: str, signed: bool) -> dict:
    """What a document prints about checking it: the page, the code, a QR code of both."""
    link = authenticity_url() + "?" + urlencode({"aktenzeichen": reference, "pruefcode": code})
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=2, border=2, xmldecl=False, svgns=True)
    return {
        "url": authenticity_url(),
        "link": link,
        "code": code,
        "signed": signed,
        # segno draws the data as path geometry only (no text, script or reference): safe to embed.
        "qr_svg": Markup(out.getvalue().decode()),  # noqa: S704  # nosec B704
    }


# -- signing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """An alliance's certificate, checked and with its key decrypted, ready to sign one document."""

    row_subject: str
    signer: object  # pyhanko SimpleSigner
    office: str  # who signs, as the field says: the alliance's coordination


def prepare(alliance: Alliance, now: datetime | None = None) -> Prepared | None:
    """The alliance's signer, or None without a certificate (documents are then issued unsigned).
    Raises SigningUnavailable when a certificate is installed but cannot sign."""
    from pyhanko.sign.signers.pdf_cms import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    row = current(alliance.id)
    if row is None:
        return None
    now = now or utcnow()
    if row.not_after <= now:
        raise SigningUnavailable(
            f"Das Signaturzertifikat ist am {local_date(row.not_after)} abgelaufen. Bitte installieren "
            "Sie unter „Einstellungen“ ein neues Zertifikat (oder entfernen Sie das abgelaufene, um "
            "unsigniert auszustellen). Es wurde nichts gespeichert."
        )
    key = asn1_keys.PrivateKeyInfo.load(decrypt_key(row.encrypted_key, alliance.id, row.fingerprint_sha256))
    certificate = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(row.certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    )
    chain = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in (x509.load_pem_x509_certificates(row.chain_pem.encode()) if row.chain_pem else [])
    ]
    signer = SimpleSigner(
        signing_cert=certificate,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    return Prepared(row.subject, signer, f"Netzwerkkoordination der {alliance.name}")


@functools.cache
def _font_file(configured: str | None) -> str:
    """The TrueType font of the visible signature: configured, else the documents' own font as
    fontconfig finds it, else a usual place."""
    if configured:
        return configured
    fc_match = shutil.which("fc-match")
    for family in ("Liberation Sans:style=Regular", "DejaVu Sans:style=Book"):
        if fc_match:
            # fontconfig's fc-match, with fixed arguments and no shell.
            found = subprocess.run(  # noqa: S603  # nosec B603
                [fc_match, "-f", "%{file}", family], capture_output=True, text=True, check=False, timeout=10
            ).stdout.strip()
            if found.lower().endswith((".ttf", ".otf")) and Path(found).is_file():
                return found
    for path in (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ):
        if Path(path).is_file():
            return path
    raise SigningUnavailable("Für das Signaturfeld ist keine Schrift installiert (SIGNATURE_FONT).")


# What the visible field may need to write: Latin with its accents, German quotes, dashes, the
# middle dot, the euro sign.
_FIELD_CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x250), *map(ord, "–—‘’‚“”„•…€·")]


@functools.cache
def _font_bytes(path: str) -> bytes:
    """The field's font, cut down to what the field writes and scaled to 1000 units per em:
    pyHanko 0.38 writes a font's glyph widths into the PDF as they are, and PDF reads them in
    thousandths of an em (a font of 2048 units, as Liberation Sans and DejaVu Sans are, would be
    drawn twice as wide)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(path)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_FIELD_CHARACTERS)
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _font_engine(font_size: int):
    """A pyHanko font engine that embeds the field's font (PDF/A wants every font embedded)."""
    from pyhanko.pdf_utils.font.api import FontEngineFactory
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

    data = _font_bytes(_font_file(current_app.config.get("SIGNATURE_FONT")))

    class EmbeddedFont(FontEngineFactory):
        def create_font_engine(self, writer, obj_stream=None):
            if obj_stream is None and writer.stream_xrefs:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(
                writer=writer, font_handle=io.BytesIO(data), font_size=font_size, obj_stream=obj_stream
            )

    return EmbeddedFont()


FIELD_FONT_SIZE = 8


def _stamp_style():
    """The visible field's look: the signing time in Berlin time, an embedded font (PDF/A), no logo."""
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    class BerlinTimeStampStyle(TextStampStyle):
        # pyHanko writes the signing time into `ts` with timestamp_format; it is read back here and
        # shown as the app shows every time: local, with the date.
        def create_stamp(self, writer, box, text_params):
            moment = datetime.strptime(text_params["ts"], self.timestamp_format).astimezone(BERLIN)
            text_params = {**text_params, "ts": f"{moment:%d.%m.%Y} um {moment:%H:%M} Uhr"}
            return super().create_stamp(writer, box, text_params)

    return BerlinTimeStampStyle(
        stamp_text=(
            "Elektronisch signiert von der\n%(office)s\nam %(ts)s\n"
            "Echtheit prüfen: %(url)s\nAktenzeichen %(reference)s · Prüfcode %(code)s"
        ),
        timestamp_format="%Y-%m-%dT%H:%M:%S%z",
        # The engine's size and the box's must be the same, or every further line drifts right.
        text_box_style=TextBoxStyle(
            font=_font_engine(FIELD_FONT_SIZE), font_size=FIELD_FONT_SIZE, leading=10
        ),
        border_width=1,
        background=None,
    )


def sign(
    data: bytes, prepared: Prepared, box: Box, *, reference: str, code: str, reason: str, place: str
) -> bytes:
    """Sign the rendered PDF as an incremental update with a visible field on `box`."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import VENDOR
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    tsa_url = current_app.config.get("SIGNING_TSA_URL")
    timestamper = (
        RequestsHTTPTimeStamper(tsa_url, timeout=current_app.config["SIGNING_TSA_TIMEOUT"])
        if tsa_url
        else None
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=prepared.office,
        reason=reason,
        location=place or None,
        contact_info=authenticity_url(),
    )
    field_spec = fields.SigFieldSpec(
        sig_field_name=FIELD_NAME,
        on_page=box.page,
        box=(round(box.left), round(box.bottom), round(box.right), round(box.top)),
    )
    params = {"office": prepared.office, "url": authenticity_url(), "reference": reference, "code": code}

    def attempt(reserved: int | None) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        # PDF/A wants the document information and the XMP metadata to agree; pyHanko writes its
        # name as the producer into the XMP, and appends it to the information's: start that from
        # the same name.
        try:
            info = writer.trailer["/Info"]
        except KeyError:
            info = None
        if info is not None:
            copied = generic.DictionaryObject({k: v for k, v in info.items()})
            copied["/Producer"] = generic.TextStringObject(VENDOR)
            writer.set_info(copied)
        signer = signers.PdfSigner(
            meta,
            signer=prepared.signer,
            timestamper=timestamper,
            stamp_style=_stamp_style(),
            new_field_spec=field_spec,
        )
        return outside_event_loop(
            lambda: signer.sign_pdf(writer, bytes_reserved=reserved, appearance_text_params=params)
        ).getvalue()

    try:
        try:
            return attempt(RESERVED_BYTES[timestamper is not None])
        except SigningError as error:
            if "larger than expected" not in str(error):
                raise
            return attempt(None)  # a long chain: let pyHanko measure the room it needs
    except TimestampRequestError as error:
        raise SigningUnavailable(
            "Der Zeitstempeldienst ist nicht erreichbar oder hat keinen gültigen Zeitstempel "
            "geliefert. Es wurde nichts ausgestellt; bitte versuchen Sie es später noch einmal."
        ) from error
