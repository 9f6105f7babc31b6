"""Completion reports of an account erasure (issue #14), one per service that holds data
about users. Auth consumes them to show the erasure's progress and, once every service
reported, to send the confirmation. They carry only the id of a user that no longer exists."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from keel_events.base import Event


class UserErasedReport(Event):
    subject_field: ClassVar[str] = "user_id"
    #: The service whose part of the erasure this reports (its ``producer``).
    service: ClassVar[str]
    user_id: UUID
    erased_at: datetime


class CoreUserErased(UserErasedReport):
    """Core unlisted the user's products and pseudonymized them as a buyer on orders."""

    type: ClassVar[str] = "core.user.erased.v1"
    producer: ClassVar[str] = "core"
    service: ClassVar[str] = "core"


class NotificationUserErased(UserErasedReport):
    """Notification deleted devices, contacts and preferences and masked the delivery log."""

    type: ClassVar[str] = "notification.user.erased.v1"
    producer: ClassVar[str] = "notification"
    service: ClassVar[str] = "notification"


class SearchUserErased(UserErasedReport):
    """Search removed the user's products from its index."""

    type: ClassVar[str] = "search.user.erased.v1"
    producer: ClassVar[str] = "search"
    service: ClassVar[str] = "search"


#: The reports auth waits for, by service.
ERASURE_REPORTS: tuple[type[UserErasedReport], ...] = (
    CoreUserErased,
    NotificationUserErased,
    SearchUserErased,
)
