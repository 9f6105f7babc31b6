"""gRPC ``auth.v1.AuthService``: what other services ask about users and tokens.

Servicer methods only translate between protobuf and the use cases; domain errors become
status codes through ``abort_for``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from keel_auth.bootstrap import Auth
from keel_auth.domain.errors import UserNotFound
from keel_auth.domain.model import User
from keel_auth.service_layer import accounts, sessions
from keel_common.grpc import Callers, KeelServer, ServerSecurity, abort_for
from keel_common.grpc import create_server as create_keel_server
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc

SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name
# Who may call what (the caller's certificate names it); a method not listed: nobody.
CALLERS: Callers = {
    SERVICE_NAME: {
        "GetUsers": ("core", "notification"),  # their user directories (names, contacts)
        "GetUser": (),
        "IntrospectToken": (),  # services verify tokens locally with the JWKS
        "CheckPermission": (),
    }
}
ERRORS = {UserNotFound: grpc.StatusCode.NOT_FOUND, ValueError: grpc.StatusCode.INVALID_ARGUMENT}


def _timestamp(value: datetime | int) -> Timestamp:
    stamp = Timestamp()
    if isinstance(value, int):
        stamp.FromSeconds(value)
    else:
        stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp


def user_message(user: User) -> auth_pb2.User:
    return auth_pb2.User(
        id=str(user.id),
        email=user.email,
        name=user.name or "",
        phone=user.phone or "",
        roles=list(user.roles),
        email_verified=user.email_verified,
        created_at=_timestamp(user.created_at),
    )


def claims_message(claims: dict[str, Any]) -> auth_pb2.TokenClaims:
    audience = claims.get("aud", [])
    return auth_pb2.TokenClaims(
        sub=str(claims["sub"]),
        sid=str(claims["sid"]),
        roles=[str(role) for role in claims.get("roles", [])],
        exp=_timestamp(int(claims["exp"])),
        iat=_timestamp(int(claims["iat"])),
        iss=str(claims["iss"]),
        aud=[audience] if isinstance(audience, str) else list(audience),
        jti=str(claims["jti"]),
    )


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, auth: Auth) -> None:
        self.auth = auth

    def GetUser(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            user = accounts.get_user(uuid.UUID(request.id), self.auth.uow())
        except (UserNotFound, ValueError) as exc:
            abort_for(context, exc, ERRORS)
        return auth_pb2.GetUserResponse(user=user_message(user))

    def GetUsers(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            ids = [uuid.UUID(value) for value in request.ids]
        except ValueError as exc:
            abort_for(context, exc, ERRORS)
        users = accounts.get_users(ids, self.auth.uow())
        found = {str(user.id) for user in users}
        missing = [str(i) for i in dict.fromkeys(ids) if str(i) not in found]
        return auth_pb2.GetUsersResponse(
            users=[user_message(user) for user in users], missing_ids=missing
        )

    def IntrospectToken(self, request: Any, context: grpc.ServicerContext) -> Any:
        claims = sessions.introspect(request.token, self.auth.uow(), tokens=self.auth.tokens)
        if claims is None:
            return auth_pb2.IntrospectTokenResponse(active=False)
        return auth_pb2.IntrospectTokenResponse(active=True, claims=claims_message(claims))

    def CheckPermission(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            user_id = uuid.UUID(request.user_id)
        except ValueError as exc:
            abort_for(context, exc, ERRORS)
        allowed = accounts.check_permission(user_id, request.permission, self.auth.uow())
        return auth_pb2.CheckPermissionResponse(allowed=allowed)


def create_server(service: Auth, *, port: int | None = None) -> KeelServer:
    """The server, not started, on ``port`` (default: the settings'; 0: a free one)."""
    service.keys.ensure_key()
    servicer = AuthServicer(service)
    return create_keel_server(
        "auth",
        service.settings.grpc_port if port is None else port,
        lambda server: auth_pb2_grpc.add_AuthServiceServicer_to_server(servicer, server),
        service_names=[SERVICE_NAME],
        callers=CALLERS,
        security=ServerSecurity.from_settings(service.settings),
    )
