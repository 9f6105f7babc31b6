"""Every channel fails over along its ordered providers, and the log names who sent it."""

from __future__ import annotations

import pytest

from keel_notification.adapters.failover import (
    BreakerState,
    ChannelSenders,
    CircuitBreaker,
    FailoverSender,
)
from keel_notification.adapters.fakes import FakeEmailProvider, FakePushProvider, FakeSmsProvider
from keel_notification.domain.commands import SendNotification
from keel_notification.domain.errors import TransientDeliveryError
from keel_notification.domain.model import Category, Channel, Platform, Status
from keel_notification.service_layer.delivery import deliver, dispatch_due
from keel_notification.service_layer.intake import handle_event, send_direct

from .conftest import Logged

OTP = {"code": "1", "minutes": 5}
PROMOTION = {"headline": "Sale", "body": "-20% on tea", "url": "https://keel.test/sale"}
OUTAGE = TransientDeliveryError("500 20500")


class Chains:
    """Two fake providers per route, wired the way build_senders wires several accounts."""

    def __init__(self, clock) -> None:
        self.tx = [FakeSmsProvider("twilio-transactional-1"), FakeSmsProvider("tx-2")]
        self.promo = [FakeSmsProvider("twilio-promotional-1"), FakeSmsProvider("promo-2")]
        self.apns = [FakePushProvider("apns-1"), FakePushProvider("apns-2")]
        self.fcm = [FakePushProvider("fcm-1"), FakePushProvider("fcm-2")]

        def breaker(name: str) -> CircuitBreaker:
            return CircuitBreaker(name, failure_threshold=2, cooldown=60, clock=clock.monotonic)

        self.senders = ChannelSenders(
            email=FailoverSender([FakeEmailProvider()], breaker),
            sms={
                Category.TRANSACTIONAL: FailoverSender(self.tx, breaker),
                Category.PROMOTIONAL: FailoverSender(self.promo, breaker),
            },
            push={
                Platform.IOS: FailoverSender(self.apns, breaker),
                Platform.ANDROID: FailoverSender(self.fcm, breaker),
            },
        )


@pytest.fixture
def chains(clock) -> Chains:
    return Chains(clock)


@pytest.fixture
def text(uow, renderer, clock):
    """Queues one SMS of ``template`` and returns its log entry."""

    def queue(template: str = "otp", variables=OTP):
        command = SendNotification(Channel.SMS, template, variables, to="+15550123")
        [n] = send_direct(uow, command, renderer=renderer, now=clock()).notifications
        return Logged(uow, n.id)

    return queue


@pytest.fixture
def dispatch(uow, chains, clock, policy):
    return lambda: dispatch_due(uow, sender=chains.senders, policy=policy, clock=clock)


def test_sms_leaves_through_the_second_provider_when_the_first_fails(chains, text, dispatch):
    chains.tx[0].fail_with(OUTAGE)
    n = text()
    assert dispatch().sent == 1
    assert n.status is Status.SENT
    assert (n.provider, n.provider_message_id) == ("tx-2", "tx-2-1")
    assert chains.tx[0].attempts == 1 and chains.tx[0].sent == []


def test_push_fails_over_per_platform(uow, planner, renderer, chains, clock, policy, events, alice):
    chains.apns[0].always = OUTAGE
    chains.fcm[0].always = OUTAGE
    accepted = handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    deliver(uow, accepted.ready, sender=chains.senders, policy=policy, clock=clock)
    pushes = {
        n.recipient: Logged(uow, n.id) for n in accepted.notifications if n.channel is Channel.PUSH
    }
    assert pushes["ios-token-alice"].provider == "apns-2"
    assert pushes["fcm-token-alice"].provider == "fcm-2"
    assert {n.status for n in pushes.values()} == {Status.SENT}


def test_a_provider_that_keeps_failing_is_skipped_then_tried_after_the_cool_down(
    chains, text, dispatch, clock
):
    primary, backup = chains.tx
    primary.always = OUTAGE
    logged = [text() for _ in range(5)]
    assert dispatch().sent == 5
    assert primary.attempts == 2  # the breaker opened after two failures; then skipped
    assert {n.provider for n in logged} == {"tx-2"}
    assert chains.senders.sms[Category.TRANSACTIONAL].breakers[primary.name].state is (
        BreakerState.OPEN
    )

    primary.always = None
    clock.advance(seconds=59)
    early = text()
    dispatch()
    assert early.provider == "tx-2" and primary.attempts == 2  # still cooling down
    clock.advance(seconds=1)
    trial = text()
    dispatch()
    assert trial.provider == "twilio-transactional-1"  # the trial closed the breaker again
    assert primary.attempts == 3 and len(backup.sent) == 6


def test_a_promotion_never_fails_over_to_the_transactional_providers(chains, text, dispatch):
    for provider in chains.promo:
        provider.always = OUTAGE
    n = text("promotion", PROMOTION)
    assert dispatch().retried == 1
    assert n.status is Status.QUEUED and n.provider is None
    assert [p.attempts for p in chains.promo] == [1, 1]
    assert [p.attempts for p in chains.tx] == [0, 0]
    assert "twilio-promotional-1: 500" in n.error and "promo-2: 500" in n.error


def test_a_transactional_outage_does_not_hold_back_promotions(chains, text, dispatch):
    for provider in chains.tx:
        provider.always = OUTAGE
    n = text("promotion", PROMOTION)
    assert dispatch().sent == 1
    assert n.provider == "twilio-promotional-1"


def test_providers_of_one_channel_need_distinct_names():
    with pytest.raises(ValueError, match="unique"):
        FailoverSender([FakeSmsProvider("twilio"), FakeSmsProvider("twilio")], CircuitBreaker)
