"""The trust boundary inside the platform: every gRPC server of the running platform speaks
mutual TLS and answers a method only to the services its allowlist names."""

from __future__ import annotations

import grpc
import pytest

from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc
from keel_protos.notification.v1 import notification_pb2, notification_pb2_grpc

from .platform import Platform

TIMEOUT = 10
USERS = auth_pb2.GetUsersRequest(ids=["00000000-0000-0000-0000-000000000001"])


def test_a_caller_without_a_certificate_gets_no_answer(platform: Platform) -> None:
    with (
        grpc.insecure_channel(platform.grpc_address("auth")) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        auth_pb2_grpc.AuthServiceStub(channel).GetUsers(USERS, timeout=TIMEOUT)

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_auth_gives_users_to_core_and_to_no_other_service(platform: Platform) -> None:
    with platform.grpc_channel("auth", caller="core") as channel:
        answer = auth_pb2_grpc.AuthServiceStub(channel).GetUsers(USERS, timeout=TIMEOUT)
    with (
        platform.grpc_channel("auth", caller="search") as channel,
        pytest.raises(grpc.RpcError) as denied,
    ):
        auth_pb2_grpc.AuthServiceStub(channel).GetUsers(USERS, timeout=TIMEOUT)

    assert list(answer.missing_ids) == list(USERS.ids)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_no_service_may_send_mail_through_notification(platform: Platform) -> None:
    request = notification_pb2.SendRequest(
        channel=notification_pb2.CHANNEL_EMAIL,
        template="welcome",
        to="victim@example.com",
        idempotency_key="e2e-trust",
    )
    with (
        platform.grpc_channel("notification", caller="core") as channel,
        pytest.raises(grpc.RpcError) as denied,
    ):
        notification_pb2_grpc.NotificationServiceStub(channel).Send(request, timeout=TIMEOUT)

    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
