"""Devices, preferences and reading the delivery log."""

from __future__ import annotations

import uuid
from datetime import time

import pytest

from keel_notification.domain.commands import (
    RegisterDevice,
    RemoveDevice,
    SendNotification,
    UpdatePreferences,
)
from keel_notification.domain.errors import DeviceNotFound, Forbidden, InvalidCursor
from keel_notification.domain.model import Channel, Platform, QuietHours, is_push_token
from keel_notification.service_layer.devices import register_device, remove_device
from keel_notification.service_layer.history import (
    delivery_status,
    list_notifications,
    search_notifications,
)
from keel_notification.service_layer.intake import send_direct
from keel_notification.service_layer.preferences import get_preferences, update_preferences


def test_registering_the_same_token_again_is_idempotent(uow):
    user = uuid.uuid4()
    first, created = register_device(uow, RegisterDevice(user, Platform.IOS, "tok"))
    again, created_again = register_device(uow, RegisterDevice(user, Platform.IOS, "tok"))
    assert created and not created_again
    assert again.id == first.id
    assert len(uow.devices.rows) == 1


def test_a_token_moves_to_the_user_who_registers_it_last(uow):
    bob, carol = uuid.uuid4(), uuid.uuid4()
    register_device(uow, RegisterDevice(bob, Platform.ANDROID, "shared"))
    register_device(uow, RegisterDevice(carol, Platform.ANDROID, "shared"))
    assert uow.devices.active_for_user(bob) == []
    assert [d.token for d in uow.devices.active_for_user(carol)] == ["shared"]


def test_removing_a_device_stops_pushes_and_re_registering_revives_it(uow, clock):
    user = uuid.uuid4()
    device, _ = register_device(uow, RegisterDevice(user, Platform.IOS, "tok"))
    remove_device(uow, RemoveDevice(user, device.id), now=clock())
    assert uow.devices.active_for_user(user) == []
    with pytest.raises(DeviceNotFound):
        remove_device(uow, RemoveDevice(user, device.id), now=clock())
    register_device(uow, RegisterDevice(user, Platform.IOS, "tok"))
    assert len(uow.devices.active_for_user(user)) == 1


def test_another_users_device_is_not_found(uow, clock):
    device, _ = register_device(uow, RegisterDevice(uuid.uuid4(), Platform.IOS, "tok"))
    with pytest.raises(DeviceNotFound):
        remove_device(uow, RemoveDevice(uuid.uuid4(), device.id), now=clock())
    assert uow.devices.by_token("tok").active


def test_preferences_default_to_accepting_and_can_be_replaced(uow):
    user = uuid.uuid4()
    assert get_preferences(uow, user).email_promotional
    quiet = QuietHours(time(22), time(7), "Europe/Paris")
    update_preferences(uow, UpdatePreferences(user, False, True, False, quiet))
    prefs = get_preferences(uow, user)
    assert (prefs.email_promotional, prefs.sms_promotional, prefs.push_promotional) == (
        False,
        True,
        False,
    )
    assert prefs.quiet_hours == quiet
    update_preferences(uow, UpdatePreferences(user, True, True, True, None))
    assert get_preferences(uow, user).quiet_hours is None


@pytest.fixture
def log_of_two_users(uow, renderer, clock):
    alice, bob = uuid.uuid4(), uuid.uuid4()
    for n in range(5):
        for user in (alice, bob):
            command = SendNotification(
                channel=Channel.SMS,
                template="otp",
                variables={"code": str(n), "minutes": 5},
                user_id=user,
                to="+1555",
            )
            send_direct(uow, command, renderer=renderer, now=clock())
        clock.advance(seconds=1)
    return alice, bob


def test_users_page_through_their_own_log_newest_first(uow, log_of_two_users):
    alice, _ = log_of_two_users
    first = list_notifications(uow, alice, limit=3)
    second = list_notifications(uow, alice, limit=3, cursor=first.next_cursor)
    items = first.items + second.items
    assert len(items) == 5 and second.next_cursor is None
    assert all(n.user_id == alice for n in items)
    assert [n.created_at for n in items] == sorted((n.created_at for n in items), reverse=True)


def test_a_forged_cursor_is_refused(uow, log_of_two_users):
    with pytest.raises(InvalidCursor):
        list_notifications(uow, log_of_two_users[0], cursor="not-a-cursor")


def test_support_finds_messages_by_user_or_event_and_only_admins_may(uow, log_of_two_users):
    _, bob = log_of_two_users
    with pytest.raises(Forbidden):
        search_notifications(uow, roles={"user"}, user_id=bob)
    page = search_notifications(uow, roles={"admin"}, user_id=bob, limit=100)
    assert len(page.items) == 5
    event_id = page.items[0].event_id
    by_event = search_notifications(uow, roles={"admin"}, event_id=event_id)
    assert [n.id for n in by_event.items] == [page.items[0].id]
    assert delivery_status(uow, page.items[0].id).status.value == "queued"


@pytest.mark.parametrize(
    ("platform", "token", "valid"),
    [
        (Platform.IOS, "ab" * 32, True),
        (Platform.IOS, "ab" * 31, False),  # too short
        (Platform.IOS, "ab" * 31 + "/x", False),  # would escape the APNs URL path
        (Platform.IOS, "../../3/device/" + "ab" * 32, False),
        (Platform.ANDROID, "f" * 20 + ":APA91b" + "x_-" * 40, True),
        (Platform.ANDROID, "short:token", False),
        (Platform.ANDROID, "x" * 100 + " y", False),
    ],
)
def test_push_tokens_are_checked_per_platform(platform, token, valid):
    assert is_push_token(platform, token) is valid
