"""Discovery from configuration: ``STATIC_SERVICES`` and an in-memory fake for tests."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from keel_common.discovery.port import Discovery, DiscoveryError, ServiceRegistration


def parse_static_services(spec: str) -> dict[str, list[str]]:
    """``"auth=127.0.0.1:50051,core=h:1,core=h:2"`` -> ``{"auth": [...], "core": [two]}``.

    Repeating a name lists several instances of it. A malformed entry raises ``ValueError``
    naming it, so a typo fails at start-up instead of at the first call.
    """
    services: dict[str, list[str]] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, address = (piece.strip() for piece in entry.partition("="))
        host, colon, port = address.rpartition(":")
        if not (sep and name and host and colon and port.isdigit()):
            raise ValueError(f"STATIC_SERVICES entry {entry!r} is not name=host:port")
        services.setdefault(name, []).append(address)
    return services


class StaticDiscovery(Discovery):
    """Fixed addresses from configuration; registration is a no-op, the KV store is empty."""

    def __init__(self, services: str | Mapping[str, str | Sequence[str]]) -> None:
        """``services``: the ``STATIC_SERVICES`` text, or a name -> address(es) mapping."""
        parsed = parse_static_services(services) if isinstance(services, str) else services
        self._services = {
            name: [addresses] if isinstance(addresses, str) else list(addresses)
            for name, addresses in parsed.items()
        }

    def resolve(self, service: str) -> list[str]:
        try:
            return list(self._services[service])
        except KeyError:
            # An unknown name is a configuration mistake, not an outage: say which one.
            raise DiscoveryError(f"service {service!r} is not in STATIC_SERVICES") from None

    def register(self, registration: ServiceRegistration) -> None:
        """Nothing to do: static addresses come from configuration."""

    def deregister(self, instance_id: str) -> None:
        """Nothing to do: static addresses come from configuration."""

    def kv_get(self, key: str) -> bytes | None:
        return None


class FakeDiscovery(Discovery):
    """An in-memory registry for tests: registrations resolve at once, ``kv`` is a dict.

    ``healthy`` instance ids are the ones ``resolve`` returns; ``register`` marks an instance
    healthy and ``mark_unhealthy`` hides it, like a failing health check would.
    """

    def __init__(self, kv: Mapping[str, bytes] | None = None) -> None:
        self.registrations: dict[str, ServiceRegistration] = {}
        self.healthy: set[str] = set()
        self.kv = dict(kv or {})
        self.resolve_calls = 0
        self._lock = threading.Lock()

    def resolve(self, service: str) -> list[str]:
        with self._lock:
            self.resolve_calls += 1
            return [
                f"{r.address}:{r.port}"
                for r in self.registrations.values()
                if r.name == service and r.id in self.healthy
            ]

    def register(self, registration: ServiceRegistration) -> None:
        with self._lock:
            self.registrations[registration.id] = registration
            self.healthy.add(registration.id)

    def deregister(self, instance_id: str) -> None:
        with self._lock:
            self.registrations.pop(instance_id, None)
            self.healthy.discard(instance_id)

    def mark_unhealthy(self, instance_id: str) -> None:
        with self._lock:
            self.healthy.discard(instance_id)

    def kv_get(self, key: str) -> bytes | None:
        return self.kv.get(key)
