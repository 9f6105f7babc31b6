"""The use cases on the real database adapters, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from keel_common.messaging import Envelope
from keel_events.auth import UserRegistered
from keel_notification.adapters.fakes import FakeClock, FakeRenderer
from keel_notification.domain.commands import (
    RegisterDevice,
    RemoveDevice,
    SendNotification,
    UpdatePreferences,
)
from keel_notification.domain.messages import Receipt
from keel_notification.domain.model import Channel, Contact, Platform, QuietHours, Status
from keel_notification.domain.policy import RetryPolicy
from keel_notification.entrypoints.consumer import incoming
from keel_notification.service_layer.delivery import Outcome, claim_due, record_outcomes
from keel_notification.service_layer.devices import register_device, remove_device
from keel_notification.service_layer.history import list_notifications, search_notifications
from keel_notification.service_layer.intake import IncomingEvent, handle_event, send_direct
from keel_notification.service_layer.planning import EventPlanner
from keel_notification.service_layer.preferences import get_preferences, update_preferences

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def registered(user_id: uuid.UUID) -> IncomingEvent:
    """Auth's event, as the consumer hands it to intake."""
    event = UserRegistered(
        user_id=user_id,
        email="ada@example.com",
        name=None,
        verification_token="t",
        verification_expires_at=NOW + timedelta(days=1),
    )
    envelope = Envelope(
        id=str(uuid.uuid4()), type=event.type, source="keel-auth", time=NOW.isoformat(), data={}
    )
    return incoming(UserRegistered.from_data(event.to_data()), envelope)


def otp(to: str, key: str | None = None) -> SendNotification:
    return SendNotification(
        channel=Channel.SMS,
        template="otp",
        variables={"code": "1", "minutes": 5},
        to=to,
        idempotency_key=key,
    )


def test_an_event_is_logged_once_and_contacts_are_kept(sql_uow):
    user_id, policy = uuid.uuid4(), RetryPolicy()
    event = registered(user_id)
    plan, renderer = EventPlanner(), FakeRenderer()
    first = handle_event(sql_uow, event, plan=plan, renderer=renderer, now=NOW, policy=policy)
    again = handle_event(sql_uow, event, plan=plan, renderer=renderer, now=NOW, policy=policy)
    assert len(first.ready) == 1 and again.duplicate
    with sql_uow:
        [n] = sql_uow.notifications.page(
            user_id=user_id, event_id=None, limit=10, cursor=None
        ).items
        assert (n.status, n.recipient, n.next_attempt_at) == (
            Status.QUEUED,
            "ada@example.com",
            NOW + policy.lease,
        )
        assert sql_uow.contacts.get(user_id).registered_at == NOW
        assert sql_uow.contacts.registered_between(NOW, NOW + timedelta(seconds=1)) == 1


def test_outcomes_are_stored_and_content_is_erased(sql_uow):
    [n] = send_direct(sql_uow, otp("+1555"), renderer=FakeRenderer(), now=NOW).notifications
    [message] = claim_due(sql_uow, policy=RetryPolicy(), now=NOW)
    assert message.body.startswith("otp[en]")
    record_outcomes(
        sql_uow, [Outcome(n.id, receipt=Receipt("twilio", "SM1"))], policy=RetryPolicy(), now=NOW
    )
    with sql_uow:
        stored = sql_uow.notifications.get(n.id)
        assert (stored.status, stored.provider, stored.provider_message_id) == (
            Status.SENT,
            "twilio",
            "SM1",
        )
        assert stored.content is None and stored.sent_at == NOW and stored.attempts == 1


def test_the_log_pages_newest_first_by_cursor(sql_uow):
    clock, user_id = FakeClock(NOW), uuid.uuid4()
    for _ in range(5):
        command = SendNotification(
            channel=Channel.SMS,
            template="otp",
            variables={"code": "1", "minutes": 5},
            user_id=user_id,
            to="+1555",
        )
        send_direct(sql_uow, command, renderer=FakeRenderer(), now=clock())
        clock.advance(seconds=1)
    first = list_notifications(sql_uow, user_id, limit=2)
    second = list_notifications(sql_uow, user_id, limit=2, cursor=first.next_cursor)
    third = list_notifications(sql_uow, user_id, limit=2, cursor=second.next_cursor)
    times = [n.created_at for page in (first, second, third) for n in page.items]
    assert len(times) == 5 and third.next_cursor is None
    assert times == sorted(times, reverse=True)
    by_event = search_notifications(sql_uow, roles={"admin"}, event_id=first.items[0].event_id)
    assert [n.id for n in by_event.items] == [first.items[0].id]


def test_repeated_send_keys_return_the_first_message(sql_uow):
    first = send_direct(sql_uow, otp("+1555", "k-1"), renderer=FakeRenderer(), now=NOW)
    second = send_direct(sql_uow, otp("+1555", "k-1"), renderer=FakeRenderer(), now=NOW)
    assert second.duplicate
    assert [n.id for n in second.notifications] == [n.id for n in first.notifications]


def test_devices_are_soft_deleted_and_revived(sql_uow):
    user_id = uuid.uuid4()
    registered, _ = register_device(sql_uow, RegisterDevice(user_id, Platform.IOS, "tok"))
    remove_device(sql_uow, RemoveDevice(user_id, registered.id), now=NOW)
    with sql_uow:
        assert sql_uow.devices.active_for_user(user_id) == []
    device, created = register_device(sql_uow, RegisterDevice(user_id, Platform.IOS, "tok"))
    assert not created
    with sql_uow:
        assert [d.id for d in sql_uow.devices.active_for_user(user_id)] == [device.id]


def test_preferences_keep_quiet_hours(sql_uow):
    user_id = uuid.uuid4()
    quiet = QuietHours(time(22), time(7, 30), "America/New_York")
    update_preferences(sql_uow, UpdatePreferences(user_id, False, True, True, quiet))
    prefs = get_preferences(sql_uow, user_id)
    assert prefs.quiet_hours == quiet and prefs.email_promotional is False


def test_users_are_walked_in_id_order(sql_uow):
    ids = sorted(uuid.uuid4() for _ in range(3))
    with sql_uow:
        for user_id in ids:
            sql_uow.contacts.add(Contact(user_id=user_id, email="x@example.com"))
        sql_uow.commit()
    with sql_uow:
        assert sql_uow.contacts.user_ids_after(None, 2) == ids[:2]
        assert sql_uow.contacts.user_ids_after(ids[1], 2) == ids[2:]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_claim_disjoint_batches(sql_uow, engine):
    for n in range(6):
        send_direct(sql_uow, otp(f"+1555{n}"), renderer=FakeRenderer(), now=NOW)
    from keel_common.db import make_session_factory
    from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork

    factory = make_session_factory(engine)
    barrier, claimed = threading.Barrier(2), []

    def worker() -> None:
        uow = SqlAlchemyUnitOfWork(factory)
        with uow:
            rows = uow.notifications.claim_due(NOW, 3)
            barrier.wait(5)  # both hold their locks at the same time
            claimed.append({n.id for n in rows})
            for n in rows:
                n.claim(NOW + timedelta(minutes=5))
            uow.commit()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(claimed) == 2 and len(claimed[0] | claimed[1]) == 6
