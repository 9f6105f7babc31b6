"""auth.v1.AuthService through real generated stubs over a real channel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest

from keel_auth.bootstrap import Auth
from keel_auth.config import AuthSettings
from keel_auth.entrypoints.grpc_server import create_server
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc

from .conftest import Client


@pytest.fixture
def stub(settings: AuthSettings, auth: Auth) -> Iterator[auth_pb2_grpc.AuthServiceStub]:
    server = create_server(replace(auth, settings=settings.model_copy(update={"grpc_port": 0})))
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield auth_pb2_grpc.AuthServiceStub(channel)
    finally:
        channel.close()
        server.stop(None)


def test_get_user(client: Client, stub: auth_pb2_grpc.AuthServiceStub) -> None:
    user = client.sign_up(name="Ada", phone="+14155550123")

    reply = stub.GetUser(auth_pb2.GetUserRequest(id=user["id"]), timeout=5)

    assert (reply.user.id, reply.user.email, reply.user.name) == (user["id"], user["email"], "Ada")
    assert list(reply.user.roles) == ["user"]
    assert reply.user.created_at.seconds > 0


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        ("7d4f6c2e-9a51-4f0e-8c3b-2b1f0d9e6a71", grpc.StatusCode.NOT_FOUND),
        ("nope", grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_get_user_errors(
    client: Client, stub: auth_pb2_grpc.AuthServiceStub, user_id: str, code: grpc.StatusCode
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetUser(auth_pb2.GetUserRequest(id=user_id), timeout=5)
    assert caught.value.code() is code


def test_get_users_in_one_call(client: Client, stub: auth_pb2_grpc.AuthServiceStub) -> None:
    ada, bob = client.sign_up(), client.sign_up("bob@example.com")
    ghost = str(uuid.uuid4())

    reply = stub.GetUsers(auth_pb2.GetUsersRequest(ids=[bob["id"], ghost, ada["id"]]), timeout=5)

    assert [u.id for u in reply.users] == [bob["id"], ada["id"]]
    assert list(reply.missing_ids) == [ghost]


def test_introspect_token(client: Client, stub: auth_pb2_grpc.AuthServiceStub) -> None:
    user = client.sign_up()
    pair = client.log_in()

    live = stub.IntrospectToken(auth_pb2.IntrospectTokenRequest(token=pair["access_token"]))
    assert live.active
    assert (live.claims.sub, list(live.claims.roles)) == (user["id"], ["user"])
    assert list(live.claims.aud) == ["keel"]

    client.post("/v1/auth/logout", {}, token=pair["access_token"])
    revoked = stub.IntrospectToken(auth_pb2.IntrospectTokenRequest(token=pair["access_token"]))
    garbage = stub.IntrospectToken(auth_pb2.IntrospectTokenRequest(token="garbage"))
    assert not revoked.active
    assert not garbage.active
    assert not revoked.HasField("claims")


def test_check_permission(client: Client, stub: auth_pb2_grpc.AuthServiceStub) -> None:
    user = client.sign_up()
    admin = client.create_admin("root@example.com")

    def allowed(user_id: str, permission: str) -> bool:
        request = auth_pb2.CheckPermissionRequest(user_id=user_id, permission=permission)
        return bool(stub.CheckPermission(request, timeout=5).allowed)

    assert allowed(str(admin.id), "products:write")
    assert not allowed(user["id"], "products:write")
    assert not allowed(str(uuid.uuid4()), "products:write")
