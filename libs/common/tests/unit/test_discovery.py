"""Static discovery, the fake registry and choosing an adapter from settings (no sockets)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from keel_common.discovery import (
    ConsulDiscovery,
    DiscoveryError,
    FakeDiscovery,
    ServiceRegistration,
    StaticDiscovery,
    consul_client,
    create_discovery,
    parse_static_services,
)
from keel_common.settings import ServiceSettings

DEFAULT_STATIC = (
    "auth=127.0.0.1:50051,core=127.0.0.1:50052,notification=127.0.0.1:50053,search=127.0.0.1:50054"
)


@dataclass(frozen=True)
class Settings:
    discovery: str = "static"
    static_services: str = DEFAULT_STATIC
    consul_http_addr: str = "127.0.0.1:8500"


def test_the_default_static_services_parse_to_one_address_each() -> None:
    assert parse_static_services(DEFAULT_STATIC) == {
        "auth": ["127.0.0.1:50051"],
        "core": ["127.0.0.1:50052"],
        "notification": ["127.0.0.1:50053"],
        "search": ["127.0.0.1:50054"],
    }


def test_repeating_a_name_lists_several_instances() -> None:
    spec = " core=10.0.0.1:50051 , core=10.0.0.2:50051,"
    assert parse_static_services(spec) == {"core": ["10.0.0.1:50051", "10.0.0.2:50051"]}


@pytest.mark.parametrize("entry", ["auth", "auth=", "auth=host", "=h:1", "auth=h:port"])
def test_a_malformed_entry_is_rejected_by_name(entry: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(entry))):
        parse_static_services(f"core=h:1,{entry}")


def test_static_discovery_resolves_configured_services_and_rejects_unknown_ones() -> None:
    discovery = StaticDiscovery(DEFAULT_STATIC)

    assert discovery.resolve("search") == ["127.0.0.1:50054"]
    with pytest.raises(DiscoveryError, match="'billing' is not in STATIC_SERVICES"):
        discovery.resolve("billing")


def test_static_discovery_ignores_registration_and_has_an_empty_kv_store() -> None:
    discovery = StaticDiscovery({"auth": ["h:1"]})

    discovery.register(ServiceRegistration("auth", "auth-2", "h", 2))
    discovery.deregister("auth-1")

    assert discovery.resolve("auth") == ["h:1"]
    assert discovery.kv_get("feature/flags") is None


def test_a_registration_knows_an_http_check_from_a_grpc_target() -> None:
    http = ServiceRegistration("auth", "a1", "h", 1, check="http://h:8001/readyz")
    grpc_target = ServiceRegistration("auth", "a1", "h", 1, check="h:50051")
    no_check = ServiceRegistration("auth", "a1", "h", 1)

    assert (http.check_is_http, grpc_target.check_is_http, no_check.check_is_http) == (
        True,
        False,
        False,
    )


def test_a_grpc_registration_is_checked_through_the_health_service() -> None:
    settings = ServiceSettings(service_name="core", grpc_port=50052)

    registration = ServiceRegistration.for_grpc("core", settings, address="10.1.2.3")

    assert (registration.name, registration.address, registration.port) == (
        "core",
        "10.1.2.3",
        50052,
    )
    assert registration.check == "10.1.2.3:50052" and not registration.check_is_http
    assert registration.id.startswith("core-") and registration.id.endswith("-50052")


def test_with_mtls_the_registry_checks_the_plaintext_health_port() -> None:
    # Consul's agent holds no client certificate: it asks the health-only port.
    settings = ServiceSettings(service_name="core", grpc_port=50051, grpc_health_port=50052)

    registration = ServiceRegistration.for_grpc("core", settings, address="10.1.2.3")

    assert registration.port == 50051
    assert registration.check == "10.1.2.3:50052"


def test_a_grpc_registration_prefers_the_advertised_address() -> None:
    @dataclass(frozen=True)
    class Advertised:
        grpc_port: int = 50051
        advertise_address: str = "auth.internal"

    assert ServiceRegistration.for_grpc("auth", Advertised()).address == "auth.internal"


def test_fake_discovery_resolves_healthy_registrations_only() -> None:
    discovery = FakeDiscovery(kv={"k": b"v"})
    discovery.register(ServiceRegistration("core", "core-1", "10.0.0.1", 50051))
    discovery.register(ServiceRegistration("core", "core-2", "10.0.0.2", 50051))
    discovery.register(ServiceRegistration("auth", "auth-1", "10.0.0.3", 50051))

    discovery.mark_unhealthy("core-2")
    assert discovery.resolve("core") == ["10.0.0.1:50051"]
    discovery.deregister("core-1")
    assert discovery.resolve("core") == []
    assert discovery.kv_get("k") == b"v"


def test_create_discovery_reads_the_service_settings() -> None:
    settings = ServiceSettings(service_name="core", discovery="static")

    assert create_discovery(settings).resolve("auth") == ["127.0.0.1:50051"]


def test_create_discovery_picks_the_adapter_discovery_names() -> None:
    static = create_discovery(Settings(discovery="static"))
    consul = create_discovery(Settings(discovery=" Consul "))

    assert isinstance(static, StaticDiscovery)
    assert static.resolve("core") == ["127.0.0.1:50052"]
    assert isinstance(consul, ConsulDiscovery)
    with pytest.raises(ValueError, match="'static' or 'consul', not 'dns'"):
        create_discovery(Settings(discovery="dns"))


@pytest.mark.parametrize(
    ("addr", "base_uri"),
    [
        ("127.0.0.1:8500", "http://127.0.0.1:8500"),
        ("consul.internal", "http://consul.internal:8500"),
        ("https://consul.internal:8501", "https://consul.internal:8501"),
    ],
)
def test_consul_http_addr_forms(addr: str, base_uri: str) -> None:
    assert consul_client(addr).http.base_uri == base_uri


def test_an_empty_consul_http_addr_fails_fast() -> None:
    with pytest.raises(ValueError, match="CONSUL_HTTP_ADDR"):
        consul_client("")


def test_consul_discovery_presents_the_service_acl_token(monkeypatch) -> None:
    from pydantic import SecretStr

    from keel_common.discovery import create_discovery

    monkeypatch.delenv("CONSUL_HTTP_TOKEN", raising=False)

    class Settings:
        discovery = "consul"
        static_services = ""
        consul_http_addr = "127.0.0.1:8500"
        consul_http_token = SecretStr("core-token")

    discovery = create_discovery(Settings())

    # py-consul sends it as X-Consul-Token on every request to the agent.
    assert discovery._client.token == "core-token"  # type: ignore[attr-defined]
