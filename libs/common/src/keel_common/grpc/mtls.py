"""Mutual TLS between Keel services: who is calling is what its certificate says.

Every service holds a certificate signed by the platform's CA (cert-manager in Kubernetes,
``keel_common.testing.certificates`` in tests) naming it twice: the SAN URI
``spiffe://keel/<service>`` (its identity as a caller) and the DNS name ``<service>`` (what
its clients verify, whatever address discovery gave them). Servers require a client
certificate from the same CA; ``keel_common.grpc.access`` then checks the caller's identity
against the method's allowlist.

Development (``ENVIRONMENT=development``, what ``make run`` uses) may run plaintext, bound to
loopback by ``.env.dev``; every other environment refuses to start without the three files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from keel_common.settings import ConfigError

TRUST_DOMAIN = "keel"
SPIFFE_PREFIX = f"spiffe://{TRUST_DOMAIN}/"
PLAINTEXT_ENVIRONMENTS = frozenset({"development"})
TLS_FIELDS = ("grpc_tls_cert_file", "grpc_tls_key_file", "grpc_tls_ca_file")


def spiffe_id(service: str) -> str:
    """The SAN URI that names ``service`` as a caller."""
    return f"{SPIFFE_PREFIX}{service}"


@dataclass(frozen=True)
class MutualTls:
    """This process's certificate chain and key, and the CA every peer's certificate must
    chain to (PEM bytes)."""

    certificate: bytes
    private_key: bytes
    ca: bytes

    @classmethod
    def from_files(cls, cert_file: str, key_file: str, ca_file: str) -> MutualTls:
        return cls(
            certificate=Path(cert_file).read_bytes(),
            private_key=Path(key_file).read_bytes(),
            ca=Path(ca_file).read_bytes(),
        )

    def server_credentials(self) -> grpc.ServerCredentials:
        """TLS that refuses any client without a certificate from ``ca``."""
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate)],
            root_certificates=self.ca,
            require_client_auth=True,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """TLS that presents this process's certificate and trusts only ``ca``."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca,
            private_key=self.private_key,
            certificate_chain=self.certificate,
        )


def channel_options(service: str) -> list[tuple[str, Any]]:
    """Verify the server as ``service`` (its certificate's DNS name), not as the address:
    discovery hands out pod IPs, which no certificate names."""
    return [("grpc.ssl_target_name_override", service)]


def mutual_tls(settings: Any) -> MutualTls | None:
    """The process's mTLS material from ``GRPC_TLS_{CERT,KEY,CA}_FILE``, or None (plaintext)
    in development when none is set. Raises ``ConfigError`` for a partial set, or for none
    outside development: production never talks to another service in the clear."""
    paths = {name: getattr(settings, name, "") or "" for name in TLS_FIELDS}
    missing = [name.upper() for name, path in paths.items() if not path]
    if not missing:
        return MutualTls.from_files(*paths.values())
    environment = getattr(settings, "environment", "development")
    if len(missing) == len(TLS_FIELDS) and environment in PLAINTEXT_ENVIRONMENTS:
        return None
    reason = f"required for gRPC mTLS (ENVIRONMENT={environment})"
    raise ConfigError({name: reason for name in missing})


def peer_identity(context: grpc.ServicerContext) -> str | None:
    """The calling service named by its verified certificate: the ``spiffe://keel/<name>``
    SAN URI, else the common name. None on a plaintext call."""
    auth = context.auth_context()
    for raw in auth.get("x509_subject_alternative_name", []):
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        if name.startswith(SPIFFE_PREFIX) and "/" not in name[len(SPIFFE_PREFIX) :]:
            return name[len(SPIFFE_PREFIX) :] or None
    for raw in auth.get("x509_common_name", []):
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    return None
