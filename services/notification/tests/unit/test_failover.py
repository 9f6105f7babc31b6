"""Failover between providers and the circuit breaker that skips a failing one."""

from __future__ import annotations

import uuid

import pytest

from keel_notification.adapters.failover import (
    BreakerState,
    ChannelSenders,
    CircuitBreaker,
    FailoverSender,
)
from keel_notification.adapters.fakes import FakeClock, FakeEmailProvider, FakeSmsProvider
from keel_notification.domain.errors import PermanentDeliveryError, TransientDeliveryError
from keel_notification.domain.messages import EmailMessage, SmsMessage
from keel_notification.domain.model import Category


@pytest.fixture
def chain(clock: FakeClock):
    primary, backup = FakeEmailProvider("primary"), FakeEmailProvider("backup")

    def breaker(name):
        return CircuitBreaker(name, failure_threshold=2, cooldown=30, clock=clock.monotonic)

    return FailoverSender([primary, backup], breaker), primary, backup


def email(n: int = 0) -> EmailMessage:
    return EmailMessage(uuid.uuid4(), Category.TRANSACTIONAL, f"u{n}@x.io", "s", "t", "<p>h</p>")


def test_a_failing_provider_hands_the_message_to_the_next_one(chain):
    sender, primary, backup = chain
    primary.fail_with(TransientDeliveryError("503"))
    receipt = sender.send(email())
    assert receipt.provider == "backup"
    assert len(backup.sent) == 1


def test_a_provider_that_keeps_failing_is_skipped_until_the_cool_down(chain, clock):
    sender, primary, backup = chain
    primary.always = TransientDeliveryError("503")
    for n in range(5):
        sender.send(email(n))
    assert primary.attempts == 2  # opened after two failures, then skipped
    assert sender.breakers["primary"].state is BreakerState.OPEN
    assert len(backup.sent) == 5

    primary.always = None
    clock.advance(seconds=30)
    assert sender.send(email()).provider == "primary"  # the trial after the cool-down
    assert sender.breakers["primary"].state is BreakerState.CLOSED


def test_a_failed_trial_opens_the_breaker_again(chain, clock):
    sender, primary, _ = chain
    primary.always = TransientDeliveryError("503")
    sender.send(email(1))
    sender.send(email(2))
    clock.advance(seconds=30)
    assert sender.send(email(3)).provider == "backup"
    assert primary.attempts == 3
    assert sender.breakers["primary"].state is BreakerState.OPEN
    sender.send(email(4))
    assert primary.attempts == 3


def test_a_permanent_error_neither_fails_over_nor_counts_against_the_provider(chain):
    sender, primary, backup = chain
    primary.fail_with(PermanentDeliveryError("550 no such mailbox"))
    primary.fail_with(PermanentDeliveryError("550 no such mailbox"))
    for _ in range(2):
        with pytest.raises(PermanentDeliveryError):
            sender.send(email())
    assert backup.attempts == 0
    assert sender.breakers["primary"].state is BreakerState.CLOSED


def test_when_every_provider_fails_the_longest_retry_after_is_kept(chain):
    sender, primary, backup = chain
    primary.fail_with(TransientDeliveryError("429", retry_after=20))
    backup.fail_with(TransientDeliveryError("429", retry_after=90))
    with pytest.raises(TransientDeliveryError) as caught:
        sender.send(email())
    assert caught.value.retry_after == 90
    assert "primary: 429" in str(caught.value) and "backup: 429" in str(caught.value)


def test_only_one_trial_goes_through_a_half_open_breaker(clock):
    breaker = CircuitBreaker("p", failure_threshold=1, cooldown=10, clock=clock.monotonic)
    breaker.record_failure()
    assert not breaker.allows_call()
    clock.advance(seconds=10)
    assert breaker.allows_call()
    assert not breaker.allows_call()  # the trial is still out


def test_sms_never_falls_back_to_the_other_categorys_sender(clock):
    transactional = FakeSmsProvider("transactional")

    def breaker(name):
        return CircuitBreaker(name, clock=clock.monotonic)

    senders = ChannelSenders(
        email=FailoverSender([FakeEmailProvider()], breaker),
        sms={Category.TRANSACTIONAL: FailoverSender([transactional], breaker)},
        push={},
    )
    promo = SmsMessage(uuid.uuid4(), Category.PROMOTIONAL, "+1555", "sale!")
    with pytest.raises(PermanentDeliveryError, match="no promotional SMS sender"):
        senders.send(promo)
    assert transactional.attempts == 0
