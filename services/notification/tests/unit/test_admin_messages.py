"""Support's reads of the delivery log: the dashboard's failed-in-the-last-hour count and
one message's log, admitted like the rest of the delivery log (admins)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from keel_notification.adapters.fakes import FakeUnitOfWork
from keel_notification.domain.errors import Forbidden, NotificationNotFound
from keel_notification.domain.model import Category, Channel, Notification
from keel_notification.service_layer import history

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ADMIN = {"roles": ["admin"]}


def _message(uow: FakeUnitOfWork, created: datetime, *, failed: bool) -> Notification:
    message = Notification(
        user_id=uuid.uuid4(), event_id=uuid.uuid4(), channel=Channel.EMAIL,
        category=Category.TRANSACTIONAL, template="order_placed", locale="en",
        recipient="ada@example.com", content=None, next_attempt_at=created,
    )  # fmt: skip
    if failed:
        message.fail("mailbox unavailable")
    uow.notifications.add(message)
    return message


def test_failed_last_hour_counts_only_failed_messages_of_the_last_hour() -> None:
    uow = FakeUnitOfWork()
    _message(uow, NOW - timedelta(minutes=5), failed=True)
    _message(uow, NOW - timedelta(minutes=50), failed=True)
    _message(uow, NOW - timedelta(minutes=70), failed=True)  # too old
    _message(uow, NOW - timedelta(minutes=5), failed=False)  # still queued
    assert history.failed_last_hour(uow, NOW, **ADMIN) == 2


def test_a_user_gets_neither_the_count_nor_a_message_log() -> None:
    uow = FakeUnitOfWork()
    message = _message(uow, NOW, failed=True)
    with pytest.raises(Forbidden):
        history.failed_last_hour(uow, NOW, roles=["user"])
    with pytest.raises(Forbidden):
        history.message_log(uow, message.id, roles=["user"])


def test_a_message_log_is_found_by_id_and_an_unknown_id_is_not_found() -> None:
    uow = FakeUnitOfWork()
    message = _message(uow, NOW, failed=True)
    assert history.message_log(uow, message.id, **ADMIN).error == "mailbox unavailable"
    with pytest.raises(NotificationNotFound):
        history.message_log(uow, uuid.uuid4(), **ADMIN)
