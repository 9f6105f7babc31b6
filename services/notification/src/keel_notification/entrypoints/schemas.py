"""Request and response models of the public HTTP API (and of its OpenAPI document)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool, model_validator

from keel_common.http import Schema
from keel_notification.domain.model import Platform, is_push_token
from keel_notification.service_layer.history import MAX_PAGE

TOKEN_MAX = 4096


class DeviceIn(Schema):
    platform: Literal["ios", "android"]
    token: str = Field(
        min_length=1,
        max_length=TOKEN_MAX,
        description="APNs: the device token in hex; FCM: the registration token",
    )

    @model_validator(mode="after")
    def _token_shape(self) -> DeviceIn:
        if not is_push_token(Platform(self.platform), self.token):
            raise ValueError(f"token is not an {self.platform} push token")
        return self


class DeviceOut(BaseModel):
    id: UUID
    platform: Literal["ios", "android"]
    active: bool


class DevicePath(BaseModel):
    id: UUID


class PageQuery(Schema):
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")


class AdminQuery(PageQuery):
    user_id: UUID | None = None
    event_id: UUID | None = Field(default=None, description="the event that caused the message")
    recipient: str | None = Field(
        default=None, max_length=320, description="the address, phone number or device token"
    )
    id: UUID | None = Field(default=None, description="one message by its id")


class NotificationOut(BaseModel):
    id: UUID
    user_id: UUID | None
    event_id: UUID
    channel: Literal["email", "sms", "push"]
    category: Literal["transactional", "promotional"]
    template: str
    status: Literal["queued", "sent", "failed", "suppressed"]
    attempts: int
    provider: str | None
    provider_message_id: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class QuietHoursIn(Schema):
    start: time = Field(description="local time, HH:MM")
    end: time = Field(description="local time, HH:MM; may be earlier than start (overnight)")
    timezone: str = Field(min_length=1, max_length=64, description="IANA zone, e.g. Europe/Paris")


class PreferencesIn(Schema):
    # Strict: the document says boolean, so 0 or "yes" is refused, not read as a boolean.
    email_promotional: StrictBool
    sms_promotional: StrictBool
    push_promotional: StrictBool
    quiet_hours: QuietHoursIn | None = None


class QuietHoursOut(BaseModel):
    start: str
    end: str
    timezone: str


class PreferencesOut(BaseModel):
    email_promotional: bool
    sms_promotional: bool
    push_promotional: bool
    quiet_hours: QuietHoursOut | None


class DeadLetterQueueOut(BaseModel):
    queue: str = Field(description="the consumer queue")
    dead_queue: str = Field(description="where its given-up messages wait")
    dead_letters: int = Field(description="messages in dead_queue now")


class DeadLettersOut(BaseModel):
    queues: list[DeadLetterQueueOut]
