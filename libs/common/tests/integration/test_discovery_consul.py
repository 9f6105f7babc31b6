"""ConsulDiscovery against the local Consul agent stand-in, over real HTTP on loopback."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from keel_common.discovery import ConsulDiscovery, DiscoveryError, ServiceRegistration
from keel_common.grpc import create_server
from keel_common.testing import ManualClock
from keel_common.testing.consul_server import ConsulAgentServer


class HealthEndpoint:
    """An HTTP /readyz whose status code the test sets, for the agent's HTTP check."""

    def __init__(self) -> None:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.status = 200
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/readyz"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def agent() -> Iterator[ConsulAgentServer]:
    with ConsulAgentServer() as server:
        yield server


@pytest.fixture
def endpoint() -> Iterator[HealthEndpoint]:
    health = HealthEndpoint()
    yield health
    health.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def discovery(agent: ConsulAgentServer, clock: ManualClock) -> ConsulDiscovery:
    return ConsulDiscovery.from_address(agent.http_addr, cache_seconds=3.0, clock=clock)


def _registration(endpoint: HealthEndpoint, n: int = 1, **changes: Any) -> ServiceRegistration:
    fields = {"tags": ("v1",), "check": endpoint.url, "interval": "10s"} | changes
    return ServiceRegistration("core", f"core-{n}", f"10.0.0.{n}", 50052, **fields)


def test_an_instance_resolves_once_its_check_passes_and_hides_when_it_fails(
    agent: ConsulAgentServer,
    discovery: ConsulDiscovery,
    endpoint: HealthEndpoint,
    clock: ManualClock,
) -> None:
    discovery.register(_registration(endpoint))
    assert discovery.resolve("core") == []  # a new check is critical until it has run

    agent.run_checks()
    clock.now += 5
    assert discovery.resolve("core") == ["10.0.0.1:50052"]

    endpoint.status = 503
    agent.run_checks()
    clock.now += 5
    assert discovery.resolve("core") == []


def test_a_deregistered_instance_is_gone_and_deregistering_twice_is_harmless(
    agent: ConsulAgentServer,
    discovery: ConsulDiscovery,
    endpoint: HealthEndpoint,
    clock: ManualClock,
) -> None:
    for n in (1, 2):
        discovery.register(_registration(endpoint, n))
    agent.run_checks()

    discovery.deregister("core-1")
    discovery.deregister("core-1")

    assert discovery.resolve("core") == ["10.0.0.2:50052"]
    assert "core-1" not in agent.services


def test_answers_are_cached_for_a_few_seconds(
    agent: ConsulAgentServer,
    discovery: ConsulDiscovery,
    endpoint: HealthEndpoint,
    clock: ManualClock,
) -> None:
    discovery.register(_registration(endpoint))
    agent.run_checks()
    assert discovery.resolve("core") == ["10.0.0.1:50052"]

    agent.remove_service("core-1")
    clock.now += 2.9
    assert discovery.resolve("core") == ["10.0.0.1:50052"]
    clock.now += 0.2
    assert discovery.resolve("core") == []


def test_the_last_answer_is_served_while_the_agent_is_down(
    agent: ConsulAgentServer,
    discovery: ConsulDiscovery,
    endpoint: HealthEndpoint,
    clock: ManualClock,
) -> None:
    discovery.register(_registration(endpoint))
    agent.run_checks()
    assert discovery.resolve("core") == ["10.0.0.1:50052"]

    agent.stop()
    clock.now += 60

    assert discovery.resolve("core") == ["10.0.0.1:50052"]
    with pytest.raises(DiscoveryError, match="'search'"):
        discovery.resolve("search")


def test_a_check_critical_longer_than_deregister_after_removes_the_instance(
    agent: ConsulAgentServer, discovery: ConsulDiscovery, endpoint: HealthEndpoint
) -> None:
    endpoint.status = 500
    discovery.register(_registration(endpoint, deregister_after="1ns"))

    agent.run_checks()
    agent.run_checks()

    assert agent.services == {}


def test_kv_get_returns_the_stored_bytes_or_none(
    agent: ConsulAgentServer, discovery: ConsulDiscovery
) -> None:
    stored = requests.put(f"http://{agent.http_addr}/v1/kv/keel/flags", data=b"\x00{}", timeout=5)

    assert stored.json() is True
    assert discovery.kv_get("keel/flags") == b"\x00{}"
    assert discovery.kv_get("keel/missing") is None


def test_the_register_body_has_consuls_shape(
    agent: ConsulAgentServer, discovery: ConsulDiscovery, endpoint: HealthEndpoint
) -> None:
    discovery.register(_registration(endpoint, deregister_after="90s"))

    service = agent.services["core-1"]
    check = agent.checks["service:core-1"]
    assert (service["Service"], service["Address"], service["Port"], service["Tags"]) == (
        "core",
        "10.0.0.1",
        50052,
        ["v1"],
    )
    assert (check.kind, check.target, check.interval, check.deregister_after) == (
        "http",
        endpoint.url,
        10.0,
        90.0,
    )


def test_health_and_kv_answers_have_consuls_shape(
    agent: ConsulAgentServer, discovery: ConsulDiscovery, endpoint: HealthEndpoint
) -> None:
    discovery.register(_registration(endpoint))
    agent.run_checks()
    requests.put(f"http://{agent.http_addr}/v1/kv/k", data=b"hello", timeout=5)

    health = requests.get(f"http://{agent.http_addr}/v1/health/service/core?passing=1", timeout=5)
    kv = requests.get(f"http://{agent.http_addr}/v1/kv/k", timeout=5)

    [entry] = health.json()
    assert int(health.headers["X-Consul-Index"]) > 0
    assert set(entry) == {"Node", "Service", "Checks"}
    assert {"ID", "Service", "Address", "Port", "Tags"} <= set(entry["Service"])
    assert [c["CheckID"] for c in entry["Checks"]] == ["serfHealth", "service:core-1"]
    assert all(c["Status"] == "passing" for c in entry["Checks"])
    [item] = kv.json()
    assert (item["Key"], base64.b64decode(item["Value"])) == ("k", b"hello")
    assert {"Flags", "CreateIndex", "ModifyIndex", "LockIndex"} <= set(item)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "Request decode failed"),
        ({"ID": "x"}, "Missing service name"),
        ({"Name": "core", "Address": "0.0.0.0"}, "Invalid service address"),
        ({"Name": "core", "Port": "50052"}, "ServiceDefinition.Port of type int"),
        ({"Name": "core", "Tags": "v1"}, "ServiceDefinition.Tags of type []string"),
        ({"Name": "core", "Check": {"HTTP": "http://h/", "Interval": "soon"}}, "invalid duration"),
        ({"Name": "core", "Check": {"HTTP": "http://h/"}}, "Interval must be > 0"),
        (
            {"name": "core", "check": {"grpc": "h:1", "interval": "5s", "status": "fine"}},
            "Status for checks must",
        ),
    ],
)
def test_a_malformed_registration_is_rejected_as_consul_does(
    agent: ConsulAgentServer, body: Any, message: str
) -> None:
    url = f"http://{agent.http_addr}/v1/agent/service/register"
    data = body if isinstance(body, str) else None
    answer = requests.put(url, data=data, json=None if data else body, timeout=5)

    assert answer.status_code == 400
    assert message in answer.text
    assert agent.services == {}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/agent/service/register", 405),
        ("PUT", "/v1/agent/service/deregister/nobody", 404),
        ("GET", "/v1/health/service/core?passing=maybe", 400),
        ("GET", "/v1/kv/absent", 404),
        ("GET", "/v1/catalog/services", 404),
    ],
)
def test_wrong_methods_unknown_ids_and_bad_parameters(
    agent: ConsulAgentServer, method: str, path: str, status: int
) -> None:
    answer = requests.request(method, f"http://{agent.http_addr}{path}", timeout=5)

    assert answer.status_code == status


def test_a_grpc_check_asks_the_servers_health_service(
    agent: ConsulAgentServer, discovery: ConsulDiscovery, clock: ManualClock, unique_name: str
) -> None:
    names = ["auth.v1.AuthService"]
    server = create_server(unique_name, 0, lambda s: None, service_names=names, host="127.0.0.1")
    server.start()
    address = f"127.0.0.1:{server.port}"
    try:
        check = f"{address}/auth.v1.AuthService"
        discovery.register(
            ServiceRegistration("auth", "auth-1", "127.0.0.1", server.port, check=check)
        )
        agent.run_checks()
        assert discovery.resolve("auth") == [address]

        server.health.enter_graceful_shutdown()  # what serve() does first on SIGTERM
        agent.run_checks()
        clock.now += 5
        assert discovery.resolve("auth") == []
    finally:
        server.drain(grace=0)
