"""Discovery through a Consul agent (``DISCOVERY=consul``), via py-consul.

``resolve`` asks ``/v1/health/service/<name>?passing=1`` and keeps the answer for a few
seconds, so a busy client does not ask the agent on every call while an instance whose check
fails still drops out quickly. When the agent cannot be reached, the last answer is served
(stale beats none during an agent restart); with no earlier answer, ``DiscoveryError``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import consul
import requests

from keel_common.discovery.port import Discovery, DiscoveryError, ServiceRegistration

log = logging.getLogger(__name__)

DEFAULT_CACHE_SECONDS = 3.0
# A resolve happens on the request path: a slow agent must not hold a caller for long.
AGENT_TIMEOUT_SECONDS = 2.0
_AGENT_ERRORS = (consul.ConsulException, requests.RequestException)


@dataclass(frozen=True)
class _Cached:
    addresses: tuple[str, ...]
    expires_at: float


def consul_client(
    http_addr: str, timeout: float = AGENT_TIMEOUT_SECONDS, token: str | None = None
) -> consul.Consul:
    """A py-consul client for ``CONSUL_HTTP_ADDR`` (``host:port`` or ``http(s)://host:port``)
    that presents ``token`` (the service's ACL token) on every request."""
    parts = urlsplit(http_addr if "//" in http_addr else f"//{http_addr}")
    if not parts.hostname:
        raise ValueError(f"CONSUL_HTTP_ADDR {http_addr!r} is not host:port")
    return consul.Consul(
        host=parts.hostname,
        port=parts.port or 8500,
        scheme=parts.scheme or "http",
        token=token,
        connections_timeout=timeout,
    )


class ConsulDiscovery(Discovery):
    def __init__(
        self,
        client: consul.Consul,
        *,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_address(cls, http_addr: str, **options: Any) -> ConsulDiscovery:
        return cls(consul_client(http_addr), **options)

    def resolve(self, service: str) -> list[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(service)
        if cached is not None and now < cached.expires_at:
            return list(cached.addresses)
        try:
            _, entries = self._client.health.service(service, passing=True)
        except _AGENT_ERRORS as exc:
            if cached is not None:
                log.warning("consul unreachable, serving stale addresses of %s: %s", service, exc)
                return list(cached.addresses)
            raise DiscoveryError(f"consul could not resolve {service!r}: {exc}") from exc
        addresses = tuple(_address(entry) for entry in entries or ())
        with self._lock:
            self._cache[service] = _Cached(addresses, now + self._cache_seconds)
        return list(addresses)

    def register(self, registration: ServiceRegistration) -> None:
        check = None
        if registration.check:
            make = consul.Check.http if registration.check_is_http else consul.Check.grpc
            check = make(
                registration.check,
                registration.interval,
                deregister=registration.deregister_after,
            )
        try:
            self._client.agent.service.register(
                registration.name,
                service_id=registration.id,
                address=registration.address,
                port=registration.port,
                tags=list(registration.tags),
                check=check,
            )
        except _AGENT_ERRORS as exc:
            raise DiscoveryError(f"consul refused to register {registration.id!r}: {exc}") from exc

    def deregister(self, instance_id: str) -> None:
        try:
            self._client.agent.service.deregister(instance_id)
        except _AGENT_ERRORS as exc:
            raise DiscoveryError(f"consul could not deregister {instance_id!r}: {exc}") from exc

    def kv_get(self, key: str) -> bytes | None:
        try:
            _, entry = self._client.kv.get(key)
        except _AGENT_ERRORS as exc:
            raise DiscoveryError(f"consul could not read key {key!r}: {exc}") from exc
        if entry is None:
            return None
        value = entry.get("Value")
        return b"" if value is None else bytes(value)


def _address(entry: dict[str, Any]) -> str:
    service = entry["Service"]
    # An empty service address means "the node's address" in Consul's catalog.
    host = service.get("Address") or entry["Node"]["Address"]
    return f"{host}:{service['Port']}"
