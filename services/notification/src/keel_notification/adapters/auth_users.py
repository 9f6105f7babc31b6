"""``UserDirectory`` over auth's gRPC ``GetUsers``: one round trip for any number of users."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC

import grpc

from keel_common.grpc.calls import unavailable_as
from keel_notification.domain.model import Contact
from keel_notification.service_layer.ports import ContactsUnavailable, UserDirectory
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc


def _contact(user: auth_pb2.User) -> Contact:
    registered = user.created_at.ToDatetime(tzinfo=UTC) if user.HasField("created_at") else None
    return Contact(
        user_id=uuid.UUID(user.id),
        email=user.email or None,
        phone=user.phone or None,
        registered_at=registered,
    )


class GrpcUserDirectory(UserDirectory):
    def __init__(self, channel: grpc.Channel, *, timeout: float = 2.0) -> None:
        self._channel = channel
        self._stub = auth_pb2_grpc.AuthServiceStub(channel)
        self._timeout = timeout

    def contacts(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        if not user_ids:
            return {}
        request = auth_pb2.GetUsersRequest(ids=sorted(str(i) for i in user_ids))
        with unavailable_as(ContactsUnavailable, "auth GetUsers"):
            response = self._stub.GetUsers(request, timeout=self._timeout)
        return {uuid.UUID(user.id): _contact(user) for user in response.users}

    def close(self) -> None:
        self._channel.close()
