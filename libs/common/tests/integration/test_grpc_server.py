"""A real server from create_server and clients through channel_for, over loopback."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from keel_common import tracing
from keel_common.discovery import StaticDiscovery
from keel_common.grpc import KeelServer, abort_for, bearer_token, channel_for, create_server, serve
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc
from keel_protos.search.v1 import search_pb2, search_pb2_grpc

SERVICE_NAMES = ["auth.v1.AuthService", "search.v1.SearchService"]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_FOUND = {LookupError: grpc.StatusCode.NOT_FOUND}


class Auth(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.seen: list[tuple[Any, ...]] = []
        self.release = threading.Event()

    def GetUser(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.attempts[request.id] += 1
        trace = tracing.current_trace.get()
        self.seen.append((trace, tracing.current_request_id.get(), bearer_token()))
        if request.id == "slow":
            self.release.wait(10)
        if request.id == "flaky" and self.attempts["flaky"] < 3:
            context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
        if request.id == "missing":
            abort_for(
                context, LookupError("no user 'missing'"), {LookupError: grpc.StatusCode.NOT_FOUND}
            )
        return auth_pb2.GetUserResponse(user=auth_pb2.User(id=request.id))


class Search(search_pb2_grpc.SearchServiceServicer):
    def __init__(self) -> None:
        self.reindex_attempts = 0

    def Reindex(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.reindex_attempts += 1
        context.abort(grpc.StatusCode.UNAVAILABLE, "index busy")


def start(service: str, auth: Auth, search: Search) -> KeelServer:
    def register(server: grpc.Server) -> None:
        auth_pb2_grpc.add_AuthServiceServicer_to_server(auth, server)
        search_pb2_grpc.add_SearchServiceServicer_to_server(search, server)

    server = create_server(
        service, 0, register, service_names=SERVICE_NAMES, host="127.0.0.1", max_workers=4
    )
    server.start()
    return server


@pytest.fixture
def auth() -> Auth:
    return Auth()


@pytest.fixture
def search() -> Search:
    return Search()


@pytest.fixture
def server(unique_name: str, auth: Auth, search: Search) -> Iterator[KeelServer]:
    running = start(unique_name, auth, search)
    yield running
    auth.release.set()
    running.drain(grace=0)


@pytest.fixture
def discovery(server: KeelServer) -> StaticDiscovery:
    address = f"127.0.0.1:{server.port}"
    return StaticDiscovery({"auth": address, "search": address})


@pytest.fixture
def users(discovery: StaticDiscovery) -> Iterator[auth_pb2_grpc.AuthServiceStub]:
    channel = channel_for("auth", discovery, auth_pb2.DESCRIPTOR, timeout=5)
    yield auth_pb2_grpc.AuthServiceStub(channel)
    channel.close()


@pytest.fixture
def raw_channel(server: KeelServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel


def test_health_reports_serving_for_the_server_and_each_service(raw_channel) -> None:
    health = health_pb2_grpc.HealthStub(raw_channel)

    for name in ("", *SERVICE_NAMES):
        assert (
            health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status == SERVING
        )
    with pytest.raises(grpc.RpcError) as unknown:
        health.Check(health_pb2.HealthCheckRequest(service="billing.v1.Nope"), timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_every_service(raw_channel) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(raw_channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")

    [answer] = reflection.ServerReflectionInfo(iter([request]), timeout=5)

    names = {s.name for s in answer.list_services_response.service}
    assert names >= {*SERVICE_NAMES, "grpc.health.v1.Health"}


def test_a_call_past_its_deadline_fails_with_deadline_exceeded(users, discovery) -> None:
    with pytest.raises(grpc.RpcError) as per_call:
        users.GetUser(auth_pb2.GetUserRequest(id="slow"), timeout=0.2)

    with channel_for("auth", discovery, timeout=0.2) as channel:
        short = auth_pb2_grpc.AuthServiceStub(channel)
        with pytest.raises(grpc.RpcError) as by_default:
            short.GetUser(auth_pb2.GetUserRequest(id="slow"))

    assert per_call.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert by_default.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_an_idempotent_call_is_retried_on_unavailable(users, auth: Auth) -> None:
    answer = users.GetUser(auth_pb2.GetUserRequest(id="flaky"))

    assert answer.user.id == "flaky"
    assert auth.attempts["flaky"] == 3


def test_a_call_that_is_not_idempotent_is_not_retried(discovery, search: Search) -> None:
    with (
        channel_for("search", discovery, search_pb2.DESCRIPTOR) as channel,
        pytest.raises(grpc.RpcError) as failed,
    ):
        search_pb2_grpc.SearchServiceStub(channel).Reindex(search_pb2.ReindexRequest())

    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
    assert search.reindex_attempts == 1


def test_domain_errors_reach_the_client_as_their_status_code(users) -> None:
    with pytest.raises(grpc.RpcError) as failed:
        users.GetUser(auth_pb2.GetUserRequest(id="missing"))

    assert (failed.value.code(), failed.value.details()) == (
        grpc.StatusCode.NOT_FOUND,
        "no user 'missing'",
    )


def test_trace_request_id_and_bearer_token_reach_the_method(users, auth: Auth) -> None:
    hop = tracing.new_trace()

    with tracing.use(hop, "req-9"):
        users.GetUser(auth_pb2.GetUserRequest(id="u1"), metadata=[("authorization", "Bearer t1")])

    [(trace, request_id, token)] = auth.seen
    assert (trace.trace_id, trace.parent_id) == (hop.trace_id, hop.span_id)
    assert (request_id, token) == ("req-9", "t1")


def test_calls_are_counted_by_method_and_code(users, unique_name: str) -> None:
    users.GetUser(auth_pb2.GetUserRequest(id="u1"))
    with pytest.raises(grpc.RpcError):
        users.GetUser(auth_pb2.GetUserRequest(id="missing"))

    labels = {"service": unique_name, "method": "/auth.v1.AuthService/GetUser"}
    counts = [
        REGISTRY.get_sample_value("keel_grpc_requests_total", {**labels, "code": code})
        for code in ("OK", "NOT_FOUND")
    ]
    assert counts == [1, 1]


def test_calls_alternate_between_the_instances_of_a_service(unique_name: str, server, auth) -> None:
    other = Auth()
    second = start(unique_name, other, Search())
    both = StaticDiscovery(f"auth=127.0.0.1:{server.port},auth=127.0.0.1:{second.port}")
    try:
        with channel_for("auth", both, auth_pb2.DESCRIPTOR) as channel:
            stub = auth_pb2_grpc.AuthServiceStub(channel)
            for n in range(4):
                stub.GetUser(auth_pb2.GetUserRequest(id=f"u{n}"))
    finally:
        second.drain(grace=0)

    assert (sum(auth.attempts.values()), sum(other.attempts.values())) == (2, 2)


def test_serve_runs_on_stop_then_turns_health_not_serving_then_stops(unique_name: str) -> None:
    server = create_server(unique_name, 0, lambda s: None, service_names=[], host="127.0.0.1")
    stop = threading.Event()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        status_during_on_stop: list[int] = []

        def on_stop() -> None:  # e.g. deregister: the instance still serves meanwhile
            answer = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            status_during_on_stop.append(answer.status)

        options = {"grace": 5, "stop": stop, "on_stop": on_stop}
        serving = threading.Thread(target=serve, args=(server,), kwargs=options)
        serving.start()
        watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=20)
        assert next(watch).status == SERVING

        stop.set()
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()
    serving.join(20)

    assert status_during_on_stop == [SERVING]
    assert not serving.is_alive()
