"""gRPC clients between Keel services: discovery, deadlines, retries and trace propagation.

    channel = channel_for("auth", discovery, auth_pb2.DESCRIPTOR)
    users = auth_pb2_grpc.AuthServiceStub(channel)
    users.GetUser(auth_pb2.GetUserRequest(id=user_id), timeout=0.5)

- Each call asks ``discovery`` for the healthy instances (the adapter caches the answer) and
  goes to the next one, round-robin, over one channel per address; the channel of an address
  that disappeared is closed a while later, once the calls on it are over.
- Every call has a deadline: the ``timeout`` given to the call, else the channel's default.
- Methods whose proto says ``idempotency_level = NO_SIDE_EFFECTS`` or ``IDEMPOTENT`` are
  retried on UNAVAILABLE by gRPC itself (a service-config ``retryPolicy``), within the same
  deadline; other methods are never retried.
- ``traceparent`` and ``x-request-id`` of the current hop go out as metadata.
- With ``tls`` (``keel_common.grpc.mtls``), every channel presents this service's
  certificate and accepts only a server whose certificate, from the same CA, names the
  service called.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import grpc
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor

from keel_common import tracing
from keel_common.discovery import Discovery, DiscoveryError
from keel_common.grpc.mtls import MutualTls, channel_options

DEFAULT_TIMEOUT_SECONDS = 5.0
# Longer than any sensible deadline, so calls already on a vanished instance can finish.
DEFAULT_LINGER_SECONDS = 60.0
RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.1s",
    "maxBackoff": "1s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
_SAFE_LEVELS = {
    descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
    descriptor_pb2.MethodOptions.IDEMPOTENT,
}


class NoInstanceError(grpc.RpcError):
    """No healthy instance to call: raised from the call, as UNAVAILABLE, like a dead server."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return self._message


def idempotent_methods(*files: FileDescriptor) -> list[tuple[str, str]]:
    """``(service, method)`` of every method the protos mark safe to retry."""
    return [
        (service.full_name, method.name)
        for file in files
        for service in file.services_by_name.values()
        for method in service.methods
        if method.GetOptions().idempotency_level in _SAFE_LEVELS
    ]


def service_config(retryable: Sequence[tuple[str, str]]) -> str:
    """The JSON gRPC service config that retries ``retryable`` methods on UNAVAILABLE."""
    if not retryable:
        return json.dumps({"methodConfig": []})
    names = [{"service": service, "method": method} for service, method in retryable]
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": RETRY_POLICY}]})


class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: Any
    compression: Any


class _CallDetails(_Details, grpc.ClientCallDetails):
    pass


class CallDefaultsInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the default deadline and the trace metadata to every outgoing call."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or ())
        present = {key for key, _ in metadata}
        metadata += [(k, v) for k, v in tracing.to_headers().items() if k not in present]
        timeout = self._timeout if details.timeout is None else details.timeout
        return _CallDetails(
            details.method,
            timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def channel_factory(
    timeout: float,
    retryable: Sequence[tuple[str, str]],
    *,
    service: str = "",
    tls: MutualTls | None = None,
) -> Callable[[str], grpc.Channel]:
    """Opens one channel to an address of ``service``, with the deadline/trace interceptor:
    plaintext without ``tls``, else mutual TLS verifying the server as ``service``."""
    options = [("grpc.enable_retries", 1), ("grpc.service_config", service_config(retryable))]

    def open_channel(address: str) -> grpc.Channel:
        if tls is None:
            channel = grpc.insecure_channel(address, options=options)
        else:
            credentials = tls.channel_credentials()
            channel = grpc.secure_channel(
                address, credentials, options=[*options, *channel_options(service)]
            )
        return grpc.intercept_channel(channel, CallDefaultsInterceptor(timeout))

    return open_channel


class _Balanced:
    """A multi-callable that sends each invocation to the next instance's channel."""

    def __init__(self, pick: Callable[[], grpc.Channel], kind: str, args: tuple[Any, ...]):
        self._pick, self._kind, self._args = pick, kind, args

    def _target(self) -> Any:
        method, serializer, deserializer, registered = self._args
        factory = getattr(self._pick(), self._kind)
        return factory(method, serializer, deserializer, _registered_method=registered)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def with_call(self, *args: Any, **kwargs: Any) -> Any:
        return self._target().with_call(*args, **kwargs)

    def future(self, *args: Any, **kwargs: Any) -> Any:
        return self._target().future(*args, **kwargs)


class ServiceChannel(grpc.Channel):
    """A ``grpc.Channel`` over every healthy instance of one service (see the module doc).

    The channel of an instance that left the healthy set is closed ``linger_seconds`` later,
    not at once: closing cancels the calls on it, and a draining instance (NOT_SERVING, on its
    way out) is still finishing those.
    """

    def __init__(
        self,
        service: str,
        discovery: Discovery,
        open_channel: Callable[[str], grpc.Channel],
        *,
        linger_seconds: float = DEFAULT_LINGER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self._discovery = discovery
        self._open_channel = open_channel
        self._linger = linger_seconds
        self._clock = clock
        self._channels: dict[str, grpc.Channel] = {}
        self._retiring: dict[str, tuple[float, grpc.Channel]] = {}
        self._turn = 0
        self._lock = threading.Lock()

    def _pick(self) -> grpc.Channel:
        try:
            addresses = self._discovery.resolve(self.service)
        except DiscoveryError as exc:
            raise NoInstanceError(f"cannot resolve {self.service}: {exc}") from exc
        if not addresses:
            raise NoInstanceError(f"no healthy instance of {self.service}")
        with self._lock:
            self._retire(set(addresses))
            address = addresses[self._turn % len(addresses)]
            self._turn += 1
            if address not in self._channels:
                back = self._retiring.pop(address, None)
                self._channels[address] = back[1] if back else self._open_channel(address)
            return self._channels[address]

    def _retire(self, healthy: set[str]) -> None:
        now = self._clock()
        for gone in self._channels.keys() - healthy:
            self._retiring[gone] = (now + self._linger, self._channels.pop(gone))
        for address, (close_at, channel) in list(self._retiring.items()):
            if close_at <= now:
                del self._retiring[address]
                channel.close()

    def unary_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> Any:
        args = (method, request_serializer, response_deserializer, _registered_method)
        return _Balanced(self._pick, "unary_unary", args)

    def unary_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> Any:
        args = (method, request_serializer, response_deserializer, _registered_method)
        return _Balanced(self._pick, "unary_stream", args)

    def stream_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> Any:
        args = (method, request_serializer, response_deserializer, _registered_method)
        return _Balanced(self._pick, "stream_unary", args)

    def stream_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> Any:
        args = (method, request_serializer, response_deserializer, _registered_method)
        return _Balanced(self._pick, "stream_stream", args)

    def subscribe(self, callback: Any, try_to_connect: bool = False) -> None:
        raise NotImplementedError("connectivity is per instance; rely on health checks instead")

    def unsubscribe(self, callback: Any) -> None:
        raise NotImplementedError("connectivity is per instance; rely on health checks instead")

    def __enter__(self) -> ServiceChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            channels = [*self._channels.values(), *(c for _, c in self._retiring.values())]
            self._channels, self._retiring = {}, {}
        for channel in channels:
            channel.close()


def channel_for(
    service: str,
    discovery: Discovery,
    *protos: FileDescriptor,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    retryable: Iterable[tuple[str, str]] = (),
    tls: MutualTls | None = None,
) -> ServiceChannel:
    """A channel to ``service``; pass the pb2 ``DESCRIPTOR`` of its protos to enable retries.

    ``timeout`` is the default deadline of every call; ``retryable`` adds methods to the
    ones the protos' ``idempotency_level`` marks safe to retry. ``tls`` (from
    ``mutual_tls(settings)``) makes every call mutual TLS; None is development's plaintext.
    """
    methods = [*idempotent_methods(*protos), *retryable]
    factory = channel_factory(timeout, methods, service=service, tls=tls)
    return ServiceChannel(service, discovery, factory)
