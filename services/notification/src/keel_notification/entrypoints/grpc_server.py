"""The notification gRPC server: ``create_server(service)`` is what ``keel-notification grpc``
runs. ``Send`` queues a transactional request and answers at once; the worker delivers it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from keel_common.grpc import Callers, KeelServer, ServerSecurity, abort_for
from keel_common.grpc import create_server as create_keel_server
from keel_notification.domain import errors
from keel_notification.domain.commands import SendNotification
from keel_notification.domain.model import Channel, Notification
from keel_notification.service_layer import export, history, intake
from keel_notification.service_layer.ports import ContactsUnavailable
from keel_protos.notification.v1 import notification_pb2 as pb
from keel_protos.notification.v1 import notification_pb2_grpc

if TYPE_CHECKING:
    from keel_notification.bootstrap import Notifications

SERVICE_NAMES = ["notification.v1.NotificationService"]
# Who may call what (the caller's certificate names it); a method not listed: nobody.
# Services ask for messages through events today; Send would mail any address, so it stays
# closed until a caller needs it. "operator" is the certificate an on-call engineer is issued
# for diagnostics (docs/deploy.md).
CALLERS: Callers = {
    "notification.v1.NotificationService": {
        "Send": (),
        "GetDeliveryStatus": ("operator",),
        "ExportUserData": ("auth",),  # issue #14's data export: auth only
    }
}
CHANNELS = {
    pb.CHANNEL_EMAIL: Channel.EMAIL,
    pb.CHANNEL_SMS: Channel.SMS,
    pb.CHANNEL_PUSH: Channel.PUSH,
}
CODES: Mapping[type[Exception], grpc.StatusCode] = {
    errors.InvalidSendRequest: grpc.StatusCode.INVALID_ARGUMENT,
    errors.UnknownTemplate: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotificationNotFound: grpc.StatusCode.NOT_FOUND,
    ContactsUnavailable: grpc.StatusCode.UNAVAILABLE,
}


def _plain(value: Any) -> Any:
    """Struct numbers are doubles; give templates back the integers callers sent."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.InvalidSendRequest(f"{field} is not a UUID") from None


def send_command(request: pb.SendRequest) -> SendNotification:
    if request.channel not in CHANNELS:
        raise errors.InvalidSendRequest("channel is required")
    if not request.idempotency_key:
        raise errors.InvalidSendRequest("idempotency_key is required")
    return SendNotification(
        channel=CHANNELS[request.channel],
        template=request.template,
        variables=_plain(json_format.MessageToDict(request.variables)),
        user_id=_uuid(request.user_id, "user_id") if request.user_id else None,
        to=request.to if request.HasField("to") else None,
        locale=request.locale or None,
        idempotency_key=request.idempotency_key,
    )


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def status_response(n: Notification) -> pb.GetDeliveryStatusResponse:
    channel = {v: k for k, v in CHANNELS.items()}[n.channel]
    return pb.GetDeliveryStatusResponse(
        id=str(n.id),
        status=str(n.status),
        channel=channel,
        provider=n.provider or "",
        attempts=n.attempts,
        created_at=_timestamp(n.created_at),
        updated_at=_timestamp(getattr(n, "updated_at", None)),
        sent_at=_timestamp(n.sent_at),
        category=str(n.category),
        template=n.template,
        error=n.error or "",
    )


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(self, service: Notifications) -> None:
        self.app = service

    def Send(self, request: pb.SendRequest, context: grpc.ServicerContext) -> pb.SendResponse:
        try:
            accepted = intake.send_direct(
                self.app.uow(),
                send_command(request),
                renderer=self.app.renderer,
                now=self.app.clock(),
                directory=self.app.directory,
            )
        except (errors.NotificationError, ContactsUnavailable) as exc:
            abort_for(context, exc, CODES)
        ids = [str(n.id) for n in accepted.notifications]
        return pb.SendResponse(delivery_id=ids[0] if ids else "", delivery_ids=ids)

    def GetDeliveryStatus(
        self, request: pb.GetDeliveryStatusRequest, context: grpc.ServicerContext
    ) -> pb.GetDeliveryStatusResponse:
        try:
            notification = history.delivery_status(self.app.uow(), _uuid(request.id, "id"))
        except errors.NotificationError as exc:
            abort_for(context, exc, CODES)
        return status_response(notification)

    def ExportUserData(
        self, request: pb.ExportUserDataRequest, context: grpc.ServicerContext
    ) -> pb.ExportUserDataResponse:
        """Auth's data export (issue #14): no push token in clear, no message content."""
        try:
            user_id = _uuid(request.user_id, "user_id")
        except errors.NotificationError as exc:
            abort_for(context, exc, CODES)
        document = export.export_user(self.app.uow(), user_id)
        return pb.ExportUserDataResponse(document=json.dumps(document).encode())


def create_server(service: Notifications, *, port: int | None = None) -> KeelServer:
    """The server, not started."""
    servicer = NotificationServicer(service)

    def register(server: grpc.Server) -> None:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(servicer, server)

    return create_keel_server(
        "notification",
        service.settings.grpc_port if port is None else port,
        register,
        service_names=SERVICE_NAMES,
        callers=CALLERS,
        security=ServerSecurity.from_settings(service.settings),
    )
