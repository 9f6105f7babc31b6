"""The core gRPC server: ``create_server(settings)`` is what ``keel-core grpc`` runs."""

from __future__ import annotations

import grpc

from keel_common.grpc import KeelServer, channel_for
from keel_common.grpc import create_server as create_keel_server
from keel_core.adapters.auth_users import GrpcUserDirectory
from keel_core.bootstrap import Core, bootstrap
from keel_core.config import CoreSettings
from keel_core.entrypoints.grpc_catalog import CatalogServicer
from keel_core.service_layer.ports import UserDirectory
from keel_protos.auth.v1 import auth_pb2
from keel_protos.core.v1 import core_pb2_grpc

SERVICE_NAMES = ["core.v1.CatalogService"]


def create_server(
    settings: CoreSettings | None = None,
    *,
    wired: Core | None = None,
    users: UserDirectory | None = None,
    port: int | None = None,
) -> KeelServer:
    """The server, not started; ``users`` defaults to auth's ``GetUsers`` via discovery."""
    wired = wired or bootstrap(settings)
    timeout = wired.settings.auth_timeout_seconds
    if users is None:
        channel = channel_for("auth", wired.discovery, auth_pb2.DESCRIPTOR, timeout=timeout)
        users = GrpcUserDirectory(channel, timeout=timeout)
    servicer = CatalogServicer(wired.new_uow, users)

    def register(server: grpc.Server) -> None:
        core_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)

    return create_keel_server(
        "core",
        wired.settings.grpc_port if port is None else port,
        register,
        service_names=SERVICE_NAMES,
    )
