"""gRPC for Keel services: the server bootstrap and the clients between services.

Server (``entrypoints/grpc_server.py``)::

    server = create_server("auth", settings.grpc_port, register, service_names=[...])
    serve(server)  # blocks; SIGTERM drains it

Servicers map domain errors with ``abort_for`` and read the caller's token with
``bearer_token()``. Clients: ``channel_for("auth", discovery, auth_pb2.DESCRIPTOR)``.
"""

from __future__ import annotations

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
    MetricsInterceptor,
    TraceInterceptor,
    bearer_token,
    standard_interceptors,
)
from keel_common.grpc.server import KeelServer, abort_for, create_server, serve

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "SERVER_ERROR_CODES",
    "AccessLogInterceptor",
    "BearerInterceptor",
    "CallDefaultsInterceptor",
    "KeelServer",
    "MetricsInterceptor",
    "NoInstanceError",
    "ServiceChannel",
    "TraceInterceptor",
    "abort_for",
    "bearer_token",
    "channel_for",
    "create_server",
    "idempotent_methods",
    "serve",
    "service_config",
    "standard_interceptors",
]
