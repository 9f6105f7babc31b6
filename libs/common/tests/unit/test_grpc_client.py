"""gRPC client side: retry policy from the protos, call defaults, balancing (no sockets)."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import grpc
import pytest

from keel_common import tracing
from keel_common.discovery import DiscoveryError, FakeDiscovery, ServiceRegistration
from keel_common.grpc import (
    CallDefaultsInterceptor,
    NoInstanceError,
    ServiceChannel,
    idempotent_methods,
    service_config,
)
from keel_common.testing import ManualClock
from keel_protos.auth.v1 import auth_pb2
from keel_protos.search.v1 import search_pb2


class Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any = None
    wait_for_ready: Any = None
    compression: Any = None


class FakeChannel:
    """Records the calls made through it, as (address, method, request)."""

    def __init__(self, address: str, calls: list[tuple[str, str, Any]]) -> None:
        self.address, self.calls, self.closed = address, calls, False

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return lambda request, **_: self.calls.append((self.address, method, request))

    unary_stream = stream_unary = stream_stream = unary_unary

    def close(self) -> None:
        self.closed = True


class FailingDiscovery(FakeDiscovery):
    def resolve(self, service: str) -> list[str]:
        raise DiscoveryError("consul is down")


@pytest.fixture
def discovery() -> FakeDiscovery:
    fake = FakeDiscovery()
    for n in (1, 2):
        fake.register(ServiceRegistration("auth", f"auth-{n}", f"10.0.0.{n}", 50051))
    return fake


@pytest.fixture
def opened() -> dict[str, FakeChannel]:
    return {}


@pytest.fixture
def calls() -> list[tuple[str, str, Any]]:
    return []


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(0.0)


@pytest.fixture
def channel(discovery: FakeDiscovery, opened: dict, calls: list, clock: ManualClock) -> Any:
    def open_channel(address: str) -> Any:
        opened[address] = FakeChannel(address, calls)
        return opened[address]

    return ServiceChannel("auth", discovery, open_channel, linger_seconds=60, clock=clock)


def test_methods_the_protos_mark_side_effect_free_or_idempotent_are_retryable() -> None:
    methods = idempotent_methods(auth_pb2.DESCRIPTOR, search_pb2.DESCRIPTOR)

    assert ("auth.v1.AuthService", "GetUser") in methods
    assert ("search.v1.SearchService", "Search") in methods
    assert ("search.v1.SearchService", "Reindex") not in methods  # starts a job per call


def test_the_service_config_retries_exactly_those_methods_on_unavailable() -> None:
    config = json.loads(service_config([("search.v1.SearchService", "Search")]))

    [method_config] = config["methodConfig"]
    assert method_config["name"] == [{"service": "search.v1.SearchService", "method": "Search"}]
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert json.loads(service_config([])) == {"methodConfig": []}


def _intercepted(timeout: float | None, metadata: Any = None) -> Details:
    seen: list[Details] = []
    interceptor = CallDefaultsInterceptor(timeout=2.5)
    interceptor.intercept_unary_unary(
        lambda details, request: seen.append(details), Details("/m", timeout, metadata), "req"
    )
    return seen[0]


def test_every_call_gets_the_default_deadline_unless_it_sets_its_own() -> None:
    assert _intercepted(timeout=None).timeout == 2.5
    assert _intercepted(timeout=0.3).timeout == 0.3


def test_the_current_trace_and_request_id_go_out_as_metadata() -> None:
    hop = tracing.new_trace()

    with tracing.use(hop, "req-7"):
        metadata = dict(_intercepted(None, [("authorization", "Bearer t")]).metadata)

    parent = tracing.parse_traceparent(metadata["traceparent"])
    assert parent is not None and (parent.trace_id, parent.span_id) == (hop.trace_id, hop.span_id)
    assert metadata["x-request-id"] == "req-7"
    assert metadata["authorization"] == "Bearer t"


def test_a_traceparent_the_caller_set_is_kept() -> None:
    metadata = _intercepted(None, [("traceparent", "given")]).metadata

    assert [value for key, value in metadata if key == "traceparent"] == ["given"]


def test_calls_go_round_robin_over_one_channel_per_address(channel, opened, calls) -> None:
    get_user = channel.unary_unary("/auth.v1.AuthService/GetUser")

    for n in range(4):
        get_user(n)

    assert [address for address, _, _ in calls] == ["10.0.0.1:50051", "10.0.0.2:50051"] * 2
    assert sorted(opened) == ["10.0.0.1:50051", "10.0.0.2:50051"]


def test_a_vanished_instance_gets_no_calls_and_its_channel_closes_after_the_linger(
    channel, discovery, opened, calls, clock
) -> None:
    get_user = channel.unary_unary("/auth.v1.AuthService/GetUser")
    get_user(1)
    get_user(2)

    discovery.mark_unhealthy("auth-2")
    get_user(3)
    assert calls[-1][0] == "10.0.0.1:50051"
    assert not opened["10.0.0.2:50051"].closed  # calls already on it may still be running

    clock.now += 60
    get_user(4)
    assert opened["10.0.0.2:50051"].closed


def test_an_instance_that_comes_back_reuses_its_channel(channel, discovery, opened, calls):
    get_user = channel.unary_unary("/auth.v1.AuthService/GetUser")
    get_user(1)
    get_user(2)
    first = opened["10.0.0.2:50051"]

    discovery.mark_unhealthy("auth-2")
    get_user(3)  # the 3rd call: to 10.0.0.1, the only healthy instance
    discovery.healthy.add("auth-2")
    get_user(4)  # the 4th call: index 3 of two instances -> 10.0.0.2

    assert calls[-1][0] == "10.0.0.2:50051"
    assert opened["10.0.0.2:50051"] is first and not first.closed


def test_no_healthy_instance_fails_the_call_as_unavailable(channel, discovery) -> None:
    for n in (1, 2):
        discovery.deregister(f"auth-{n}")

    with pytest.raises(grpc.RpcError) as raised:
        channel.unary_unary("/auth.v1.AuthService/GetUser")(1)

    error: Any = raised.value  # what callers catch: any grpc.RpcError with code()/details()
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert "no healthy instance of auth" in error.details()


def test_a_discovery_outage_fails_the_call_as_unavailable() -> None:
    channel = ServiceChannel("auth", FailingDiscovery(), lambda address: FakeChannel(address, []))

    with pytest.raises(NoInstanceError, match="consul is down") as raised:
        channel.unary_stream("/core.v1.CatalogService/ListProducts")(1)

    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


def test_closing_the_service_channel_closes_every_instance_channel(channel, opened) -> None:
    get_user = channel.unary_unary("/auth.v1.AuthService/GetUser")
    get_user(1)
    get_user(2)

    channel.close()

    assert all(fake.closed for fake in opened.values())
