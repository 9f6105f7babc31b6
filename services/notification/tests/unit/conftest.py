from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

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
from keel_notification.service_layer.failover import (
    ChannelSenders,
    CircuitBreaker,
    FailoverSender,
)
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


class Events:
    """Builders of the events other services publish, in the shapes planning.py reads."""

    @staticmethod
    def make(type: str, data: dict[str, Any], *, id: uuid.UUID | None = None) -> IncomingEvent:
        when = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
        return IncomingEvent(id=id or uuid.uuid4(), type=type, time=when, data=data)

    def order_placed(self, buyer: uuid.UUID, **extra: Any) -> IncomingEvent:
        return self.make(
            "core.order.placed.v1",
            {
                "id": str(uuid.uuid4()),
                "buyer_id": str(buyer),
                "status": "placed",
                "currency": "EUR",
                "total_cents": 2500,
                "items": [
                    {
                        "product_id": str(uuid.uuid4()),
                        "title": "Green tea",
                        "quantity": 2,
                        "unit_price_cents": 1250,
                    }
                ],
                "created_at": "2025-03-03T11:00:00+00:00",
                **extra,
            },
        )


@pytest.fixture
def events() -> Events:
    return Events()
