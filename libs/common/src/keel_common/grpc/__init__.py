"""gRPC for Keel services: the server bootstrap and the clients between services.

Server (``entrypoints/grpc_server.py``)::

    server = create_server("auth", settings.grpc_port, register, service_names=[...])
    serve(server)  # blocks; SIGTERM drains it

Servicers map domain errors with ``abort_for`` and read the caller's token with
``bearer_token()``. Clients: ``channel_for("auth", discovery, auth_pb2.DESCRIPTOR)``.

Between services outside development: mutual TLS (``mtls``) and a per-method caller
allowlist (``access``)::

    create_server("auth", port, register, service_names=[...], callers=CALLERS,
                  security=ServerSecurity.from_settings(settings))
    channel_for("auth", discovery, auth_pb2.DESCRIPTOR, tls=mutual_tls(settings))
"""

from __future__ import annotations

from keel_common.grpc.access import CallerAllowlistInterceptor, Callers, caller_pairs
from keel_common.grpc.client import (
    DEFAULT_TIMEOUT_SECONDS,
    CallDefaultsInterceptor,
    NoInstanceError,
    ServiceChannel,
    channel_for,
    idempotent_methods,
    service_config,
)
from keel_common.grpc.interceptors import (
    SERVER_ERROR_CODES,
    AccessLogInterceptor,
    BearerInterceptor,
    ErrorReportInterceptor,
    MetricsInterceptor,
    TraceInterceptor,
    bearer_token,
    standard_interceptors,
)
from keel_common.grpc.mtls import MutualTls, mutual_tls, peer_identity, spiffe_id
from keel_common.grpc.server import KeelServer, ServerSecurity, abort_for, create_server, serve

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "SERVER_ERROR_CODES",
    "AccessLogInterceptor",
    "BearerInterceptor",
    "CallDefaultsInterceptor",
    "CallerAllowlistInterceptor",
    "Callers",
    "ErrorReportInterceptor",
    "KeelServer",
    "MetricsInterceptor",
    "MutualTls",
    "NoInstanceError",
    "ServerSecurity",
    "ServiceChannel",
    "TraceInterceptor",
    "abort_for",
    "bearer_token",
    "caller_pairs",
    "channel_for",
    "create_server",
    "idempotent_methods",
    "mutual_tls",
    "peer_identity",
    "serve",
    "service_config",
    "spiffe_id",
    "standard_interceptors",
]
