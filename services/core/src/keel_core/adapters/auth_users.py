"""``UserDirectory`` over auth's gRPC ``GetUsers``: one round trip for any number of users."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

import grpc

from keel_common.grpc.calls import unavailable_as
from keel_core.service_layer.ports import UserDirectory, UserSummary, UsersUnavailable
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc


class GrpcUserDirectory(UserDirectory):
    def __init__(self, channel: grpc.Channel, *, timeout: float = 2.0) -> None:
        self._stub = auth_pb2_grpc.AuthServiceStub(channel)
        self._timeout = timeout

    def get_users(self, user_ids: Collection[UUID]) -> dict[UUID, UserSummary]:
        if not user_ids:
            return {}
        request = auth_pb2.GetUsersRequest(ids=sorted(str(i) for i in user_ids))
        with unavailable_as(UsersUnavailable, "auth GetUsers"):
            response = self._stub.GetUsers(request, timeout=self._timeout)
        return {
            UUID(user.id): UserSummary(UUID(user.id), user.name, user.email)
            for user in response.users
        }
