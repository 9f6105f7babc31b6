"""In-memory implementations of every port, for fast tests and for wiring without servers."""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from keel_common.pagination import Page, page_of
from keel_events import Event
from keel_notification.adapters.failover import M, Provider
from keel_notification.adapters.repositories import after, position
from keel_notification.domain.errors import TemplateRenderError
from keel_notification.domain.messages import EmailMessage, PushMessage, SmsMessage
from keel_notification.domain.model import (
    Channel,
    Contact,
    Device,
    Notification,
    Preferences,
    Status,
)
from keel_notification.service_layer import ports
from keel_notification.service_layer.ports import Purchase


class FakeClock:
    """A clock that only moves when told to: ``clock()`` is now, ``advance`` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 3, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()


class FakeNotificationRepository(ports.NotificationRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Notification] = {}

    def add(self, notification: Notification) -> None:
        self.rows[notification.id] = notification

    def get(self, id: uuid.UUID) -> Notification | None:
        return self.rows.get(id)

    def get_many(self, ids: Sequence[uuid.UUID]) -> list[Notification]:
        return [self.rows[i] for i in ids if i in self.rows]

    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        due = [n for n in self.rows.values() if n.is_due(now)]
        return sorted(due, key=lambda n: n.next_attempt_at or now)[:limit]

    def count_failed_since(self, since: datetime) -> int:
        return sum(
            1 for n in self.rows.values() if n.status is Status.FAILED and n.created_at >= since
        )

    def page(
        self,
        *,
        user_id: uuid.UUID | None,
        event_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        recipient: str | None = None,
    ) -> Page[Notification]:
        rows = [
            n
            for n in self.rows.values()
            if (user_id is None or n.user_id == user_id)
            and (event_id is None or n.event_id == event_id)
            and (recipient is None or n.recipient == recipient)
        ]
        rows.sort(key=lambda n: (n.created_at, n.id), reverse=True)
        if cursor:
            start = after(cursor)
            rows = [n for n in rows if (n.created_at, n.id) < (start.created_at, start.id)]
        return page_of(rows[: limit + 1], limit, position)


class FakeDeviceRepository(ports.DeviceRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Device] = {}

    def add(self, device: Device) -> None:
        self.rows[device.token] = device

    def get(self, device_id: uuid.UUID) -> Device | None:
        return next((d for d in self.rows.values() if d.id == device_id), None)

    def by_token(self, token: str) -> Device | None:
        return self.rows.get(token)

    def active_for_user(self, user_id: uuid.UUID) -> list[Device]:
        return [d for d in self.rows.values() if d.user_id == user_id and d.active]


class FakePreferencesRepository(ports.PreferencesRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Preferences] = {}

    def add(self, preferences: Preferences) -> None:
        self.rows[preferences.user_id] = preferences

    def get(self, user_id: uuid.UUID) -> Preferences | None:
        return self.rows.get(user_id)


class FakeContactRepository(ports.ContactRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Contact] = {}

    def add(self, contact: Contact) -> None:
        self.rows[contact.user_id] = contact

    def get(self, user_id: uuid.UUID) -> Contact | None:
        return self.rows.get(user_id)

    def registered_between(self, start: datetime, end: datetime) -> int:
        return sum(
            1 for c in self.rows.values() if c.registered_at and start <= c.registered_at < end
        )

    def user_ids_after(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        ids = sorted(self.rows)
        return [i for i in ids if after is None or i > after][:limit]


class FakeInbox(ports.Inbox):
    def __init__(self) -> None:
        self.seen: set[uuid.UUID] = set()

    def first_time(self, event_id: uuid.UUID) -> bool:
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        return True


class FakePersonalData(ports.PersonalData):
    """Works on whichever tables its unit of work uses at the time of the call."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def forget_user(self, user_id: uuid.UUID) -> None:
        uow = self.uow
        uow.devices.rows = {t: d for t, d in uow.devices.rows.items() if d.user_id != user_id}
        uow.preferences.rows.pop(user_id, None)
        uow.contacts.rows.pop(user_id, None)

    def log_about(self, user_id: uuid.UUID, addresses: Collection[str]) -> list[Notification]:
        rows = self.uow.notifications.rows.values()
        return [n for n in rows if n.user_id == user_id or n.recipient in addresses]


@dataclass
class _Tables:
    notifications: FakeNotificationRepository = field(default_factory=FakeNotificationRepository)
    devices: FakeDeviceRepository = field(default_factory=FakeDeviceRepository)
    preferences: FakePreferencesRepository = field(default_factory=FakePreferencesRepository)
    contacts: FakeContactRepository = field(default_factory=FakeContactRepository)
    inbox: FakeInbox = field(default_factory=FakeInbox)


class FakeUnitOfWork(ports.UnitOfWork):
    """In memory and transactional like the real one: inside ``with uow`` the repositories
    are a copy of the committed state; ``commit`` makes that copy the committed state, and
    leaving the block discards whatever was not committed. Outside a block the repositories
    are the committed state itself (tests seed and read it there). ``commits`` counts."""

    notifications: FakeNotificationRepository
    devices: FakeDeviceRepository
    preferences: FakePreferencesRepository
    contacts: FakeContactRepository
    inbox: FakeInbox
    personal_data: FakePersonalData

    def __init__(self) -> None:
        self._committed = _Tables()
        self._use(self._committed)
        self.commits = 0
        self.personal_data = FakePersonalData(self)
        #: What committed work published (erasure reports).
        self.events: list[Event] = []
        self._pending: list[Event] = []

    def __enter__(self) -> FakeUnitOfWork:
        self._committed = self._tables()
        self._use(copy.deepcopy(self._committed))
        self._pending = []
        return self

    def publish(self, event: Event) -> None:
        self._pending.append(event)

    def commit(self) -> None:
        self._committed = copy.deepcopy(self._tables())
        self.commits += 1
        self.events.extend(self._pending)
        self._pending = []

    def rollback(self) -> None:
        self._use(self._committed)
        self._pending = []

    def _tables(self) -> _Tables:
        return _Tables(
            self.notifications, self.devices, self.preferences, self.contacts, self.inbox
        )

    def _use(self, tables: _Tables) -> None:
        self.notifications = tables.notifications
        self.devices = tables.devices
        self.preferences = tables.preferences
        self.contacts = tables.contacts
        self.inbox = tables.inbox


class FakeProvider(Provider[M]):
    """Records what it was asked to send; ``fail_with`` scripts errors for the next sends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[M] = []
        self.attempts = 0
        self.failures: list[Exception] = []
        self.always: Exception | None = None

    def fail_with(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def send(self, message: M) -> str:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        if self.always is not None:
            raise self.always
        self.sent.append(message)
        return f"{self.name}-{len(self.sent)}"


class FakeEmailProvider(FakeProvider[EmailMessage]):
    def __init__(self, name: str = "fake-email") -> None:
        super().__init__(name)


class FakeSmsProvider(FakeProvider[SmsMessage]):
    def __init__(self, name: str = "fake-sms") -> None:
        super().__init__(name)


class FakePushProvider(FakeProvider[PushMessage]):
    def __init__(self, name: str = "fake-push") -> None:
        super().__init__(name)


class FakeRenderer(ports.TemplateRenderer):
    """Renders ``template: context`` and fails on templates listed in ``broken``."""

    def __init__(self) -> None:
        self.broken: set[str] = set()

    def render(
        self, channel: Channel, template: str, locale: str, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        if template in self.broken:
            raise TemplateRenderError(f"'{template}' needs a variable that is missing")
        text = f"{template}[{locale}]: {dict(context)}"
        if channel is Channel.EMAIL:
            return {"subject": template, "text": text, "html": f"<p>{text}</p>"}
        if channel is Channel.SMS:
            return {"body": text}
        return {"title": template, "body": text, "data": {}}


class FakePurchaseHistory(ports.PurchaseHistory):
    def __init__(self) -> None:
        self.purchases: dict[uuid.UUID, list[Purchase]] = defaultdict(list)
        self.calls: list[list[uuid.UUID]] = []

    def for_users(
        self, user_ids: Sequence[uuid.UUID], since: datetime
    ) -> dict[uuid.UUID, list[Purchase]]:
        self.calls.append(list(user_ids))
        return {
            u: [p for p in self.purchases[u] if p.last_purchased_at >= since]
            for u in user_ids
            if self.purchases.get(u)
        }


class FakeUserDirectory(ports.UserDirectory):
    """Auth's users as contacts; ``calls`` records each batch, ``unavailable`` fails them all."""

    def __init__(self, users: Iterable[Contact] = ()) -> None:
        self.users = {c.user_id: c for c in users}
        self.calls: list[set[uuid.UUID]] = []
        self.unavailable = False

    def contacts(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        self.calls.append(set(user_ids))
        if self.unavailable:
            raise ports.ContactsUnavailable("auth is down (fake)")
        return {
            u: Contact(user_id=u, email=c.email, phone=c.phone, registered_at=c.registered_at)
            for u, c in self.users.items()
            if u in user_ids
        }
