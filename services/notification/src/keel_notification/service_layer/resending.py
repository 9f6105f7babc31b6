"""Support resends a failed transactional message (issue #13).

The rendered content of a settled message is dropped because it may hold a secret; only
templates whose content holds none keep it when they fail (``RESENDABLE_WHEN_FAILED``). A
resend queues that content again for the recipient's *current* address (the contact as
auth's events last told it, or the user's active devices for push), once, for the
dispatcher to send; the original stays failed in the log. Every resend is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from keel_common.audit import AuditRecord, AuditTrail, check_reason
from keel_notification.domain.errors import NotificationNotFound
from keel_notification.domain.model import ERASED_RECIPIENT, Channel, Notification, Platform
from keel_notification.service_layer.history import require_support
from keel_notification.service_layer.ports import UnitOfWork

RESENT = "message.resent"


def resend_failed(
    uow: UnitOfWork,
    audit: AuditTrail,
    notification_id: uuid.UUID,
    *,
    actor_id: uuid.UUID,
    roles: Collection[str],
    amr: Collection[str] = (),
    mfa_roles: Collection[str] = (),
    reason: str,
    now: datetime,
) -> list[Notification]:
    """Queue the failed message ``notification_id`` again; return the new messages.

    ``Forbidden`` for a caller neither staff nor admin, ``MissingReason`` without a reason,
    ``NotificationNotFound``, ``NotResendable`` (409) for anything but a failed
    transactional message that kept its content, or a user with no address left.
    """
    require_support(roles, amr, mfa_roles)
    why = check_reason(reason)
    with uow:
        original = uow.notifications.get(notification_id)
        if original is None:
            raise NotificationNotFound(f"no notification {notification_id}")
        original.resendable()
        copies = original.resend(_current_recipients(uow, original), now)
        for copy in copies:
            uow.notifications.add(copy)
        uow.commit()
    details = {"resent_as": [str(c.id) for c in copies], "template": original.template}
    audit.add(
        AuditRecord(RESENT, str(actor_id), "notification", str(notification_id), why, now, details)
    )
    return copies


def _current_recipients(
    uow: UnitOfWork, original: Notification
) -> list[tuple[str, Platform | None]]:
    """Where the user is reached today; an explicit address (no user) stays as it was."""
    if original.user_id is None:
        erased = original.recipient in ("", ERASED_RECIPIENT)
        return [] if erased else [(original.recipient, original.platform)]
    if original.channel is Channel.PUSH:
        return [(d.token, d.platform) for d in uow.devices.active_for_user(original.user_id)]
    contact = uow.contacts.get(original.user_id)
    address = None
    if contact is not None:
        address = contact.email if original.channel is Channel.EMAIL else contact.phone
    return [(address, None)] if address else []
