"""Certificates made with `cryptography`, for the demo (a demo CA and the demo alliance's signing
certificate, both named as demo in their subject) and for the tests (their own CAs, a stranger's
certificate, a timestamp authority). Never for production: a real alliance gets its certificate from
a trust service provider and installs it as PKCS#12."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str, organisation: str, country: str = "DE") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(common_name: str, organisation: str, *, days: int = 3650) -> Issued:
    """A self-signed root CA."""
    key = _key()
    name = _name(common_name, organisation)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(certificate, key)


def issue(
    ca: Issued,
    common_name: str,
    organisation: str,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    timestamping: bool = False,
) -> Issued:
    """A certificate from `ca`: for signing documents, or (timestamping) for a timestamp authority."""
    key = _key()
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def to_pkcs12(
    issued: Issued, password: str, *, chain: tuple[Issued, ...] = (), name: str = "signatur"
) -> bytes:
    """The certificate and its key (and the chain) as a password-protected PKCS#12 container."""
    return pkcs12.serialize_key_and_certificates(
        name.encode(),
        issued.key,
        issued.certificate,
        [c.certificate for c in chain] or None,
        serialization.BestAvailableEncryption(password.encode()),
    )


# The demo certificate's container only, never a production password.
DEMO_PASSWORD = "Demo-Zertifikat"  # noqa: S105  # nosec B105


def demo_certificates(alliance_name: str) -> tuple[Issued, Issued]:
    """The demo CA and the demo alliance's signing certificate (named as demo in both subjects)."""
    ca = make_ca("Antragsweg Demo-CA (nur zur Demonstration)", "Antragsweg DEMO – kein Echtbetrieb")
    # X.509 names hold at most 64 characters per attribute.
    signer = issue(ca, "Netzwerkkoordination (DEMO – kein Echtbetrieb)", f"{alliance_name[:57]} (DEMO)")
    return ca, signer
