"""Each event produces the right message on the right channel, once."""

from __future__ import annotations

import uuid

import pytest

from keel_notification.domain.errors import MalformedEvent
from keel_notification.domain.model import Category, Channel, Platform, Status
from keel_notification.service_layer.intake import handle_event


@pytest.fixture
def accept(uow, planner, renderer, clock, policy):
    def _accept(event):
        return handle_event(uow, event, plan=planner, renderer=renderer, now=clock(), policy=policy)

    return _accept


def test_user_registered_sends_a_welcome_email_with_the_verification_link(accept, events, uow):
    user_id = uuid.uuid4()
    accepted = accept(
        events.make(
            "auth.user.registered.v1",
            {
                "user_id": str(user_id),
                "email": "new@example.com",
                "name": "Ada",
                "verification_token": "tok123",
                "verification_expires_at": "2025-03-04T11:00:00+00:00",
            },
        )
    )
    [message] = accepted.ready
    assert message.to == "new@example.com"
    assert message.category is Category.TRANSACTIONAL
    assert "verify-email?token=tok123" in message.text
    assert message.text.startswith("Hi Ada,")
    assert 'href="http://127.0.0.1:8080/verify-email?token=tok123"' in message.html
    assert uow.contacts.get(user_id).email == "new@example.com"


def test_registration_locale_selects_the_template_language(accept, events):
    accepted = accept(
        events.make(
            "auth.user.registered.v1",
            {
                "user_id": str(uuid.uuid4()),
                "email": "marie@example.com",
                "locale": "fr-FR",
                "verification_token": "abc",
            },
        )
    )
    assert accepted.ready[0].subject.startswith("Bienvenue")
    assert accepted.notifications[0].locale == "fr-FR"


def test_otp_goes_out_as_a_transactional_sms(accept, events):
    accepted = accept(
        events.make(
            "auth.otp.requested.v1",
            {
                "user_id": str(uuid.uuid4()),
                "phone": "+15550002",
                "code": "482913",
                "expires_at": "2025-03-03T11:10:00+00:00",
                "channel": "promotional",  # ignored: the template decides
            },
        )
    )
    [message] = accepted.ready
    assert "expires in 10 minutes" in message.body
    assert accepted.notifications[0].channel is Channel.SMS
    assert message.category is Category.TRANSACTIONAL
    assert message.to == "+15550002"
    assert "482913" in message.body


def test_password_and_security_events_send_emails(accept, events, alice):
    reset = accept(
        events.make(
            "auth.password.reset_requested.v1",
            {
                "user_id": str(alice),
                "email": "alice@example.com",
                "reset_token": "r-1",
                "expires_at": "2025-03-03T12:00:00+00:00",
            },
        )
    )
    changed = accept(events.make("auth.password.changed.v1", {"user_id": str(alice)}))
    alert = accept(
        events.make(
            "auth.security.token_reuse_detected.v1",
            {"user_id": str(alice), "email": "new-alice@example.com", "session_id": "s"},
        )
    )
    assert reset.ready[0].to == "alice@example.com"
    assert "reset-password?token=r-1" in reset.ready[0].text
    assert "within 60 minutes" in reset.ready[0].text
    assert changed.ready[0].to == "alice@example.com"  # from the contact kept at registration
    assert changed.ready[0].subject == "Your password was changed"
    assert alert.ready[0].to == "new-alice@example.com"
    assert alert.notifications[0].template == "security_alert"


def test_order_placed_sends_a_receipt_email_and_a_push_to_each_device(accept, events, alice):
    accepted = accept(events.order_placed(alice))
    by_channel = {(n.channel, n.platform): n for n in accepted.notifications}
    assert set(by_channel) == {
        (Channel.EMAIL, None),
        (Channel.PUSH, Platform.IOS),
        (Channel.PUSH, Platform.ANDROID),
    }
    email = next(m for m in accepted.ready if hasattr(m, "subject"))
    assert "€25.00" in email.text
    assert all(n.category is Category.TRANSACTIONAL for n in accepted.notifications)


def test_order_cancelled_sends_a_cancellation_email(accept, events, alice):
    accepted = accept(
        events.make(
            "core.order.cancelled.v1",
            {"id": "o-9", "buyer_id": str(alice), "currency": "EUR", "total_cents": 990},
        )
    )
    [message] = accepted.ready
    assert message.subject == "Your order o-9 was cancelled"
    assert "€9.90" in message.text


def test_the_same_event_delivered_twice_queues_one_message(accept, events, alice, uow):
    event = events.order_placed(alice)
    first = accept(event)
    second = accept(event)
    assert len(first.notifications) == 3
    assert second.duplicate and second.ready == []
    assert len(uow.notifications.rows) == 3


def test_ready_messages_are_claimed_so_the_dispatcher_leaves_them_alone(
    accept, events, alice, uow, clock, policy
):
    accepted = accept(events.order_placed(alice))
    assert uow.notifications.claim_due(clock(), 100) == []
    assert all(n.next_attempt_at == clock() + policy.lease for n in accepted.notifications)


def test_an_event_missing_a_field_is_rejected_and_nothing_is_kept(accept, events, uow):
    with pytest.raises(MalformedEvent, match="buyer_id"):
        accept(events.make("core.order.placed.v1", {"id": "o-1"}))
    assert uow.commits == 0
    assert uow.inbox.seen == set()


def test_an_unknown_email_address_is_logged_as_failed(accept, events):
    stranger = uuid.uuid4()
    accepted = accept(
        events.make("auth.security.token_reuse_detected.v1", {"user_id": str(stranger)})
    )
    [n] = accepted.notifications
    assert n.status is Status.FAILED
    assert n.error == "no email address known for this user"
    assert accepted.ready == []


def test_events_nobody_listens_to_are_acknowledged_without_messages(accept, events, uow):
    accepted = accept(events.make("core.product.created.v1", {"product_id": "p"}))
    assert accepted.notifications == [] and not accepted.duplicate
