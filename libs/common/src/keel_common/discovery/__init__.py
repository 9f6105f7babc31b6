"""Service discovery: where the healthy instances of a service are.

``create_discovery(settings)`` picks the adapter named by ``DISCOVERY``: ``static`` reads
``STATIC_SERVICES``, ``consul`` talks to the agent at ``CONSUL_HTTP_ADDR``. Services register
themselves at start-up (``register``) and withdraw on shutdown (``deregister``); gRPC clients
resolve through ``keel_common.grpc.channel_for``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from keel_common.discovery.consul_discovery import ConsulDiscovery, consul_client
from keel_common.discovery.port import Discovery, DiscoveryError, ServiceRegistration
from keel_common.discovery.static import FakeDiscovery, StaticDiscovery, parse_static_services


class DiscoverySettings(Protocol):
    """The fields of ``ServiceSettings`` that choose and configure discovery."""

    @property
    def discovery(self) -> str: ...
    @property
    def static_services(self) -> str | Mapping[str, str] | Mapping[str, Sequence[str]]: ...
    @property
    def consul_http_addr(self) -> str: ...


def create_discovery(settings: DiscoverySettings) -> Discovery:
    """The adapter ``settings.discovery`` names (``static`` or ``consul``)."""
    kind = settings.discovery.strip().lower()
    if kind == "static":
        return StaticDiscovery(settings.static_services)
    if kind == "consul":
        token = getattr(settings, "consul_http_token", None)
        secret = token.get_secret_value() if token is not None else None
        return ConsulDiscovery(consul_client(settings.consul_http_addr, token=secret))
    raise ValueError(f"DISCOVERY must be 'static' or 'consul', not {settings.discovery!r}")


__all__ = [
    "ConsulDiscovery",
    "Discovery",
    "DiscoveryError",
    "DiscoverySettings",
    "FakeDiscovery",
    "ServiceRegistration",
    "StaticDiscovery",
    "consul_client",
    "create_discovery",
    "parse_static_services",
]
