"""Is a document genuine? For `verify-statement` (the administrator) and the public authenticity
page (anyone, no login): is the file a statement or letter issued here, unchanged; is it signed,
is the signature intact, by whom, when, does the certificate chain to the configured trust roots;
was it corrected since.

The signatures are judged by pyHanko's validator against the trust roots of the configuration,
never by what the app stored about them, and without fetching anything (no revocation lookups, no
certificates named in an uploaded file): a stranger's upload cannot make the server reach out.

The public answer says only what the document itself prints (kind, reference, date, alliance,
decision, signer) and whether a later correction replaces it; nothing about ballots, comments or
people, and a file or code that matches nothing gets one answer, whatever exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime
from workflow.models import AuthenticityCheck, Letter, Statement
from workflow.models.types import utcnow
from workflow.services import documents, letters, signing, statements
from workflow.services.errors import DomainError, NotFound, RuleViolation

MAX_SIGNATURES = 5  # a file with more is judged by its first five


class TooManyChecks(DomainError):
    status = 429


# -- trust roots ------------------------------------------------------------------------------------


def trust_root_paths() -> list[Path]:
    configured = current_app.config.get("SIGNING_TRUST_ROOTS")
    if not configured:
        return [Path(current_app.instance_path) / "trust-roots"]
    if isinstance(configured, str):
        configured = [p for p in configured.split(":") if p]
    return [Path(p) for p in configured]


def trust_root_folder() -> Path:
    """Where the demo puts its CA: the default folder (instance/trust-roots)."""
    return Path(current_app.instance_path) / "trust-roots"


def _certificates_in(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return list(x509.load_pem_x509_certificates(data))
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        current_app.logger.warning("trust roots: %s holds no certificate, ignored", path)
        return []


def trust_roots() -> list:
    """The configured trust roots as asn1crypto certificates (pyHanko's kind)."""
    from asn1crypto import x509 as asn1_x509

    roots = []
    for path in trust_root_paths():
        files = (
            sorted(p for p in path.iterdir() if p.is_file())
            if path.is_dir()
            else [path]
            if path.is_file()
            else []
        )
        for file in files:
            for certificate in _certificates_in(file):
                roots.append(asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)))
    return roots


# -- signatures, judged by pyHanko ------------------------------------------------------------------


@dataclass
class SignatureCheck:
    intact: bool  # the signed bytes are unchanged and the signature matches them
    trusted: bool  # the certificate chains to a configured trust root
    valid: bool  # pyHanko's bottom line: intact, trusted, timestamp (if any) valid
    signer: str | None = None
    issuer: str | None = None
    signer_fingerprint: str | None = None
    signed_at: datetime | None = None  # as the signer says
    timestamp_at: datetime | None = None  # a timestamp authority's time (PAdES B-T)
    timestamp_trusted: bool = False
    whole_file: bool = False  # nothing was added to the file after this signature
    signed_sha256: str | None = None  # the SHA-256 of the file as it was when signed
    problem: str | None = None


def _subject(certificate) -> tuple[str, str, str]:
    parsed = x509.load_der_x509_certificate(certificate.dump())
    return (
        signing.name_text(parsed.subject),
        signing.name_text(parsed.issuer),
        signing.fingerprint(parsed),
    )


def check_signatures(data: bytes) -> list[SignatureCheck]:
    """Every signature of the PDF, validated by pyHanko against the trust roots (nothing fetched)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_regular_signatures)[:MAX_SIGNATURES]
    except Exception:  # noqa: BLE001 - a file pyHanko cannot read has no signature we can judge
        return []
    roots = trust_roots()
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    found = []
    for signature in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        check = SignatureCheck(intact=False, trusted=False, valid=False)
        try:
            byte_range = [int(n) for n in signature.byte_range]
            end = byte_range[2] + byte_range[3]
            check.signed_sha256 = hashlib.sha256(data[:end]).hexdigest()
            status = signing.outside_event_loop(
                lambda signature=signature, context=context: validate_pdf_signature(
                    signature,
                    signer_validation_context=context,
                    ts_validation_context=context,
                    key_usage_settings=usage,
                    # What was changed after a signature is not judged object by object here:
                    # a file that is not byte for byte ours is not confirmed anyway, and reading
                    # every revision of a stranger's file would only be work for the server.
                    skip_diff=True,
                )
            )
            check.intact = bool(status.intact and status.valid)
            check.trusted = bool(status.trusted)
            check.valid = bool(status.bottom_line)
            check.signer, check.issuer, check.signer_fingerprint = _subject(status.signing_cert)
            check.signed_at = status.signer_reported_dt
            if status.timestamp_validity is not None:
                check.timestamp_at = status.timestamp_validity.timestamp
                check.timestamp_trusted = bool(status.timestamp_validity.trusted)
            check.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        except Exception as error:  # noqa: BLE001 - a broken signature is a finding, not a failure
            check.problem = type(error).__name__
            with contextlib.suppress(Exception):  # no readable certificate either
                check.signer, check.issuer, check.signer_fingerprint = _subject(signature.signer_cert)
        found.append(check)
    return found


# -- what a file is ----------------------------------------------------------------------------------


@dataclass
class Finding:
    sha256: str
    document: Statement | Letter | None = None  # the issued document the file is or contains
    unchanged: bool = False  # the file is byte for byte the document as issued
    signatures: list[SignatureCheck] = field(default_factory=list)
    claimed: str | None = None  # the reference its embedded record names (for the administrator)
    claimed_document: Statement | Letter | None = None

    @property
    def kind(self) -> str | None:
        if isinstance(self.document, Statement):
            return "statement"
        if isinstance(self.document, Letter):
            return "letter"
        return None

    @property
    def ours(self) -> SignatureCheck | None:
        """The signature of the issued document (the one whose signed bytes are it)."""
        if self.document is None:
            return None
        return next((s for s in self.signatures if s.signed_sha256 == self.document.sha256), None)

    @property
    def successor(self) -> Statement | None:
        if not isinstance(self.document, Statement):
            return None
        return db.session.scalar(sa.select(Statement).where(Statement.replaces_id == self.document.id))


def _issued_with_hash(digest: str) -> Statement | Letter | None:
    return db.session.scalar(sa.select(Statement).where(Statement.sha256 == digest)) or db.session.scalar(
        sa.select(Letter).where(Letter.sha256 == digest)
    )


def _claimed_reference(data: bytes) -> str | None:
    # Any unreadable file (or record) simply claims nothing.
    with contextlib.suppress(Exception):
        files = PdfReader(io.BytesIO(data), strict=False).attachments
        for name, section in ((statements.RECORD_NAME, "statement"), (letters.RECORD_NAME, "letter")):
            if name in files:
                record = json.loads(files[name][0])
                return str(record[section]["reference"])[:48]
    return None


def examine(data: bytes) -> Finding:
    """What the file is: issued here (or contains what was issued here), unchanged, its signatures."""
    digest = hashlib.sha256(data).hexdigest()
    finding = Finding(sha256=digest, signatures=check_signatures(data))
    document = _issued_with_hash(digest)
    if document is not None:
        finding.document, finding.unchanged = document, True
        return finding
    # Something added after a signature (an annotation, a second signature): the bytes the first
    # signature covers may be exactly a document issued here.
    for check in finding.signatures:
        if check.signed_sha256 and (document := _issued_with_hash(check.signed_sha256)) is not None:
            finding.document = document
            return finding
    finding.claimed = _claimed_reference(data)
    if finding.claimed:
        finding.claimed_document = db.session.scalar(
            sa.select(Statement).where(Statement.reference == finding.claimed)
        ) or db.session.scalar(sa.select(Letter).where(Letter.reference == finding.claimed))
    return finding


def look_up(reference: str, code: str) -> Finding:
    """The document with this reference and check code (NotFound otherwise, the same for both)."""
    reference = " ".join((reference or "").split()).upper()[:48]
    wanted = signing.code_hash(code)
    document = db.session.scalar(
        sa.select(Statement).where(Statement.reference == reference)
    ) or db.session.scalar(sa.select(Letter).where(Letter.reference == reference))
    if (
        document is None
        or not document.check_code_hash
        or not hmac.compare_digest(document.check_code_hash, wanted)
    ):
        raise NotFound(
            _l(
                "Zu diesem Aktenzeichen und Prüfcode gibt es hier kein ausgestelltes Dokument. Bitte "
                "prüfen Sie beide Angaben (der Prüfcode steht neben dem QR-Code des Dokuments)."
            )
        )
    data = (statements.stored_bytes if isinstance(document, Statement) else letters.stored_bytes)(document)
    return Finding(
        sha256=document.sha256, document=document, unchanged=True, signatures=check_signatures(data)
    )


# -- the answers ------------------------------------------------------------------------------------


def _kind(document: Statement | Letter) -> str:
    if isinstance(document, Statement):
        return "Stellungnahme des Bündnisses"
    return "Schreiben zur Ersteinschätzung einer Projektskizze"


def _alliance_name(document: Statement | Letter) -> str:
    from workflow.models import Alliance

    return db.session.get(Alliance, document.alliance_id).name


def _signature_text(check: SignatureCheck | None) -> dict:
    if check is None:
        return {"signed": False}
    return {
        "signed": True,
        "intact": check.intact,
        "trusted": check.trusted,
        "signer": check.signer,
        "issuer": check.issuer,
        "signed_at": local_datetime(check.timestamp_at or check.signed_at),
        "timestamped": check.timestamp_at is not None and check.timestamp_trusted,
    }


def public_answer(finding: Finding) -> dict:
    """What the authenticity page says: plain data, only what the document prints itself."""
    document = finding.document
    if document is None:
        # Not ours: said the same way whatever exists; the file's own signature may still be told.
        first = finding.signatures[0] if finding.signatures else None
        return {"verdict": "unknown", "sha256": finding.sha256, "file_signature": _signature_text(first)}
    ours = finding.ours
    answer = {
        "verdict": "genuine" if finding.unchanged and (ours is None or ours.intact) else "changed",
        "sha256": finding.sha256,
        "kind": _kind(document),
        "reference": document.reference,
        "date": local_date(document.issued_at),
        "alliance": _alliance_name(document),
        "decision": document.decision_label,
        "signature": _signature_text(ours) if document.signed_by else {"signed": False},
        "issued_sha256": document.sha256,
        "replaced_by": None,
    }
    successor = finding.successor
    if successor is not None:
        answer["replaced_by"] = {"reference": successor.reference, "date": local_date(successor.issued_at)}
    return answer


def report(finding: Finding) -> tuple[bool, str]:
    """verify-statement's report (the administrator's: it may name what the file pretends to be)."""
    lines = []
    document = finding.document
    ours = finding.ours
    if document is not None:
        kind = "Stellungnahme" if finding.kind == "statement" else "Schreiben zur Ersteinschätzung"
        what = f"{kind} {document.reference} ({document.decision_label}), ausgestellt am {local_datetime(document.issued_at)} von dieser Instanz"
        if finding.unchanged:
            lines.append(f"Echt und unverändert: {what}.")
        else:
            lines.append(
                f"NICHT unverändert: Die Datei enthält die {what}, wurde danach aber verändert (nachträglich ergänzt)."
            )
        lines.append(f"Hier ausgestellt: ja. Unverändert: {'ja' if finding.unchanged else 'nein'}.")
    elif finding.claimed_document is not None:
        lines.append(
            f"NICHT unverändert: Die Datei gibt sich als {finding.claimed} aus, stimmt aber nicht mit der "
            f"ausgestellten Fassung überein (ausgestellt: SHA-256 {finding.claimed_document.sha256})."
        )
        lines.append("Hier ausgestellt: nein (nicht in dieser Form). Unverändert: nein.")
    else:
        lines.append(
            "Keine von dieser Instanz ausgestellte Stellungnahme und kein hier ausgestelltes Schreiben."
        )
        lines.append("Hier ausgestellt: nein.")
    lines.append(f"SHA-256 der Datei: {finding.sha256}")
    if not finding.signatures:
        lines.append("Signatur: keine (die Datei ist nicht elektronisch signiert).")
    for number, check in enumerate(finding.signatures, start=1):
        label = "Signatur" if len(finding.signatures) == 1 else f"Signatur {number}"
        state = "intakt" if check.intact else "BESCHÄDIGT oder ungültig"
        lines.append(f"{label}: {state}; signiert von {check.signer or 'unbekannt'}.")
        if check.signed_at or check.timestamp_at:
            when = local_datetime(check.signed_at) if check.signed_at else "—"
            lines.append(f"  Signaturzeit (laut Signatur): {when}")
        if check.timestamp_at:
            trusted = "vertrauenswürdig" if check.timestamp_trusted else "NICHT vertrauenswürdig"
            lines.append(f"  Zeitstempel: {local_datetime(check.timestamp_at)} ({trusted})")
        chain = (
            "führt zu einer konfigurierten Vertrauenswurzel"
            if check.trusted
            else "führt zu KEINER konfigurierten Vertrauenswurzel"
        )
        lines.append(f"  Zertifikatskette: {chain} (Aussteller {check.issuer or 'unbekannt'}).")
        if not check.whole_file:
            lines.append("  Nach dieser Signatur wurde die Datei noch verändert.")
    if document is not None and document.signed_by and ours is None:
        lines.append("Die Signatur dieser Instanz fehlt in der Datei.")
    successor = finding.successor
    if isinstance(document, Statement):
        lines.append(
            f"Berichtigt: ja, sie wurde durch {successor.reference} berichtigt (am {local_date(successor.issued_at)})."
            if successor
            else "Berichtigt: nein."
        )
    ok = document is not None and finding.unchanged and (ours.intact if ours else not document.signed_by)
    return ok, "\n".join(lines)


def verify_file(path: Path) -> tuple[bool, str]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return False, f"Die Datei kann nicht gelesen werden: {error.strerror}."
    return report(examine(data))


# -- the public page's uploads and throttle -----------------------------------------------------------


def check_upload(stream, address: str | None) -> Finding:
    """An uploaded file: throttled, size-limited while read, checked by its content (a readable,
    unencrypted PDF that is no bomb), never stored."""
    throttle(address)
    limit = current_app.config["AUTHENTICITY_MAX_BYTES"]
    upload = documents.inspect(stream, (documents.PDF,), max_bytes=limit)
    return examine(upload.data)


def check_code(reference: str, code: str, address: str | None) -> Finding:
    throttle(address)
    if not (reference or "").strip() or not signing.normalise_code(code):
        raise RuleViolation(_l("Bitte geben Sie das Aktenzeichen und den Prüfcode ein."), field="code")
    return look_up(reference, code)


def throttle(address: str | None) -> None:
    """Count the check; refuse (429) an address that checked too often in the window."""
    config = current_app.config
    now = utcnow()
    since = now - timedelta(minutes=config["AUTHENTICITY_THROTTLE_MINUTES"])
    key = (address or "unbekannt")[:100]
    db.session.execute(sa.delete(AuthenticityCheck).where(AuthenticityCheck.at < since))
    done = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuthenticityCheck).where(AuthenticityCheck.address == key)
    )
    if done >= config["AUTHENTICITY_CHECKS_PER_ADDRESS"]:
        db.session.commit()
        raise TooManyChecks(
            f"Von Ihrer Adresse kamen in den letzten {config['AUTHENTICITY_THROTTLE_MINUTES']} Minuten "
            "zu viele Prüfungen. Bitte versuchen Sie es später noch einmal."
        )
    db.session.add(AuthenticityCheck(address=key, at=now))
    db.session.commit()
