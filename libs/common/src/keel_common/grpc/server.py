"""The gRPC server every Keel service runs: one bootstrap instead of four copies.

``create_server`` builds it with a thread pool, the standard interceptors (trace, bearer,
metrics, access log), the ``grpc.health.v1`` service (SERVING for every service name) and,
in development only, reflection. With ``ServerSecurity.tls`` it listens over mutual TLS and
enforces the service's caller allowlist (``keel_common.grpc.access``); health is then also
served in the clear on ``health_port``, alone, for kubelet and Consul, which hold no
certificate. ``serve`` runs it until SIGTERM/SIGINT and drains it: health turns NOT_SERVING
first, so probes and registries stop sending work, then in-flight calls get ``grace`` seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NoReturn

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from keel_common.grpc.access import OPEN_SERVICES, CallerAllowlistInterceptor, Callers
from keel_common.grpc.interceptors import standard_interceptors
from keel_common.grpc.mtls import MutualTls, mutual_tls

log = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = 16
DEFAULT_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class ServerSecurity:
    """How a server meets its callers. The default is development's: plaintext, reflection
    on, health on the main port, no caller check (nobody has an identity)."""

    tls: MutualTls | None = None
    reflection: bool = True
    # A plaintext port serving only grpc.health.v1 (0: a free one); None: none.
    health_port: int | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> ServerSecurity:
        """mTLS from ``GRPC_TLS_*_FILE`` (required outside development), reflection only in
        development, the health-only port from ``GRPC_HEALTH_PORT``."""
        return cls(
            tls=mutual_tls(settings),
            reflection=settings.environment == "development",
            health_port=getattr(settings, "grpc_health_port", None),
        )


class KeelServer(grpc.Server):
    """A ``grpc.Server`` that knows its bound ``port`` and its ``health`` servicer (and, with
    a health-only server beside it, ``health_port``)."""

    def __init__(
        self,
        server: grpc.Server,
        health_servicer: health.HealthServicer,
        port: int,
        health_server: tuple[grpc.Server, int] | None = None,
    ):
        self._server = server
        self.health = health_servicer
        self.port = port
        self._health_server: grpc.Server | None = health_server[0] if health_server else None
        self.health_port: int | None = health_server[1] if health_server else None

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Iterable[Any]) -> None:
        self._server.add_generic_rpc_handlers(generic_rpc_handlers)

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, Any]
    ) -> None:
        self._server.add_registered_method_handlers(service_name, method_handlers)

    def add_insecure_port(self, address: str) -> int:
        return self._server.add_insecure_port(address)

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        return self._server.add_secure_port(address, server_credentials)

    def start(self) -> None:
        self._server.start()
        if self._health_server is not None:
            self._health_server.start()

    def stop(self, grace: float | None) -> threading.Event:
        if self._health_server is not None:
            self._health_server.stop(grace)
        return self._server.stop(grace)

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self._server.wait_for_termination(timeout)

    def drain(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        """NOT_SERVING for every service, then stop; calls in flight get ``grace`` seconds."""
        self.health.enter_graceful_shutdown()
        self.stop(grace).wait()


def create_server(
    service: str,
    port: int,
    register: Callable[[grpc.Server], None],
    *,
    service_names: Sequence[str],
    max_workers: int = DEFAULT_MAX_WORKERS,
    host: str | None = None,
    interceptors: Sequence[grpc.ServerInterceptor] = (),
    security: ServerSecurity | None = None,
    callers: Callers | None = None,
) -> KeelServer:
    """A server for ``service`` (the metrics label) bound to ``host:port`` (0: a free port).

    ``register`` adds the servicers (``add_XServicer_to_server``); ``service_names`` are
    their full proto names (``"auth.v1.AuthService"``), reported by health and reflection.
    ``interceptors`` run inside the standard ones. ``callers`` is the service's allowlist,
    enforced whenever ``security.tls`` is set (a method it does not list: nobody may call).
    """
    security = security or ServerSecurity()
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{service}-grpc"),
        interceptors=[*standard_interceptors(service), *_access(security, callers), *interceptors],
        # Linux lets a second process bind the same port with SO_REUSEPORT; fail loudly instead.
        options=[("grpc.so_reuseport", 0)],
    )
    register(server)
    health_servicer = _health(server, service_names)
    if security.reflection:
        reflection.enable_server_reflection(
            [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
        )
    # Same BIND_HOST setting as the HTTP server (ServiceSettings.bind_host); all interfaces
    # by default, as a container wants.
    host = host or os.environ.get("BIND_HOST") or "[::]"
    if security.tls is None:
        bound = server.add_insecure_port(f"{host}:{port}")
    else:
        bound = server.add_secure_port(f"{host}:{port}", security.tls.server_credentials())
    health_only = None
    if security.health_port is not None:
        health_only = _health_only(health_servicer, f"{host}:{security.health_port}")
    return KeelServer(server, health_servicer, bound, health_only)


def _health_only(servicer: health.HealthServicer, address: str) -> tuple[grpc.Server, int]:
    """A plaintext server with nothing but ``servicer``: probes reach it without a
    certificate, and it turns NOT_SERVING with the main server when that one drains."""
    server = grpc.server(ThreadPoolExecutor(max_workers=2), options=[("grpc.so_reuseport", 0)])
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return server, server.add_insecure_port(address)


def _access(security: ServerSecurity, callers: Callers | None) -> list[grpc.ServerInterceptor]:
    if security.tls is None:
        return []
    open_services = set(OPEN_SERVICES)
    if security.reflection:
        open_services.add(reflection.SERVICE_NAME)
    return [CallerAllowlistInterceptor(callers or {}, open_services=open_services)]


def _health(server: grpc.Server, service_names: Sequence[str]) -> health.HealthServicer:
    """SERVING for the server as a whole ("") and for each of its services."""
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *service_names):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return health_servicer


def serve(
    server: KeelServer,
    *,
    grace: float = DEFAULT_GRACE_SECONDS,
    stop: threading.Event | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Start ``server`` and block until SIGTERM/SIGINT (or ``stop`` is set), then drain it.

    ``on_stop`` runs first when the stop comes, before health turns NOT_SERVING: the place to
    deregister from discovery, so clients stop picking this instance while it drains.
    Signal handlers are installed only in the main thread (Python allows no other), and the
    previous ones are restored afterwards.
    """
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    server.start()
    log.info("grpc server listening on port %d", server.port)
    try:
        stop.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        try:
            if on_stop is not None:
                on_stop()
        finally:
            log.info("grpc server draining (grace %.1fs)", grace)
            server.drain(grace)
            log.info("grpc server stopped")


def abort_for(
    context: grpc.ServicerContext,
    exc: Exception,
    mapping: Mapping[type[Exception], grpc.StatusCode],
) -> NoReturn:
    """Abort the call with the code mapped to ``exc``'s class (or nearest base class).

    The message is ``str(exc)``: domain errors are written for the caller. An exception with
    no mapping is re-raised: the error-report interceptor sends it to Sentry and answers INTERNAL.
    """
    for kind in type(exc).__mro__:
        code = mapping.get(kind)
        if code is not None:
            context.abort(code, str(exc))
    raise exc
