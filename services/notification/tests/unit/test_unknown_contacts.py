"""Users no auth event introduced (registered before this service ran) are asked of auth."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from keel_events.auth import PasswordChanged
from keel_notification.adapters.fakes import FakeUserDirectory
from keel_notification.domain.commands import SendNotification
from keel_notification.domain.model import Channel, Contact, Status
from keel_notification.service_layer.intake import handle_event, send_direct
from keel_notification.service_layer.ports import ContactsUnavailable

SIGNED_UP = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def veteran() -> uuid.UUID:
    """A user auth knows and this service has never heard of."""
    return uuid.uuid4()


@pytest.fixture
def directory(veteran: uuid.UUID) -> FakeUserDirectory:
    contact = Contact(
        user_id=veteran, email="vet@example.com", phone="+15550042", registered_at=SIGNED_UP
    )
    return FakeUserDirectory([contact])


@pytest.fixture
def accept(uow, planner, renderer, clock, policy, directory):
    def _accept(event):
        return handle_event(
            uow,
            event,
            plan=planner,
            renderer=renderer,
            now=clock(),
            policy=policy,
            directory=directory,
        )

    return _accept


def test_an_order_email_goes_to_the_address_auth_gives_and_it_is_remembered(
    accept, events, uow, veteran, directory
):
    accepted = accept(events.order_placed(veteran))

    [email] = [n for n in accepted.notifications if n.channel is Channel.EMAIL]
    assert (email.status, email.recipient) == (Status.QUEUED, "vet@example.com")
    assert [m.to for m in accepted.ready] == ["vet@example.com"]
    assert directory.calls == [{veteran}]
    remembered = uow.contacts.get(veteran)
    assert (remembered.email, remembered.phone) == ("vet@example.com", "+15550042")
    assert remembered.registered_at == SIGNED_UP


def test_a_remembered_user_is_not_asked_for_again(accept, events, veteran, directory):
    accept(events.order_placed(veteran))
    accept(events.order_cancelled(veteran))
    assert directory.calls == [{veteran}]


def test_known_users_cost_no_call(accept, events, alice, directory):
    accept(events.order_placed(alice))
    assert directory.calls == []


def test_a_message_with_its_own_address_costs_no_call(accept, events, veteran, directory):
    event = events.make(PasswordChanged(user_id=veteran, email="vet@example.com", name=None))
    [message] = accept(event).ready
    assert message.to == "vet@example.com"
    assert directory.calls == []


def test_a_user_auth_does_not_know_either_is_logged_as_failed(accept, events, directory):
    stranger = uuid.uuid4()
    accepted = accept(events.order_cancelled(stranger))
    [n] = accepted.notifications
    assert (n.status, n.error) == (Status.FAILED, "no email address known for this user")
    assert directory.calls == [{stranger}]


def test_while_auth_is_down_nothing_is_logged_so_the_event_is_retried(
    accept, events, uow, veteran, directory
):
    directory.unavailable = True
    event = events.order_placed(veteran)
    with pytest.raises(ContactsUnavailable):
        accept(event)
    assert uow.notifications.rows == {} and uow.commits == 0

    directory.unavailable = False
    accepted = accept(event)
    assert not accepted.duplicate and [m.to for m in accepted.ready] == ["vet@example.com"]


def test_a_direct_sms_to_a_user_uses_the_phone_auth_gives(uow, renderer, clock, veteran, directory):
    command = SendNotification(
        channel=Channel.SMS,
        template="otp",
        variables={"code": "123456", "minutes": 5},
        user_id=veteran,
        idempotency_key="otp-veteran",
    )
    accepted = send_direct(uow, command, renderer=renderer, now=clock(), directory=directory)
    [n] = accepted.notifications
    assert (n.status, n.recipient) == (Status.QUEUED, "+15550042")
    assert directory.calls == [{veteran}]
