from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from keel_common.messaging import Envelope
from keel_events import Event
from keel_events.core import OrderCancelled, OrderLine, OrderPlaced
from keel_notification.adapters.failover import ChannelSenders, CircuitBreaker, FailoverSender
from keel_notification.adapters.fakes import (
    FakeClock,
    FakeEmailProvider,
    FakePushProvider,
    FakeSmsProvider,
    FakeUnitOfWork,
)
from keel_notification.adapters.templates import JinjaRenderer
from keel_notification.domain.model import Category, Contact, Device, Platform
from keel_notification.domain.policy import RetryPolicy
from keel_notification.entrypoints.consumer import incoming
from keel_notification.service_layer.intake import IncomingEvent
from keel_notification.service_layer.planning import EventPlanner


class Providers:
    """One fake provider per route, wired the way bootstrap wires real ones."""

    def __init__(self, clock: FakeClock) -> None:
        self.email = FakeEmailProvider()
        self.sms_transactional = FakeSmsProvider("sms-transactional")
        self.sms_promotional = FakeSmsProvider("sms-promotional")
        self.apns = FakePushProvider("apns")
        self.fcm = FakePushProvider("fcm")

        def breaker(name: str) -> CircuitBreaker:
            return CircuitBreaker(name, failure_threshold=3, cooldown=60, clock=clock.monotonic)

        self.senders = ChannelSenders(
            email=FailoverSender([self.email], breaker),
            sms={
                Category.TRANSACTIONAL: FailoverSender([self.sms_transactional], breaker),
                Category.PROMOTIONAL: FailoverSender([self.sms_promotional], breaker),
            },
            push={
                Platform.IOS: FailoverSender([self.apns], breaker),
                Platform.ANDROID: FailoverSender([self.fcm], breaker),
            },
        )


class Logged:
    """A message of the delivery log as last committed: the unit of work hands out copies
    (as a session would), so a test reads the log again rather than keep an old copy."""

    def __init__(self, uow: FakeUnitOfWork, notification_id: uuid.UUID) -> None:
        self._uow, self.id = uow, notification_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow.notifications.get(self.id), name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def renderer() -> JinjaRenderer:
    return JinjaRenderer()


@pytest.fixture
def planner() -> EventPlanner:
    return EventPlanner()


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy()


@pytest.fixture
def providers(clock: FakeClock) -> Providers:
    return Providers(clock)


@pytest.fixture
def alice(uow: FakeUnitOfWork, clock: FakeClock) -> uuid.UUID:
    """A registered user with an email, a phone, an iPhone and an Android phone."""
    user_id = uuid.uuid4()
    uow.contacts.add(
        Contact(
            user_id=user_id, email="alice@example.com", phone="+15550001", registered_at=clock()
        )
    )
    uow.devices.add(Device(user_id=user_id, platform=Platform.IOS, token="ios-token-alice"))
    uow.devices.add(Device(user_id=user_id, platform=Platform.ANDROID, token="fcm-token-alice"))
    return user_id


EVENT_TIME = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)


def envelope_of(event: Event, *, id: uuid.UUID | None = None) -> Envelope:
    """The envelope the producer's relay would publish ``event`` in."""
    return Envelope(
        id=str(id or uuid.uuid4()),
        type=event.type,
        source=f"keel-{event.producer}",
        time=EVENT_TIME.isoformat().replace("+00:00", "Z"),
        subject=event.subject,
        data=event.to_data(),
    )


class Events:
    """Events as auth and core publish them (their ``keel_events`` contracts), translated
    the way the consumer translates them."""

    @staticmethod
    def make(event: Event, *, id: uuid.UUID | None = None) -> IncomingEvent:
        envelope = envelope_of(event, id=id)
        return incoming(type(event).from_data(envelope.data), envelope)

    @staticmethod
    def order(buyer: uuid.UUID, **changes: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "id": uuid.uuid4(),
            "buyer_id": buyer,
            "status": "placed",
            "currency": "EUR",
            "total_cents": 2500,
            "items": (
                OrderLine(
                    product_id=uuid.uuid4(), title="Green tea", quantity=2, unit_price_cents=1250
                ),
            ),
            "created_at": EVENT_TIME,
            "updated_at": EVENT_TIME,
        }
        return {**fields, **changes}

    def order_placed(self, buyer: uuid.UUID, **changes: Any) -> IncomingEvent:
        return self.make(OrderPlaced(**self.order(buyer, **changes)))

    def order_cancelled(self, buyer: uuid.UUID, **changes: Any) -> IncomingEvent:
        changes.setdefault("status", "cancelled")
        return self.make(OrderCancelled(**self.order(buyer, **changes)))


@pytest.fixture
def events() -> Events:
    return Events()
