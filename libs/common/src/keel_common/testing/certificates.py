"""A throwaway certificate authority for tests of the gRPC mTLS path.

    ca = TestCertificateAuthority()
    auth = ca.issue("auth")            # SAN URI spiffe://keel/auth, DNS "auth", CN "auth"
    auth.write(tmp_path / "auth")      # tls.crt, tls.key, ca.crt: what cert-manager mounts

It signs certificates the way the chart's cert-manager ``Certificate`` resources ask for them,
so a test exercises the same identity the cluster hands out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from keel_common.grpc.mtls import spiffe_id


@dataclass(frozen=True)
class IssuedCertificate:
    """PEM bytes of one leaf certificate, its key and the CA that signed it."""

    certificate: bytes
    private_key: bytes
    ca: bytes

    def write(self, directory: Path) -> Path:
        """The three files under the names a cert-manager secret mounts (``tls.crt`` ...)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "tls.crt").write_bytes(self.certificate)
        (directory / "tls.key").write_bytes(self.private_key)
        (directory / "ca.crt").write_bytes(self.ca)
        return directory


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class TestCertificateAuthority:
    """A self-signed CA made in memory; ``issue`` signs a service's certificate."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, name: str = "keel test CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        self._certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.pem = self._certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, service: str, *, uri: str | None = None) -> IssuedCertificate:
        """A certificate for ``service`` (client and server use), SAN URI ``uri`` (default:
        its SPIFFE id) and DNS name ``service``, the name clients verify."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        names: list[x509.GeneralName] = [x509.DNSName(service)]
        names.append(x509.UniformResourceIdentifier(uri or spiffe_id(service)))
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, service)]))
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        return IssuedCertificate(
            certificate=certificate.public_bytes(serialization.Encoding.PEM),
            private_key=_pem_key(key),
            ca=self.pem,
        )
