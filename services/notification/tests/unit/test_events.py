"""Each event produces the right message on the right channel, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from keel_common.messaging import InvalidMessage
from keel_common.worker import typed_handler
from keel_events.auth import (
    EmailVerificationRequested,
    OtpRequested,
    PasswordChanged,
    PasswordResetRequested,
    PhoneVerificationRequested,
    SignUpAttempted,
    TokenReuseDetected,
    UserRegistered,
)
from keel_events.core import OrderPlaced
from keel_notification.bootstrap import DECLARATION
from keel_notification.domain.model import Category, Channel, Contact, Platform, Status
from keel_notification.entrypoints.consumer import incoming
from keel_notification.service_layer.intake import handle_event

from .conftest import envelope_of

IN_AN_HOUR = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def accept(uow, planner, renderer, clock, policy):
    def _accept(event):
        return handle_event(uow, event, plan=planner, renderer=renderer, now=clock(), policy=policy)

    return _accept


def registered(user_id: uuid.UUID, email: str, name: str | None = "Ada") -> UserRegistered:
    return UserRegistered(
        user_id=user_id,
        email=email,
        name=name,
        verification_token="tok123",
        verification_expires_at=datetime(2025, 3, 4, 11, 0, tzinfo=UTC),
    )


def test_user_registered_sends_a_welcome_email_with_the_verification_link(accept, events, uow):
    user_id = uuid.uuid4()
    accepted = accept(events.make(registered(user_id, "new@example.com")))
    [message] = accepted.ready
    assert message.to == "new@example.com"
    assert message.category is Category.TRANSACTIONAL
    assert "verify-email?token=tok123" in message.text
    assert message.text.startswith("Hi Ada,")
    assert 'href="http://127.0.0.1:8080/verify-email?token=tok123"' in message.html
    assert uow.contacts.get(user_id).email == "new@example.com"


def test_a_known_contacts_locale_selects_the_template_language(accept, events, uow):
    # An event without a locale: the language is the one this service keeps per contact.
    user_id = uuid.uuid4()
    uow.contacts.add(Contact(user_id=user_id, email="marie@example.com", locale="fr-FR"))
    accepted = accept(events.make(registered(user_id, "marie@example.com", name=None)))
    assert accepted.ready[0].subject.startswith("Bienvenue")
    assert accepted.notifications[0].locale == "fr-FR"


def test_otp_goes_out_as_a_transactional_sms(accept, events):
    otp = OtpRequested(
        user_id=uuid.uuid4(),
        phone="+15550002",
        code="482913",
        expires_at=datetime(2025, 3, 3, 11, 10, tzinfo=UTC),
        channel="promotional",  # ignored: the template decides
    )
    accepted = accept(events.make(otp))
    [message] = accepted.ready
    assert "expires in 10 minutes" in message.body
    assert accepted.notifications[0].channel is Channel.SMS
    assert message.category is Category.TRANSACTIONAL
    assert message.to == "+15550002"
    assert "482913" in message.body


def test_an_otp_updates_the_phone_of_a_known_user_only(accept, events, uow, alice):
    def otp(user_id: uuid.UUID) -> OtpRequested:
        return OtpRequested(user_id=user_id, phone="+15550099", code="1", expires_at=IN_AN_HOUR)

    stranger = uuid.uuid4()
    accept(events.make(otp(alice)))
    accept(events.make(otp(stranger)))
    assert uow.contacts.get(alice).phone == "+15550099"
    assert uow.contacts.get(stranger) is None


def test_password_and_security_events_send_emails(accept, events, alice):
    reset = accept(
        events.make(
            PasswordResetRequested(
                user_id=alice,
                email="alice@example.com",
                name=None,
                reset_token="r-1",
                expires_at=IN_AN_HOUR,
            )
        )
    )
    changed = accept(
        events.make(PasswordChanged(user_id=alice, email="alice@example.com", name=None))
    )
    alert = accept(
        events.make(
            TokenReuseDetected(
                user_id=alice, email="new-alice@example.com", name=None, session_id=uuid.uuid4()
            )
        )
    )
    assert reset.ready[0].to == "alice@example.com"
    assert "reset-password?token=r-1" in reset.ready[0].text
    assert "within 60 minutes" in reset.ready[0].text
    assert changed.ready[0].to == "alice@example.com"
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
    order_id = uuid.uuid4()
    accepted = accept(events.order_cancelled(alice, id=order_id, total_cents=990, items=()))
    [message] = accepted.ready
    assert message.subject == f"Your order {order_id} was cancelled"
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


def test_an_event_missing_a_field_is_rejected_and_nothing_is_kept(accept, uow, events, alice):
    subscription = DECLARATION.consumes[0]
    handle = typed_handler(subscription, lambda event, envelope: accept(incoming(event, envelope)))
    envelope = envelope_of(OrderPlaced(**events.order(alice)))
    del envelope.data["buyer_id"]
    with pytest.raises(InvalidMessage, match="buyer_id"):
        handle(envelope)
    assert uow.commits == 0
    assert uow.inbox.seen == set()


def test_an_unknown_email_address_is_logged_as_failed(accept, events):
    stranger = uuid.uuid4()
    accepted = accept(events.order_cancelled(stranger))
    [n] = accepted.notifications
    assert n.status is Status.FAILED
    assert n.error == "no email address known for this user"
    assert accepted.ready == []


def test_the_queue_takes_exactly_the_events_it_has_messages_for():
    subscription = DECLARATION.consumes[0]
    assert subscription.queue == "notification.events"
    assert set(subscription.spec.routing_keys) == {
        "auth.user.registered.v1",
        "auth.otp.requested.v1",
        "auth.password.reset_requested.v1",
        "auth.password.changed.v1",
        "auth.security.token_reuse_detected.v1",
        "auth.user.signup_attempted.v1",
        "auth.email.verification_requested.v1",
        "auth.phone.verification_requested.v1",
        "auth.email.change_requested.v1",
        "auth.email.changed.v1",  # no message: the contact's address moves
        "auth.user.profile_updated.v1",  # no message: the contact's locale changes
        "core.order.placed.v1",
        "core.order.cancelled.v1",
        "auth.user.erased.v1",
        "auth.user.export_ready.v1",
    }


def test_a_sign_up_attempt_tells_the_owner_and_how_to_take_back_an_unverified_account(
    accept, events
):
    user_id = uuid.uuid4()
    attempt = SignUpAttempted(
        user_id=user_id, email="ada@example.com", name="Ada", email_verified=False
    )
    [message] = accept(events.make(attempt)).ready
    assert message.to == "ada@example.com"
    assert message.subject == "Someone tried to sign up with your email address"
    assert "reset its password" in message.text


def test_a_resent_link_and_a_phone_code_create_no_contact(accept, events, uow):
    user_id = uuid.uuid4()
    resent = EmailVerificationRequested(
        user_id=user_id, email="ada@example.com", name=None, verification_token="tok456",
        verification_expires_at=IN_AN_HOUR,
    )  # fmt: skip
    code = PhoneVerificationRequested(
        user_id=user_id, phone="+14155550123", code="123456", expires_at=IN_AN_HOUR
    )
    [email] = accept(events.make(resent)).ready
    [sms] = accept(events.make(code)).ready
    assert "verify-email?token=tok456" in email.text
    assert (sms.to, "123456" in sms.body) == ("+14155550123", True)
    assert uow.contacts.get(user_id) is None  # an unproven number is nobody's contact
