"""Support's reads of the delivery log (the dashboard's failed-in-the-last-hour count, one
message's log; staff and admins) and resending a failed transactional message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel_common.audit import FakeAuditTrail
from keel_notification.adapters.fakes import FakeUnitOfWork
from keel_notification.domain.errors import Forbidden, NotificationNotFound, NotResendable
from keel_notification.domain.model import Category, Channel, Contact, Notification, Status
from keel_notification.service_layer import history, resending

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


STAFF = {"roles": ["staff"]}
ACTOR = uuid.uuid4()


def _failed(
    uow: FakeUnitOfWork, template: str, *, category: Category = Category.TRANSACTIONAL
) -> Notification:
    user_id = uuid.uuid4()
    uow.contacts.add(Contact(user_id=user_id, email="ada.new@example.com", phone="+15550100"))
    message = Notification(
        user_id=user_id, event_id=uuid.uuid4(), channel=Channel.EMAIL, category=category,
        template=template, locale="en", recipient="ada.old@example.com",
        content={"subject": "Your order", "text": "t", "html": "h"}, next_attempt_at=NOW,
    )  # fmt: skip
    message.fail("mailbox unavailable")
    uow.notifications.add(message)
    return message


def _resend(uow: FakeUnitOfWork, audit: FakeAuditTrail, message_id: uuid.UUID, **who: Any):
    return resending.resend_failed(
        uow, audit, message_id, actor_id=ACTOR, reason="customer asked", now=NOW, **who
    )


def test_staff_see_the_failed_count_and_a_message_log() -> None:
    uow = FakeUnitOfWork()
    message = _message(uow, NOW, failed=True)
    assert history.failed_last_hour(uow, NOW, **STAFF) == 1
    assert history.message_log(uow, message.id, **STAFF).id == message.id


def test_a_failed_transactional_message_without_a_secret_keeps_its_content_others_drop_it():
    uow = FakeUnitOfWork()
    assert _failed(uow, "order_receipt").content is not None
    assert _failed(uow, "password_reset").content is None  # its link carries a token
    erased = _failed(uow, "order_receipt")
    erased.forget_recipient()
    assert erased.content is None


def test_staff_resend_a_failed_receipt_once_to_the_current_address_and_it_is_audited() -> None:
    uow, audit = FakeUnitOfWork(), FakeAuditTrail()
    original = _failed(uow, "order_receipt")
    [copy] = _resend(uow, audit, original.id, **STAFF)

    resent = uow.notifications.get(copy.id)
    assert resent is not None and resent.status is Status.QUEUED and resent.is_due(NOW)
    assert resent.recipient == "ada.new@example.com"
    assert resent.content == {"subject": "Your order", "text": "t", "html": "h"}
    assert resent.event_id == original.event_id
    assert uow.notifications.get(original.id).content is None  # type: ignore[union-attr]
    [record] = audit.records
    assert (record.action, record.actor_id, record.target_id, record.reason) == (
        "message.resent", str(ACTOR), str(original.id), "customer asked",
    )  # fmt: skip
    assert record.details["resent_as"] == [str(copy.id)]
    with pytest.raises(NotResendable, match="already resent"):
        _resend(uow, audit, original.id, **STAFF)
    assert len(audit.records) == 1


@pytest.mark.parametrize(
    ("template", "category", "why"),
    [
        ("promotion", Category.PROMOTIONAL, "promotional"),
        ("password_reset", Category.TRANSACTIONAL, "expired"),
    ],
)
def test_promotional_and_secret_bearing_messages_are_never_resent(template, category, why):
    uow, audit = FakeUnitOfWork(), FakeAuditTrail()
    original = _failed(uow, template, category=category)
    with pytest.raises(NotResendable, match=why):
        _resend(uow, audit, original.id, **ADMIN)
    assert audit.records == []


def test_a_message_not_failed_is_not_resent_and_an_unknown_one_is_not_found() -> None:
    uow, audit = FakeUnitOfWork(), FakeAuditTrail()
    queued = _message(uow, NOW, failed=False)
    with pytest.raises(NotResendable, match="only a failed message"):
        _resend(uow, audit, queued.id, **STAFF)
    with pytest.raises(NotificationNotFound):
        _resend(uow, audit, uuid.uuid4(), **STAFF)


def test_a_user_may_not_resend_and_a_user_without_an_address_gets_nothing_resent() -> None:
    uow, audit = FakeUnitOfWork(), FakeAuditTrail()
    original = _failed(uow, "order_cancelled")
    with pytest.raises(Forbidden):
        _resend(uow, audit, original.id, roles=["user"])
    uow.contacts.rows.pop(original.user_id)  # type: ignore[arg-type]
    with pytest.raises(NotResendable, match="no email address"):
        _resend(uow, audit, original.id, **STAFF)
    assert uow.notifications.get(original.id).content is not None  # type: ignore[union-attr]
