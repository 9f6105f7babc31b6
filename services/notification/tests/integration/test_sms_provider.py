"""The Twilio-style SMS adapter against a local server that checks the API's request shape."""

from __future__ import annotations

import uuid

import pytest

from keel_notification.adapters.twilio import TwilioSmsProvider
from keel_notification.domain.errors import PermanentDeliveryError, TransientDeliveryError
from keel_notification.domain.messages import SmsMessage
from keel_notification.domain.model import Category


def text(to: str = "+15550123", category=Category.TRANSACTIONAL) -> SmsMessage:
    return SmsMessage(uuid.uuid4(), category, to, "Your code is 482913")


@pytest.fixture
def transactional(sms):
    provider = TwilioSmsProvider(
        account_sid=sms.account_sid,
        auth_token=sms.auth_token,
        sender=sms.transactional_from,
        category=Category.TRANSACTIONAL,
        base_url=sms.url,
    )
    yield provider
    provider.close()


@pytest.fixture
def promotional(sms):
    provider = TwilioSmsProvider(
        account_sid=sms.account_sid,
        auth_token=sms.auth_token,
        sender=sms.promotional_service,
        category=Category.PROMOTIONAL,
        base_url=sms.url,
    )
    yield provider
    provider.close()


def test_each_category_leaves_with_its_own_sender_identity(sms, transactional, promotional):
    sid = transactional.send(text())
    promotional.send(text(category=Category.PROMOTIONAL))
    first, second = sms.server.delivered
    assert sid.startswith("SM")
    assert first == {
        "To": "+15550123",
        "From": sms.transactional_from,
        "Body": "Your code is 482913",
    }
    assert second["MessagingServiceSid"] == sms.promotional_service and "From" not in second


def test_the_transactional_identity_refuses_a_promotion(sms, transactional):
    with pytest.raises(PermanentDeliveryError, match="transactional messages only"):
        transactional.send(text(category=Category.PROMOTIONAL))
    assert sms.server.delivered == []


def test_an_invalid_number_and_an_opted_out_one_are_permanent(sms, transactional):
    sms.server.opted_out.add("+15550999")
    with pytest.raises(PermanentDeliveryError, match="21211"):
        transactional.send(text("12345"))
    with pytest.raises(PermanentDeliveryError, match="21610"):
        transactional.send(text("+15550999"))


def test_throttling_and_outages_are_transient(sms, transactional):
    sms.server.fail_next(429, 20429, "7")
    sms.server.fail_next(503, 20503)
    with pytest.raises(TransientDeliveryError) as throttled:
        transactional.send(text())
    assert throttled.value.retry_after == 7
    with pytest.raises(TransientDeliveryError, match="503"):
        transactional.send(text())


def test_refused_credentials_are_transient_so_another_provider_can_take_over(sms):
    provider = TwilioSmsProvider(
        account_sid=sms.account_sid,
        auth_token="wrong",
        sender=sms.transactional_from,
        category=Category.TRANSACTIONAL,
        base_url=sms.url,
    )
    with pytest.raises(TransientDeliveryError, match="20003"):
        provider.send(text())
    provider.close()
