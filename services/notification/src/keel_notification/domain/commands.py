"""Commands: what a caller asks the service to do."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keel_notification.domain.model import Channel, Platform, QuietHours


@dataclass(frozen=True)
class SendNotification:
    """A direct send request (gRPC ``Send``): one template on one channel.

    Either ``user_id`` (the user's own address, phone or devices) or ``to`` (an explicit
    address or phone) must be given. The category is the template's, never the caller's.
    The same ``idempotency_key`` twice queues the message once.
    """

    channel: Channel
    template: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    to: str | None = None
    locale: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RegisterDevice:
    user_id: uuid.UUID
    platform: Platform
    token: str


@dataclass(frozen=True)
class RemoveDevice:
    user_id: uuid.UUID
    device_id: uuid.UUID


@dataclass(frozen=True)
class UpdatePreferences:
    user_id: uuid.UUID
    email_promotional: bool
    sms_promotional: bool
    push_promotional: bool
    quiet_hours: QuietHours | None


@dataclass(frozen=True)
class RememberContact:
    """Keep where a user can be reached, as an auth event tells it.

    A registration (``registered_at`` given) introduces the user; other events only update
    a user already known, so no contact is created without its registration time.
    """

    user_id: uuid.UUID
    email: str | None = None
    phone: str | None = None
    registered_at: datetime | None = None
    locale: str | None = None
