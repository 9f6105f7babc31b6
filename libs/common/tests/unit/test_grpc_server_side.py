"""Server interceptors and abort_for, driven through fake handlers and contexts (no sockets)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from keel_common import tracing
from keel_common.grpc import (
    AccessLogInterceptor,
    BearerInterceptor,
    ErrorReportInterceptor,
    MetricsInterceptor,
    TraceInterceptor,
    abort_for,
    bearer_token,
)
from keel_common.grpc.interceptors import standard_interceptors

from .conftest import FakeTransport

METHOD = "/auth.v1.AuthService/GetUser"
CALLER = tracing.TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


class FakeAbort(Exception):
    """What grpc's ``context.abort`` raises after setting the code."""


class FakeServicerContext:
    def __init__(self, active: bool = True) -> None:
        self._code: grpc.StatusCode | None = None
        self.details: str | None = None
        self.active = active

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self.details = code, details
        raise FakeAbort(details)

    def is_active(self) -> bool:
        return self.active

    def peer(self) -> str:
        return "ipv4:127.0.0.1:5555"


class FakeCallDetails:
    def __init__(self, method: str = METHOD, metadata: tuple[tuple[str, Any], ...] = ()) -> None:
        self.method = method
        self.invocation_metadata = metadata


def intercept(
    interceptor: grpc.ServerInterceptor, behaviour: Any, metadata: Any = (), streaming: bool = False
) -> Any:
    """The behaviour as the server would run it behind ``interceptor``."""
    method_handler: grpc.RpcMethodHandler[Any, Any]
    if streaming:
        method_handler = grpc.unary_stream_rpc_method_handler(behaviour)
    else:
        method_handler = grpc.unary_unary_rpc_method_handler(behaviour)
    details: Any = FakeCallDetails(metadata=metadata)
    handler = interceptor.intercept_service(lambda _: method_handler, details)
    assert handler is not None
    return handler.unary_stream if streaming else handler.unary_unary


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_an_unknown_method_is_left_to_grpc() -> None:
    assert MetricsInterceptor("svc").intercept_service(lambda _: None, FakeCallDetails()) is None


def test_metrics_count_each_call_by_code_and_server_errors_apart(unique_name: str) -> None:
    def behaviour(request: str, context: FakeServicerContext) -> str:
        if request == "missing":
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        if request == "bug":
            raise RuntimeError("boom")
        return request

    run = intercept(MetricsInterceptor(unique_name), behaviour)
    run("ok", FakeServicerContext())
    for request, error in (("missing", FakeAbort), ("bug", RuntimeError)):
        with pytest.raises(error):
            run(request, FakeServicerContext())

    count = "keel_grpc_requests_total"
    labels = {"service": unique_name, "method": METHOD}
    assert [sample(count, **labels, code=c) for c in ("OK", "NOT_FOUND", "UNKNOWN")] == [1, 1, 1]
    assert sample("keel_grpc_request_errors_total", **labels) == 1  # UNKNOWN only
    assert sample("keel_grpc_request_duration_seconds_count", **labels) == 3


def test_a_call_whose_client_went_away_counts_as_cancelled(unique_name: str) -> None:
    run = intercept(MetricsInterceptor(unique_name), lambda request, context: request)
    run("late", FakeServicerContext(active=False))

    labels = {"service": unique_name, "method": METHOD, "code": "CANCELLED"}
    assert sample("keel_grpc_requests_total", **labels) == 1


def test_a_streaming_call_is_measured_until_its_last_message(unique_name: str) -> None:
    def stream(request: int, context: FakeServicerContext) -> Iterator[int]:
        yield from range(request)

    responses = intercept(MetricsInterceptor(unique_name), stream, streaming=True)(
        3, FakeServicerContext()
    )
    labels = {"service": unique_name, "method": METHOD, "code": "OK"}
    assert next(responses) == 0
    assert sample("keel_grpc_requests_total", **labels) == 0  # still streaming
    assert list(responses) == [1, 2]
    assert sample("keel_grpc_requests_total", **labels) == 1


def test_the_access_log_has_method_code_and_duration_but_no_metadata(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0.c2ln"
    metadata = (("authorization", f"Bearer {secret}"), ("x-api-key", "k-123456"))
    caplog.set_level(logging.DEBUG, logger="keel.grpc.access")

    intercept(AccessLogInterceptor("auth"), lambda r, c: r, metadata)("ok", FakeServicerContext())

    [record] = caplog.records
    assert (record.grpc_method, record.grpc_code) == (METHOD, "OK")  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert secret not in caplog.text and "k-123456" not in caplog.text
    assert "Bearer" not in str(record.__dict__)


def test_health_probes_log_at_debug_and_server_errors_at_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="keel.grpc.access")
    probe = AccessLogInterceptor("auth").intercept_service(
        lambda _: grpc.unary_unary_rpc_method_handler(lambda r, c: r),
        FakeCallDetails("/grpc.health.v1.Health/Check"),
    )
    assert probe is not None
    probe.unary_unary("ping", FakeServicerContext())
    context = FakeServicerContext()
    context.set_code(grpc.StatusCode.UNAVAILABLE)
    intercept(AccessLogInterceptor("auth"), lambda r, c: r)("down", context)

    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.WARNING]


def test_the_callers_trace_continues_inside_the_method_and_ends_with_it() -> None:
    seen: list[tuple[tracing.TraceContext | None, str | None]] = []
    metadata = (("traceparent", CALLER.traceparent), ("x-request-id", "req-42"))

    def behaviour(request: str, context: FakeServicerContext) -> str:
        seen.append((tracing.current_trace.get(), tracing.current_request_id.get()))
        return request

    intercept(TraceInterceptor(), behaviour, metadata)("x", FakeServicerContext())

    [(trace, request_id)] = seen
    assert trace is not None
    assert (trace.trace_id, trace.parent_id, request_id) == (
        CALLER.trace_id,
        CALLER.span_id,
        "req-42",
    )
    assert tracing.current_trace.get() is None


def test_a_call_without_traceparent_starts_a_trace() -> None:
    seen: list[tracing.TraceContext | None] = []
    run = intercept(TraceInterceptor(), lambda r, c: seen.append(tracing.current_trace.get()))

    run("x", FakeServicerContext())

    assert seen[0] is not None and seen[0].parent_id is None


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ((("authorization", "Bearer tok-1"),), "tok-1"),
        ((("authorization", "Basic dXNlcg=="),), None),
        ((), None),
    ],
)
def test_the_bearer_token_is_available_to_the_method_only(metadata, expected) -> None:
    seen: list[str | None] = []

    intercept(BearerInterceptor(), lambda r, c: seen.append(bearer_token()), metadata)(
        "x", FakeServicerContext()
    )

    assert seen == [expected]
    assert bearer_token() is None


class DomainError(Exception):
    pass


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


MAPPING = {DomainError: grpc.StatusCode.INVALID_ARGUMENT, NotFound: grpc.StatusCode.NOT_FOUND}


def test_abort_for_uses_the_most_specific_mapping() -> None:
    context: Any = FakeServicerContext()

    with pytest.raises(FakeAbort):
        abort_for(context, NotFound("no product 7"), MAPPING)

    assert (context.code(), context.details) == (grpc.StatusCode.NOT_FOUND, "no product 7")


def test_abort_for_falls_back_to_a_base_class_mapping() -> None:
    context: Any = FakeServicerContext()

    with pytest.raises(FakeAbort):
        abort_for(context, Forbidden("nope"), MAPPING)

    assert context.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_abort_for_reraises_an_unmapped_error() -> None:
    context: Any = FakeServicerContext()

    with pytest.raises(KeyError):
        abort_for(context, KeyError("bug"), MAPPING)

    assert context.code() is None


def chain(interceptors: list[grpc.ServerInterceptor], behaviour: Any, metadata: Any = ()) -> Any:
    """The behaviour behind several interceptors, the first outermost, as grpc runs them."""
    details: Any = FakeCallDetails(metadata=metadata)
    handler = grpc.unary_unary_rpc_method_handler(behaviour)
    for interceptor in reversed(interceptors):
        inner = handler
        wrapped = interceptor.intercept_service(lambda _, h=inner: h, details)
        assert wrapped is not None
        handler = wrapped
    return handler.unary_unary


def test_an_unhandled_error_reaches_sentry_with_the_calls_ids_and_answers_internal(
    transport: FakeTransport, unique_name: str
) -> None:
    def behaviour(request: str, context: FakeServicerContext) -> str:
        raise RuntimeError("the users table is gone")

    metadata = (("traceparent", CALLER.traceparent), ("x-request-id", "req-grpc-1"))
    context = FakeServicerContext()
    with pytest.raises(FakeAbort):
        chain(standard_interceptors(unique_name), behaviour, metadata)("x", context)

    assert context.code() == grpc.StatusCode.INTERNAL
    assert context.details == "internal error"  # the exception's text stays on the server
    [event] = transport.events
    assert event["tags"]["request_id"] == "req-grpc-1"
    assert event["tags"]["trace_id"] == CALLER.trace_id
    labels = {"service": unique_name, "method": METHOD, "code": "INTERNAL"}
    assert sample("keel_grpc_requests_total", **labels) == 1


def test_an_abort_of_the_method_is_not_an_error_to_report(transport: FakeTransport) -> None:
    def behaviour(request: str, context: FakeServicerContext) -> str:
        context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        return request

    context = FakeServicerContext()
    with pytest.raises(FakeAbort):
        intercept(ErrorReportInterceptor(), behaviour)("x", context)
    assert (context.code(), transport.events) == (grpc.StatusCode.NOT_FOUND, [])
