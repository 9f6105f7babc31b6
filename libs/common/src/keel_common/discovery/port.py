"""The service discovery port: where a service's healthy gRPC instances are, and a KV store.

Two adapters implement it: ``StaticDiscovery`` (addresses from configuration, the default for
``make run``) and ``ConsulDiscovery`` (the Consul agent, ``DISCOVERY=consul``). Tests that
need a registry they can change use ``FakeDiscovery``.
"""

from __future__ import annotations

import abc
import socket
from dataclasses import dataclass
from typing import Any


class DiscoveryError(Exception):
    """The registry could not answer (unreachable, or it does not know the service)."""


@dataclass(frozen=True)
class ServiceRegistration:
    """One instance of a service, as announced to the registry.

    ``check`` is how the registry probes the instance: an ``http://`` or ``https://`` URL
    (healthy on 2xx) or a gRPC target ``host:port`` (the ``grpc.health.v1`` service, which
    ``keel_common.grpc.create_server`` installs). ``interval`` and ``deregister_after`` are
    durations in Consul's syntax (``"10s"``, ``"1m"``).
    """

    name: str
    id: str
    address: str
    port: int
    tags: tuple[str, ...] = ()
    check: str | None = None
    interval: str = "10s"
    deregister_after: str = "1m"

    @classmethod
    def for_grpc(
        cls, service: str, settings: Any, address: str | None = None
    ) -> ServiceRegistration:
        """This process's gRPC server, checked through its ``grpc.health.v1`` service (on
        ``settings.grpc_health_port`` when set: the registry holds no client certificate).

        The address is ``address``, else ``settings.advertise_address`` when the settings
        have one, else what this host's name resolves to (the pod or container IP in
        Kubernetes and Compose).
        """
        host = address or getattr(settings, "advertise_address", None) or _host_address()
        port = int(settings.grpc_port)
        check_port = getattr(settings, "grpc_health_port", None) or port
        return cls(
            name=service,
            id=f"{service}-{socket.gethostname()}-{port}",
            address=host,
            port=port,
            tags=("grpc",),
            check=f"{host}:{check_port}",
        )

    @property
    def check_is_http(self) -> bool:
        return self.check is not None and self.check.startswith(("http://", "https://"))


def _host_address() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:  # no resolvable hostname: only this machine can reach us anyway
        return "127.0.0.1"


class Discovery(abc.ABC):
    """Where the instances of a service are; the gRPC client resolves through it."""

    @abc.abstractmethod
    def resolve(self, service: str) -> list[str]:
        """``"host:port"`` of every healthy instance of ``service`` (empty: none healthy).

        Raises ``DiscoveryError`` when the registry cannot answer.
        """

    @abc.abstractmethod
    def register(self, registration: ServiceRegistration) -> None:
        """Announce an instance (and its health check); registering an id again replaces it."""

    @abc.abstractmethod
    def deregister(self, instance_id: str) -> None:
        """Withdraw an instance; unknown ids are ignored so shutdown can always call it."""

    @abc.abstractmethod
    def kv_get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None`` when there is none."""
