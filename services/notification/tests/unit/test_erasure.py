"""Notification's part of an account erasure, and the last email (issue #14), with fakes."""

from __future__ import annotations

import uuid

from keel_events.auth import AccountErased
from keel_events.privacy import NotificationUserErased
from keel_notification.domain.model import ERASED_RECIPIENT, Preferences, Status
from keel_notification.service_layer import privacy
from keel_notification.service_layer.delivery import deliver
from keel_notification.service_layer.intake import handle_event

PERSONAL = ("alice@example.com", "+15550001", "ios-token-alice", "fcm-token-alice")


def test_erasure_forgets_devices_contact_preferences_and_masks_the_log(
    uow, planner, renderer, providers, clock, policy, events, alice
):
    uow.preferences.add(Preferences(user_id=alice, email_promotional=False))
    accepted = handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    deliver(uow, accepted.ready[:1], sender=providers.senders, policy=policy, clock=clock)

    masked = privacy.erase_user(uow, alice, clock)

    assert masked == len(accepted.notifications) == 3
    assert uow.contacts.get(alice) is None and uow.preferences.get(alice) is None
    assert uow.devices.rows == {}
    for n in uow.notifications.rows.values():
        assert n.recipient == ERASED_RECIPIENT and n.content is None
        assert not any(p in f"{n.error}" for p in PERSONAL)
        assert n.status is not Status.QUEUED  # nothing left to send to someone erased
    assert [type(e) for e in uow.events] == [NotificationUserErased]


def test_erasing_twice_masks_nothing_new_and_reports_again(uow, clock, alice):
    privacy.erase_user(uow, alice, clock)
    privacy.erase_user(uow, alice, clock)
    assert [e.user_id for e in uow.events] == [alice, alice]


def test_the_last_email_goes_out_in_the_users_language_and_leaves_no_address(
    uow, planner, renderer, providers, clock, policy, events
):
    last = AccountErased(user_id=uuid.uuid4(), email="gone@example.com", name="Marie", locale="fr")
    accepted = handle_event(
        uow, events.make(last), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    [message] = accepted.ready
    assert message.to == "gone@example.com" and message.subject.startswith("Votre compte")

    deliver(uow, accepted.ready, sender=providers.senders, policy=policy, clock=clock)

    [logged] = uow.notifications.rows.values()
    assert logged.status is Status.SENT and logged.user_id is None
    assert logged.recipient == ERASED_RECIPIENT and logged.content is None
    assert uow.contacts.rows == {}
    assert [m.to for m in providers.email.sent] == ["gone@example.com"]
