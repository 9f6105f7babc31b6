"""What a provider is asked to deliver: one value object per channel.

They are built from a ``Notification``'s rendered content, so a provider never sees the
template or the event that caused the message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from keel_notification.domain.model import Category, Channel, Notification, Platform


@dataclass(frozen=True)
class EmailMessage:
    id: uuid.UUID
    category: Category
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class SmsMessage:
    id: uuid.UUID
    category: Category
    to: str
    body: str


@dataclass(frozen=True)
class PushMessage:
    id: uuid.UUID
    category: Category
    platform: Platform
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)


Message = EmailMessage | SmsMessage | PushMessage


@dataclass(frozen=True)
class Receipt:
    """A provider accepted the message: which provider, and the id it gave the message."""

    provider: str
    message_id: str


def message_for(notification: Notification) -> Message:
    """The provider-facing message of a queued notification (its content must still be there)."""
    content: dict[str, Any] = notification.content or {}
    n = notification
    if n.channel is Channel.EMAIL:
        return EmailMessage(
            n.id, n.category, n.recipient, content["subject"], content["text"], content["html"]
        )
    if n.channel is Channel.SMS:
        return SmsMessage(n.id, n.category, n.recipient, content["body"])
    if n.platform is None:
        raise ValueError(f"push notification {n.id} has no platform")
    return PushMessage(
        n.id,
        n.category,
        n.platform,
        n.recipient,
        content["title"],
        content["body"],
        dict(content.get("data") or {}),
    )
