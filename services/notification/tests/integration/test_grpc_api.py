"""The internal gRPC API (Send, GetDeliveryStatus) through a real channel."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import struct_pb2

from keel_common.auth import FakeTokenVerifier
from keel_common.settings import load_settings
from keel_notification.bootstrap import bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.commands import RegisterDevice
from keel_notification.domain.model import Platform
from keel_notification.entrypoints.grpc_server import create_server
from keel_notification.service_layer.devices import register_device
from keel_protos.notification.v1 import notification_pb2 as pb
from keel_protos.notification.v1 import notification_pb2_grpc


@pytest.fixture
def wired(engine, database_url, tmp_path):
    settings = load_settings(
        NotificationSettings, database_url=database_url, file_delivery_dir=tmp_path / "outbox"
    )
    return bootstrap(settings, engine=engine, verifier=FakeTokenVerifier())


@pytest.fixture
def stub(wired):
    server = create_server(wired, port=0)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    yield notification_pb2_grpc.NotificationServiceStub(channel)
    channel.close()
    server.stop(None)


def variables(**values) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def otp_request(key: str = "otp-1", **kw) -> pb.SendRequest:
    return pb.SendRequest(
        channel=pb.CHANNEL_SMS,
        template="otp",
        variables=variables(code="482913", minutes=5),
        to="+15550100",
        idempotency_key=key,
        **kw,
    )


def test_send_queues_at_once_and_the_status_can_be_read(stub):
    response = stub.Send(otp_request(), timeout=5)
    status = stub.GetDeliveryStatus(pb.GetDeliveryStatusRequest(id=response.delivery_id), timeout=5)
    assert list(response.delivery_ids) == [response.delivery_id]
    assert (status.status, status.channel, status.category, status.template) == (
        "queued",
        pb.CHANNEL_SMS,
        "transactional",
        "otp",
    )
    assert status.attempts == 0 and not status.HasField("sent_at")


def test_integral_struct_numbers_reach_templates_as_integers(stub, wired):
    response = stub.Send(otp_request(), timeout=5)
    with wired.uow() as uow:
        content = uow.notifications.get(uuid.UUID(response.delivery_id)).content
    assert "expires in 5 minutes" in content["body"]


def test_a_repeated_idempotency_key_returns_the_first_delivery(stub):
    first = stub.Send(otp_request("same"), timeout=5)
    second = stub.Send(otp_request("same"), timeout=5)
    assert second.delivery_id == first.delivery_id


def test_a_push_request_queues_one_delivery_per_device(stub, wired):
    user_id = uuid.uuid4()
    register_device(wired.uow(), RegisterDevice(user_id, Platform.IOS, "ab" * 32))
    register_device(wired.uow(), RegisterDevice(user_id, Platform.ANDROID, "fcm-1"))
    request = pb.SendRequest(
        user_id=str(user_id),
        channel=pb.CHANNEL_PUSH,
        template="promotion",
        variables=variables(headline="Sale", body="Tea", url="https://x/sale"),
        idempotency_key="push-1",
    )
    response = stub.Send(request, timeout=5)
    assert len(response.delivery_ids) == 2
    status = stub.GetDeliveryStatus(
        pb.GetDeliveryStatusRequest(id=response.delivery_ids[0]), timeout=5
    )
    assert status.category == "promotional"  # the template's category, whatever the API


@pytest.mark.parametrize(
    "request_",
    [
        pb.SendRequest(template="otp", to="+1", idempotency_key="k"),
        pb.SendRequest(channel=pb.CHANNEL_SMS, template="otp", to="+1"),
        pb.SendRequest(channel=pb.CHANNEL_SMS, template="nope", to="+1", idempotency_key="k"),
        pb.SendRequest(channel=pb.CHANNEL_EMAIL, template="welcome", idempotency_key="k"),
        pb.SendRequest(
            user_id="not-a-uuid", channel=pb.CHANNEL_EMAIL, template="welcome", idempotency_key="k"
        ),
    ],
)
def test_requests_that_cannot_be_sent_are_invalid_arguments(stub, request_):
    with pytest.raises(grpc.RpcError) as caught:
        stub.Send(request_, timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_an_unknown_delivery_is_not_found(stub):
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetDeliveryStatus(pb.GetDeliveryStatusRequest(id=str(uuid.uuid4())), timeout=5)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
