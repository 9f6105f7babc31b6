"""Reading the delivery log: users see their own messages, support (staff, admins) anyone's."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from keel_common.pagination import Page
from keel_common.second_factor import require_second_factor
from keel_notification.domain.errors import Forbidden, NotificationNotFound
from keel_notification.domain.model import Notification
from keel_notification.service_layer.ports import UnitOfWork

#: The back-office roles (issue #13: staff read and operate). Neither sees rendered content.
STAFF_ROLES = frozenset({"staff", "admin"})
MAX_PAGE = 100


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def list_notifications(
    uow: UnitOfWork, user_id: uuid.UUID, *, limit: int = 20, cursor: str | None = None
) -> Page[Notification]:
    """The caller's own messages, newest first."""
    with uow:
        return uow.notifications.page(
            user_id=user_id, event_id=None, limit=_limit(limit), cursor=cursor
        )


def search_notifications(
    uow: UnitOfWork,
    *,
    roles: Collection[str],
    amr: Collection[str] = (),
    mfa_roles: Collection[str] = (),
    user_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    recipient: str | None = None,
    notification_id: uuid.UUID | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page[Notification]:
    """Support's view: any user's messages, or those one event caused. Staff and admins,
    with a second factor in ``amr`` when ``mfa_roles`` (REQUIRE_MFA_FOR_ROLES) name their
    role."""
    require_support(roles, amr, mfa_roles)
    with uow:
        if notification_id is not None:
            found = uow.notifications.get(notification_id)
            return Page([found] if found is not None else [], None)
        return uow.notifications.page(
            user_id=user_id,
            event_id=event_id,
            recipient=recipient,
            limit=_limit(limit),
            cursor=cursor,
        )


def require_support(
    roles: Collection[str], amr: Collection[str], mfa_roles: Collection[str]
) -> None:
    if not STAFF_ROLES & set(roles):
        raise Forbidden("the delivery log of other users is for staff and admins")
    require_second_factor(roles, amr, mfa_roles)


def failed_last_hour(
    uow: UnitOfWork,
    now: datetime,
    *,
    roles: Collection[str],
    amr: Collection[str] = (),
    mfa_roles: Collection[str] = (),
) -> int:
    """Messages created in the hour before ``now`` that failed: the dashboard's tile, with
    the same admission as the delivery log it links to."""
    search_notifications(uow, roles=roles, amr=amr, mfa_roles=mfa_roles, limit=1)
    with uow:
        return uow.notifications.count_failed_since(now - timedelta(hours=1))


def message_log(
    uow: UnitOfWork,
    notification_id: uuid.UUID,
    *,
    roles: Collection[str],
    amr: Collection[str] = (),
    mfa_roles: Collection[str] = (),
) -> Notification:
    """One message's delivery log (attempts, provider, status, error) for support: the
    same admission as ``search_notifications``; the rendered content is never returned."""
    page = search_notifications(
        uow, roles=roles, amr=amr, mfa_roles=mfa_roles, notification_id=notification_id
    )
    if not page.items:
        raise NotificationNotFound(f"no notification {notification_id}")
    return page.items[0]


def delivery_status(uow: UnitOfWork, notification_id: uuid.UUID) -> Notification:
    with uow:
        notification = uow.notifications.get(notification_id)
        if notification is None:
            raise NotificationNotFound(f"no notification {notification_id}")
        return notification
