"""Notification's part of an account erasure (issue #14).

Devices, contact and preferences are deleted. The delivery log stays (support and the
metrics read it), but every message for the user, or sent to their address or number, keeps
only what was sent when: its recipient is masked, its content is dropped (settled messages
had dropped it already, but for failed ones kept for resending), and a message still queued
is not sent at all.
"""

from __future__ import annotations

import uuid

from keel_common.clock import Clock
from keel_events.privacy import NotificationUserErased
from keel_notification.service_layer.ports import UnitOfWork


def erase_user(uow: UnitOfWork, user_id: uuid.UUID, clock: Clock) -> int:
    """Forget ``user_id`` and report it; the number of log entries masked. Safe to run
    twice (the second run finds nothing left and reports again; auth keeps the first)."""
    now = clock()
    with uow:
        contact = uow.contacts.get(user_id)
        addresses = [a for a in (contact.email, contact.phone) if a] if contact else []
        masked = 0
        for notification in uow.personal_data.log_about(user_id, addresses):
            notification.forget_recipient()
            masked += 1
        uow.personal_data.forget_user(user_id)
        uow.publish(NotificationUserErased(user_id=user_id, erased_at=now))
        uow.commit()
    return masked
