"""Sending, retries with backoff, permanent failures and dead letters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel_notification.domain.commands import SendNotification
from keel_notification.domain.errors import (
    PermanentDeliveryError,
    TransientDeliveryError,
    UnregisteredDevice,
)
from keel_notification.domain.model import Channel, Status
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.delivery import deliver, dispatch_due
from keel_notification.service_layer.intake import handle_event, send_direct

from .conftest import Logged

OTP = {"code": "1", "minutes": 5}


@pytest.fixture
def queued_sms(uow, renderer, clock):
    command = SendNotification(channel=Channel.SMS, template="otp", variables=OTP, to="+1555")
    [n] = send_direct(uow, command, renderer=renderer, now=clock()).notifications
    return Logged(uow, n.id)


@pytest.fixture
def dispatch(uow, providers, clock, policy):
    return lambda: dispatch_due(uow, sender=providers.senders, policy=policy, clock=clock)


def test_a_sent_message_records_provider_and_its_message_id(dispatch, queued_sms, clock):
    report = dispatch()
    assert report.sent == 1
    assert report.settled == {("sms", "sent"): 1}  # feeds keel_notification_deliveries_total
    assert queued_sms.status is Status.SENT
    assert (queued_sms.provider, queued_sms.provider_message_id) == (
        "sms-transactional",
        "sms-transactional-1",
    )
    assert queued_sms.attempts == 1 and queued_sms.sent_at == clock()
    assert queued_sms.content is None  # the code does not stay at rest once sent


def test_transient_errors_are_retried_with_exponential_backoff(
    dispatch, queued_sms, providers, clock, policy
):
    providers.sms_transactional.fail_with(
        TransientDeliveryError("503"), TransientDeliveryError("timeout")
    )
    assert dispatch().retried == 1
    assert queued_sms.next_attempt_at == clock() + policy.base_delay
    clock.advance(seconds=29)
    assert dispatch().retried == 0  # not due yet
    clock.advance(seconds=1)
    assert dispatch().retried == 1
    assert queued_sms.next_attempt_at == clock() + 2 * policy.base_delay
    clock.advance(minutes=1)
    assert dispatch().sent == 1
    assert queued_sms.attempts == 3 and queued_sms.status is Status.SENT


def test_throttling_honours_retry_after_when_it_is_longer(dispatch, queued_sms, providers, clock):
    providers.sms_transactional.fail_with(TransientDeliveryError("429", retry_after=600))
    dispatch()
    assert queued_sms.next_attempt_at == clock() + timedelta(seconds=600)


def test_permanent_errors_are_not_retried(dispatch, queued_sms, providers, clock):
    providers.sms_transactional.fail_with(PermanentDeliveryError("invalid number"))
    report = dispatch()
    assert report.failed == 1
    assert report.settled == {("sms", "failed"): 1}
    clock.advance(days=1)
    dispatch()
    assert providers.sms_transactional.attempts == 1
    assert queued_sms.status is Status.FAILED and queued_sms.error == "invalid number"


def test_a_message_is_dead_lettered_and_counted_after_the_last_attempt(
    uow, providers, clock, queued_sms
):
    policy = RetryPolicy(max_attempts=3)
    providers.sms_transactional.always = TransientDeliveryError("503")
    dead = 0
    settled: dict = {}
    for _ in range(5):
        report = dispatch_due(uow, sender=providers.senders, policy=policy, clock=clock)
        dead += report.dead_lettered
        settled.update(report.settled)
        clock.advance(hours=3)
    assert dead == 1
    assert settled == {("sms", "failed"): 1}  # retries are not settled outcomes
    assert providers.sms_transactional.attempts == 3
    assert queued_sms.status is Status.FAILED
    assert queued_sms.dead_lettered_at is not None
    assert queued_sms.error.startswith("dead-lettered after 3 attempts")


def test_an_unregistered_token_deactivates_the_device(
    uow, planner, renderer, providers, clock, policy, events, alice
):
    providers.apns.fail_with(UnregisteredDevice("410 Unregistered"))
    accepted = handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    deliver(uow, accepted.ready, sender=providers.senders, policy=policy, clock=clock)
    assert not uow.devices.by_token("ios-token-alice").active
    again = handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    assert {n.recipient for n in again.notifications if n.channel is Channel.PUSH} == {
        "fcm-token-alice"
    }


def test_a_claimed_message_is_taken_over_when_its_sender_died(
    uow, planner, renderer, providers, clock, policy, events, alice
):
    handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    # the consumer never delivered (crashed): the dispatcher waits for the lease, then sends
    assert dispatch_due(uow, sender=providers.senders, policy=policy, clock=clock).sent == 0
    clock.advance(seconds=policy.lease.total_seconds())
    assert dispatch_due(uow, sender=providers.senders, policy=policy, clock=clock).sent == 3


def test_a_provider_bug_is_retried_not_lost(dispatch, queued_sms, providers):
    providers.sms_transactional.fail_with(KeyError("oops"))
    assert dispatch().retried == 1
    assert queued_sms.status is Status.QUEUED and "KeyError" in queued_sms.error


def test_backoff_is_capped():
    policy = RetryPolicy(base_delay=timedelta(seconds=30), max_delay=timedelta(minutes=10))
    assert [policy.delay(a).total_seconds() for a in (1, 2, 3, 6, 20)] == [
        30,
        60,
        120,
        600,
        600,
    ]
