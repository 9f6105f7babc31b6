"""The ports the use cases need; adapters implement them, tests use the ``Fake*`` ones."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_common.pagination import Page
from keel_common.unit_of_work import AbstractUnitOfWork
from keel_events import Event
from keel_notification.domain.messages import Message, Receipt
from keel_notification.domain.model import Channel, Contact, Device, Notification, Preferences


class NotificationRepository(abc.ABC):
    """The delivery log."""

    @abc.abstractmethod
    def count_failed_since(self, since: datetime) -> int:
        """Messages created at or after ``since`` that have failed (the dashboard's tile)."""

    @abc.abstractmethod
    def add(self, notification: Notification) -> None: ...

    @abc.abstractmethod
    def get(self, id: uuid.UUID) -> Notification | None: ...

    @abc.abstractmethod
    def get_many(self, ids: Sequence[uuid.UUID]) -> list[Notification]:
        """Those of ``ids`` that exist, in any order (one query for a batch of outcomes)."""

    @abc.abstractmethod
    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        """Queued messages whose time has come, oldest first, locked against other workers."""

    @abc.abstractmethod
    def page(
        self,
        *,
        user_id: uuid.UUID | None,
        event_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        recipient: str | None = None,
    ) -> Page[Notification]:
        """Messages matching the filters given (None = any; ``recipient`` exact), newest first.

        Raises ``InvalidCursor`` on a cursor this repository did not issue.
        """


class DeviceRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, device: Device) -> None: ...

    @abc.abstractmethod
    def get(self, device_id: uuid.UUID) -> Device | None:
        """The device registered with this id, including removed ones."""

    @abc.abstractmethod
    def by_token(self, token: str) -> Device | None:
        """The device with this token, including removed ones (so it can be re-registered)."""

    @abc.abstractmethod
    def active_for_user(self, user_id: uuid.UUID) -> list[Device]: ...


class PreferencesRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, preferences: Preferences) -> None: ...

    @abc.abstractmethod
    def get(self, user_id: uuid.UUID) -> Preferences | None: ...


class ContactRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, contact: Contact) -> None: ...

    @abc.abstractmethod
    def get(self, user_id: uuid.UUID) -> Contact | None: ...

    @abc.abstractmethod
    def registered_between(self, start: datetime, end: datetime) -> int:
        """How many users registered in ``[start, end)``."""

    @abc.abstractmethod
    def user_ids_after(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Known user ids in a stable order, for jobs that walk every user in batches."""


class Inbox(abc.ABC):
    """Ids of the events already handled, stored in the same transaction as their effects."""

    @abc.abstractmethod
    def first_time(self, event_id: uuid.UUID) -> bool:
        """Record ``event_id``; False if it was recorded before (a redelivery)."""


class PersonalData(abc.ABC):
    """What notification forgets when an account is erased (issue #14)."""

    @abc.abstractmethod
    def forget_user(self, user_id: uuid.UUID) -> None:
        """Delete the user's devices (removed ones too), preferences and contact."""

    @abc.abstractmethod
    def log_about(self, user_id: uuid.UUID, addresses: Collection[str]) -> list[Notification]:
        """The delivery log's messages for ``user_id`` or sent to one of ``addresses``."""


class UnitOfWork(AbstractUnitOfWork):
    """One transaction over every repository; leaving the block without commit rolls back."""

    notifications: NotificationRepository
    devices: DeviceRepository
    preferences: PreferencesRepository
    contacts: ContactRepository
    inbox: Inbox
    personal_data: PersonalData

    @abc.abstractmethod
    def publish(self, event: Event) -> None:
        """Queue an event, stored in the outbox if and only if this work commits."""


class Sender(abc.ABC):
    """Delivers a message on its channel (the adapter chooses among that channel's providers
    and fails over between them); returns who sent it."""

    @abc.abstractmethod
    def send(self, message: Message) -> Receipt: ...

    def close(self) -> None:  # noqa: B027 - an optional hook: fakes hold nothing to release
        """Release the providers' connections; called once when the process stops."""


class TemplateRenderer(abc.ABC):
    @abc.abstractmethod
    def render(
        self, channel: Channel, template: str, locale: str, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The content of one message: email {subject, text, html}, sms {body},
        push {title, body, data}. Raises TemplateRenderError on a missing variable."""


@dataclass(frozen=True)
class Purchase:
    product_id: str
    name: str
    quantity: int
    last_purchased_at: datetime


class PurchaseHistoryUnavailable(Exception):
    """Core could not answer in time; the job fails and a rerun picks up where it stopped."""


class PurchaseHistory(abc.ABC):
    """What users bought, from core."""

    @abc.abstractmethod
    def for_users(
        self, user_ids: Sequence[uuid.UUID], since: datetime
    ) -> dict[uuid.UUID, list[Purchase]]:
        """Purchases per user since ``since``, one entry per product; users with none omitted.

        Raises ``PurchaseHistoryUnavailable`` when core cannot be reached.
        """

    def close(self) -> None:  # noqa: B027 - an optional hook: fakes hold nothing to release
        """Release connections; called once when the process stops."""


class ContactsUnavailable(Exception):
    """Auth could not answer in time; the caller may retry (the event is redelivered)."""


class UserDirectory(abc.ABC):
    """Auth's users, asked for in batches: where to reach users no auth event introduced."""

    @abc.abstractmethod
    def contacts(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        """New contacts of the users auth knows among ``user_ids``; unknown ids are absent.

        Raises ``ContactsUnavailable`` when auth cannot be reached.
        """

    def close(self) -> None:  # noqa: B027 - an optional hook: fakes hold nothing to release
        """Release connections; called once when the process stops."""
