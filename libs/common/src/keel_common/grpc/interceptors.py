"""The server interceptors every Keel gRPC server runs, outermost first.

- ``TraceInterceptor``: continues the caller's ``traceparent``/``x-request-id`` (or starts a
  trace) in ``keel_common.tracing``'s context variables, so logs and outgoing calls carry it;
- ``BearerInterceptor``: exposes the ``authorization`` bearer token through ``bearer_token()``;
- ``MetricsInterceptor``: the RED metrics ``GRPC_*`` of ``keel_common.metrics``;
- ``AccessLogInterceptor``: one line per call with method, code and duration. Metadata values
  never reach it (they carry tokens);
- ``ErrorReportInterceptor``: an exception the method did not handle goes to Sentry while the
  call's trace is still current, and the caller gets ``INTERNAL``.

Each wraps the method's behaviour, so for a streaming response it measures until the last
message has been sent, and its context variables hold for the whole stream.
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

import grpc

from keel_common import tracing
from keel_common.auth.flask_bearer import bearer_token as parse_bearer
from keel_common.errors import report_exception
from keel_common.metrics import GRPC_ERRORS, GRPC_LATENCY, GRPC_REQUESTS

access_log = logging.getLogger("keel.grpc.access")
error_log = logging.getLogger("keel.grpc")

# Codes that mean the server failed (like HTTP 5xx), as opposed to the caller's mistake.
SERVER_ERROR_CODES = frozenset(
    {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}
)
# Probes hit these every few seconds; at INFO they would drown the real traffic.
_QUIET_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

_bearer: ContextVar[str | None] = ContextVar("keel_grpc_bearer", default=None)

Scope = Callable[[grpc.HandlerCallDetails, grpc.ServicerContext], AbstractContextManager[Any]]
_FACTORIES: dict[tuple[bool, bool], tuple[str, Callable[..., grpc.RpcMethodHandler[Any, Any]]]] = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


def bearer_token() -> str | None:
    """The bearer token of the current call's ``authorization`` metadata, if it sent one."""
    return _bearer.get()


def text_metadata(details: grpc.HandlerCallDetails) -> list[tuple[str, str]]:
    """The call's ASCII metadata (``-bin`` values, which are bytes, are left out)."""
    return [(k, v) for k, v in details.invocation_metadata or () if isinstance(v, str)]


def metadata_value(details: grpc.HandlerCallDetails, key: str) -> str | None:
    return next((v for k, v in text_metadata(details) if k == key), None)


def wrap_handler(
    handler: grpc.RpcMethodHandler[Any, Any], scope: Callable[[grpc.ServicerContext], Any]
) -> grpc.RpcMethodHandler[Any, Any]:
    """The same method, run inside ``scope(context)`` (for a stream: until its last message)."""
    attribute, factory = _FACTORIES[(handler.request_streaming, handler.response_streaming)]
    behaviour = getattr(handler, attribute)

    if handler.response_streaming:

        def run(request: Any, context: grpc.ServicerContext) -> Any:
            with scope(context):
                yield from behaviour(request, context)
    else:

        def run(request: Any, context: grpc.ServicerContext) -> Any:
            with scope(context):
                return behaviour(request, context)

    return factory(
        run,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class ScopedInterceptor(grpc.ServerInterceptor):
    """Runs every call inside the context manager ``scope(call_details, servicer_context)``."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:  # unknown method: gRPC answers UNIMPLEMENTED itself
            return None
        return wrap_handler(handler, lambda context: self._scope(handler_call_details, context))


@contextmanager
def _trace_scope(details: grpc.HandlerCallDetails, _: grpc.ServicerContext) -> Iterator[None]:
    with tracing.continue_from(text_metadata(details)):
        yield


@contextmanager
def _bearer_scope(
    details: grpc.HandlerCallDetails, context: grpc.ServicerContext
) -> Iterator[None]:
    token = _bearer.set(parse_bearer(metadata_value(details, "authorization")))
    try:
        yield
    finally:
        _bearer.reset(token)


class TraceInterceptor(ScopedInterceptor):
    def __init__(self) -> None:
        super().__init__(_trace_scope)


class BearerInterceptor(ScopedInterceptor):
    def __init__(self) -> None:
        super().__init__(_bearer_scope)


def outcome(context: grpc.ServicerContext, raised: bool) -> str:
    """The status code name a finished call ends with, as the client will see it."""
    code = context.code()  # type: ignore[attr-defined]  # set by abort() or set_code()
    if code is not None:
        return str(getattr(code, "name", code))
    if not context.is_active():
        return "CANCELLED"
    return "UNKNOWN" if raised else "OK"


class _OutcomeInterceptor(ScopedInterceptor, abc.ABC):
    """Times each call and hands its method, code and duration to ``record``."""

    def __init__(self, service: str) -> None:
        super().__init__(self._observe)
        self.service = service

    @contextmanager
    def _observe(
        self, details: grpc.HandlerCallDetails, context: grpc.ServicerContext
    ) -> Iterator[None]:
        started = time.perf_counter()
        raised = False
        try:
            yield
        except BaseException:
            raised = True
            raise
        finally:
            seconds = time.perf_counter() - started
            self.record(details.method, outcome(context, raised), seconds, context)

    @abc.abstractmethod
    def record(self, method: str, code: str, seconds: float, context: grpc.ServicerContext) -> None:
        """Called once per finished call."""


class MetricsInterceptor(_OutcomeInterceptor):
    def record(self, method: str, code: str, seconds: float, context: grpc.ServicerContext) -> None:
        GRPC_REQUESTS.labels(self.service, method, code).inc()
        GRPC_LATENCY.labels(self.service, method).observe(seconds)
        if code in SERVER_ERROR_CODES:
            GRPC_ERRORS.labels(self.service, method).inc()


class AccessLogInterceptor(_OutcomeInterceptor):
    def record(self, method: str, code: str, seconds: float, context: grpc.ServicerContext) -> None:
        level = logging.INFO
        if code in SERVER_ERROR_CODES:
            level = logging.WARNING
        elif method.startswith(_QUIET_PREFIXES):
            level = logging.DEBUG
        access_log.log(
            level,
            "grpc %s %s %.1fms",
            method,
            code,
            seconds * 1000,
            extra={
                "grpc_method": method,
                "grpc_code": code,
                "duration_ms": round(seconds * 1000, 3),
                "peer": context.peer(),
            },
        )


@contextmanager
def _report_scope(
    details: grpc.HandlerCallDetails, context: grpc.ServicerContext
) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if context.code() is not None:  # type: ignore[attr-defined]  # the method aborted
            raise
        # grpc would log the error itself, but only after the trace scope closed, so the
        # Sentry event of that log line had no request or trace id (#17). Reported here, the
        # event carries both (keel_common.errors.scrub_event); the abort keeps grpc quiet.
        error_log.exception("unhandled error in %s", details.method)
        report_exception(exc)  # Sentry's dedupe drops the log line's copy of the same error
        context.abort(grpc.StatusCode.INTERNAL, "internal error")


class ErrorReportInterceptor(ScopedInterceptor):
    def __init__(self) -> None:
        super().__init__(_report_scope)


def standard_interceptors(service: str) -> list[grpc.ServerInterceptor]:
    """Trace first, so the metrics and the access line already see the call's trace id;
    error reporting last (innermost), so they see the ``INTERNAL`` it answers."""
    return [
        TraceInterceptor(),
        BearerInterceptor(),
        MetricsInterceptor(service),
        AccessLogInterceptor(service),
        ErrorReportInterceptor(),
    ]
