"""The core gRPC server: ``create_server(service)`` is what ``keel-core grpc`` runs."""

from __future__ import annotations

import grpc

from keel_common.grpc import Callers, KeelServer, ServerSecurity
from keel_common.grpc import create_server as create_keel_server
from keel_core.bootstrap import Core
from keel_core.entrypoints.grpc_catalog import CatalogServicer
from keel_protos.core.v1 import core_pb2_grpc

SERVICE_NAMES = ["core.v1.CatalogService"]
# Who may call what (the caller's certificate names it); a method not listed: nobody.
# "operator" is the certificate an on-call engineer is issued for diagnostics (docs/deploy.md).
CALLERS: Callers = {
    "core.v1.CatalogService": {
        "ListProducts": ("search",),  # the index rebuild reads the whole catalog
        "ListPurchaseHistory": ("notification",),  # receipts and re-engagement messages
        "GetProduct": (),
        "GetOrder": ("operator",),
        "ExportUserData": ("auth",),  # issue #14's data export: auth only
    }
}


def create_server(service: Core, *, port: int | None = None) -> KeelServer:
    """The server, not started, on ``port`` (default: the settings'; 0: a free one)."""
    servicer = CatalogServicer(service.uow, service.users)

    def register(server: grpc.Server) -> None:
        core_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)

    return create_keel_server(
        "core",
        service.settings.grpc_port if port is None else port,
        register,
        service_names=SERVICE_NAMES,
        callers=CALLERS,
        security=ServerSecurity.from_settings(service.settings),
    )
