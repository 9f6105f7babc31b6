"""``UserDataSource`` over each service's gRPC ``ExportUserData`` (issue #14's export).

Channels are opened on first use: only auth's worker assembles exports, the API never asks.
A failed call becomes ``ExportSourceUnavailable`` (``unavailable_as``), which the worker's
retry policy turns into a later redelivery.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import grpc

from keel_auth.domain.errors import ExportSourceUnavailable
from keel_auth.service_layer.ports import UserDataSource
from keel_common.grpc.calls import unavailable_as
from keel_protos.core.v1 import core_pb2, core_pb2_grpc
from keel_protos.notification.v1 import notification_pb2, notification_pb2_grpc
from keel_protos.search.v1 import search_pb2, search_pb2_grpc

#: Per service: its pb2 module (request type, descriptor) and stub class.
PROTOS: dict[str, tuple[Any, Any]] = {
    "core": (core_pb2, core_pb2_grpc.CatalogServiceStub),
    "notification": (notification_pb2, notification_pb2_grpc.NotificationServiceStub),
    "search": (search_pb2, search_pb2_grpc.SearchServiceStub),
}


class GrpcUserDataSource(UserDataSource):
    def __init__(self, connect: Callable[[str, Any], grpc.Channel], *, timeout: float) -> None:
        self._connect = connect  # (service, pb2 DESCRIPTOR) -> channel
        self._stubs: dict[str, Any] = {}
        self._timeout = timeout

    def export_user_data(self, service: str, user_id: uuid.UUID) -> dict[str, Any]:
        pb2, stub_class = PROTOS[service]
        if service not in self._stubs:
            self._stubs[service] = stub_class(self._connect(service, pb2.DESCRIPTOR))
        request = pb2.ExportUserDataRequest(user_id=str(user_id))
        with unavailable_as(ExportSourceUnavailable, f"{service} ExportUserData"):
            response = self._stubs[service].ExportUserData(request, timeout=self._timeout)
        document = json.loads(response.document.decode())
        if not isinstance(document, dict):
            raise ExportSourceUnavailable(f"{service} ExportUserData: not a JSON object")
        return document
