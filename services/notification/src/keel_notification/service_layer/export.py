"""Notification's part of a data export (issue #14), for auth's ``ExportUserData``.

What it holds about the user, without a secret: devices with their push token masked,
the contact and preferences, and the delivery log as metadata only (which template, on
which channel, when, with what outcome). A message's content (OTP codes, links carrying
tokens) is never exported, even while it is still queued.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from keel_notification.domain.model import Device, Notification
from keel_notification.service_layer.ports import UnitOfWork


def export_user(uow: UnitOfWork, user_id: uuid.UUID) -> dict[str, Any]:
    with uow:
        contact = uow.contacts.get(user_id)
        preferences = uow.preferences.get(user_id)
        addresses = [a for a in (contact.email, contact.phone) if a] if contact else []
        log = uow.personal_data.log_about(user_id, addresses)
        return {
            "devices": [_device(d) for d in uow.devices.active_for_user(user_id)],
            "contact": contact
            and {"email": contact.email, "phone": contact.phone, "locale": contact.locale},
            "preferences": preferences
            and {
                "email_promotional": preferences.email_promotional,
                "sms_promotional": preferences.sms_promotional,
                "push_promotional": preferences.push_promotional,
                "quiet_hours": str(preferences.quiet_hours) if preferences.quiet_hours else None,
            },
            "deliveries": [_delivery(n) for n in log],
        }


def mask_token(token: str) -> str:
    """Enough to recognise one's own device, not enough to push to it."""
    return f"{token[:4]}…{token[-4:]}" if len(token) > 12 else "…"


def _device(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.id),
        "platform": str(device.platform),
        "token": mask_token(device.token),
    }


def _delivery(n: Notification) -> dict[str, Any]:
    return {
        "id": str(n.id),
        "channel": str(n.channel),
        "template": n.template,
        "status": str(n.status),
        "created_at": _iso(n.created_at),
        "sent_at": _iso(getattr(n, "sent_at", None)),
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
