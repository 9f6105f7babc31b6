"""Preferences, quiet hours, categories and templates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

import pytest

from keel_notification.domain.commands import SendNotification
from keel_notification.domain.errors import InvalidPreferences, InvalidSendRequest, UnknownTemplate
from keel_notification.domain.model import Category, Channel, Preferences, QuietHours, Status
from keel_notification.service_layer.delivery import dispatch_due
from keel_notification.service_layer.intake import handle_event, send_direct

PROMO = {"headline": "Spring sale", "body": "20% off tea", "url": "https://shop.example/sale"}


def promotion(channel, user_id, **kw):
    return SendNotification(
        channel=channel, template="promotion", variables=PROMO, user_id=user_id, **kw
    )


def test_promotional_messages_respect_each_opt_out(uow, renderer, clock, alice):
    uow.preferences.add(Preferences(user_id=alice, email_promotional=False, push_promotional=False))
    statuses = {}
    for channel in (Channel.EMAIL, Channel.SMS, Channel.PUSH):
        accepted = send_direct(uow, promotion(channel, alice), renderer=renderer, now=clock())
        statuses[channel] = {n.status for n in accepted.notifications}
    assert statuses == {
        Channel.EMAIL: {Status.SUPPRESSED},
        Channel.SMS: {Status.QUEUED},
        Channel.PUSH: {Status.SUPPRESSED},
    }
    suppressed = [n for n in uow.notifications.rows.values() if n.status is Status.SUPPRESSED]
    assert all(n.content is None for n in suppressed)
    assert suppressed[0].error.startswith("user opted out of promotional")


def test_transactional_messages_ignore_opt_outs(
    uow, renderer, planner, clock, policy, events, alice
):
    uow.preferences.add(
        Preferences(
            user_id=alice, email_promotional=False, sms_promotional=False, push_promotional=False
        )
    )
    accepted = handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    assert len(accepted.ready) == 3


def test_quiet_hours_hold_promotions_until_they_end_in_the_users_time_zone(
    uow, renderer, clock, alice
):
    # 12:00 UTC is 21:00 in Tokyo, inside 20:00-08:00; the window ends at 08:00 JST = 23:00 UTC
    quiet = QuietHours(time(20), time(8), "Asia/Tokyo")
    uow.preferences.add(Preferences(user_id=alice, quiet_hours=quiet))
    accepted = send_direct(uow, promotion(Channel.EMAIL, alice), renderer=renderer, now=clock())
    [n] = accepted.notifications
    assert n.status is Status.QUEUED
    assert n.next_attempt_at == datetime(2025, 3, 3, 23, 0, tzinfo=UTC)
    assert uow.notifications.claim_due(clock(), 10) == []
    clock.advance(hours=11)
    assert [due.id for due in uow.notifications.claim_due(clock(), 10)] == [n.id]


def test_quiet_hours_do_not_hold_transactional_messages(
    uow, renderer, planner, clock, policy, events, alice
):
    uow.preferences.add(
        Preferences(user_id=alice, quiet_hours=QuietHours(time(0), time(23, 59), "UTC"))
    )
    accepted = handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    assert len(accepted.ready) == 3


@pytest.mark.parametrize(
    ("start", "end", "at", "quiet"),
    [
        (time(22), time(7), datetime(2025, 3, 3, 23, 30, tzinfo=UTC), True),
        (time(22), time(7), datetime(2025, 3, 3, 6, 59, tzinfo=UTC), True),
        (time(22), time(7), datetime(2025, 3, 3, 7, 0, tzinfo=UTC), False),
        (time(9), time(17), datetime(2025, 3, 3, 12, 0, tzinfo=UTC), True),
        (time(9), time(17), datetime(2025, 3, 3, 17, 30, tzinfo=UTC), False),
    ],
)
def test_quiet_hours_windows(start, end, at, quiet):
    assert (QuietHours(start, end, "UTC").end_if_quiet(at) is not None) is quiet


def test_quiet_hours_reject_unknown_zones_and_empty_windows():
    with pytest.raises(InvalidPreferences, match="time zone"):
        QuietHours(time(22), time(7), "Mars/Olympus")
    with pytest.raises(InvalidPreferences, match="different"):
        QuietHours(time(7), time(7), "UTC")


def test_a_promotion_never_leaves_on_the_transactional_sms_route(
    uow, renderer, clock, policy, providers, alice
):
    # Sent through the transactional Send API, to an explicit number, by a caller who
    # would like it to look transactional: the template decides, and it is promotional.
    send_direct(uow, promotion(Channel.SMS, None, to="+15550009"), renderer=renderer, now=clock())
    dispatch_due(uow, sender=providers.senders, policy=policy, clock=clock)
    assert providers.sms_transactional.sent == []
    [message] = providers.sms_promotional.sent
    assert message.category is Category.PROMOTIONAL
    assert message.to == "+15550009"


def test_a_transactional_sms_uses_the_transactional_route(uow, renderer, clock, policy, providers):
    command = SendNotification(
        channel=Channel.SMS, template="otp", variables={"code": "1", "minutes": 5}, to="+1555"
    )
    send_direct(uow, command, renderer=renderer, now=clock())
    dispatch_due(uow, sender=providers.senders, policy=policy, clock=clock)
    assert len(providers.sms_transactional.sent) == 1
    assert providers.sms_promotional.sent == []


def test_a_missing_template_variable_fails_the_message_loudly(uow, renderer, clock, caplog):
    command = SendNotification(
        channel=Channel.EMAIL, template="promotion", variables={"headline": "x"}, to="a@b.c"
    )
    accepted = send_direct(uow, command, renderer=renderer, now=clock())
    [n] = accepted.notifications
    assert n.status is Status.FAILED
    assert "'body' is undefined" in n.error
    assert "template failed to render" in caplog.text


def test_send_requests_are_idempotent_by_key(uow, renderer, clock):
    command = SendNotification(
        channel=Channel.SMS,
        template="otp",
        variables={"code": "1", "minutes": 5},
        to="+1555",
        idempotency_key="otp-42",
    )
    first = send_direct(uow, command, renderer=renderer, now=clock())
    second = send_direct(uow, command, renderer=renderer, now=clock())
    assert second.duplicate
    assert [n.id for n in second.notifications] == [n.id for n in first.notifications]
    assert len(uow.notifications.rows) == 1


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (SendNotification(channel=Channel.SMS, template="welcome", to="+1"), UnknownTemplate),
        (SendNotification(channel=Channel.EMAIL, template="welcome"), InvalidSendRequest),
        (
            SendNotification(channel=Channel.PUSH, template="promotion", to="tok"),
            InvalidSendRequest,
        ),
    ],
)
def test_send_requests_that_cannot_be_addressed_are_refused(uow, renderer, clock, command, error):
    with pytest.raises(error):
        send_direct(uow, command, renderer=renderer, now=clock())
    assert uow.notifications.rows == {}


def test_preferences_accept_everything_transactional():
    prefs = Preferences(
        user_id=uuid.uuid4(), email_promotional=False, sms_promotional=False, push_promotional=False
    )
    assert all(prefs.accepts(c, Category.TRANSACTIONAL) for c in Channel)
    assert not any(prefs.accepts(c, Category.PROMOTIONAL) for c in Channel)
