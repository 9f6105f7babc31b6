"""Ordered SMS and push providers read from the settings and wired into each route."""

from __future__ import annotations

import json

import pytest

from keel_common.settings import ConfigError
from keel_notification.adapters.channels import build_senders
from keel_notification.config import load
from keel_notification.domain.model import Category, Platform
from keel_notification.testing.apns_server import apns_signing_key
from keel_notification.testing.fcm_server import FcmTestServer

TWO_TWILIO_ACCOUNTS = {
    "twilio_account_sid": "AC1,AC2",
    "twilio_auth_token": "token-1,token-2",
    "twilio_base_url": "https://api.twilio.com,https://sms-backup.example.com",
    "sms_transactional_sender": "+15550100,+15550200",
    "sms_promotional_sender": "MG1,MG2",
}


@pytest.fixture
def senders_for():
    built = []

    def build(**values):
        senders = build_senders(load(**values))
        built.append(senders)
        return senders

    yield build
    for senders in built:
        senders.close()


def test_each_sms_category_gets_every_account_in_order_with_that_categorys_sender(senders_for):
    senders = senders_for(**TWO_TWILIO_ACCOUNTS)
    tx = senders.sms[Category.TRANSACTIONAL].providers
    promo = senders.sms[Category.PROMOTIONAL].providers
    assert [(p.name, p.sender) for p in tx] == [
        ("twilio-transactional-1", "+15550100"),
        ("twilio-transactional-2", "+15550200"),
    ]
    assert [(p.name, p.sender) for p in promo] == [
        ("twilio-promotional-1", "MG1"),
        ("twilio-promotional-2", "MG2"),
    ]
    assert {p.category for p in tx} == {Category.TRANSACTIONAL}
    assert {p.category for p in promo} == {Category.PROMOTIONAL}
    assert tx[1]._url == "https://sms-backup.example.com/2010-04-01/Accounts/AC2/Messages.json"


def test_a_single_value_is_shared_by_every_provider():
    settings = load(**{**TWO_TWILIO_ACCOUNTS, "twilio_base_url": "https://api.twilio.com"})
    assert [a.base_url for a in settings.twilio_accounts()] == ["https://api.twilio.com"] * 2


def test_one_account_keeps_the_plain_provider_name(senders_for):
    single = {name: value.split(",")[0] for name, value in TWO_TWILIO_ACCOUNTS.items()}
    senders = senders_for(**single)
    assert [p.name for p in senders.sms[Category.TRANSACTIONAL].providers] == [
        "twilio-transactional"
    ]


def test_lists_of_different_lengths_name_the_variable():
    with pytest.raises(ConfigError) as caught:
        load(**{**TWO_TWILIO_ACCOUNTS, "twilio_auth_token": "a,b,c"})
    assert set(caught.value.problems) == {
        "TWILIO_ACCOUNT_SID",
        "TWILIO_BASE_URL",
        "SMS_TRANSACTIONAL_SENDER",
        "SMS_PROMOTIONAL_SENDER",
    }
    assert "token-1" not in str(caught.value)  # values, secrets included, are never echoed


def test_no_sender_may_serve_both_categories_on_any_account():
    crossed = {**TWO_TWILIO_ACCOUNTS, "sms_promotional_sender": "MG1,+15550100"}
    with pytest.raises(ConfigError) as caught:
        load(**crossed)
    assert caught.value.problems == {
        "SMS_PROMOTIONAL_SENDER": "must differ from every transactional sender"
    }


def test_push_takes_an_ordered_list_per_platform(senders_for):
    private_key, _ = apns_signing_key()
    fcm = FcmTestServer()
    accounts = [fcm.service_account("https://oauth2.example.com") for _ in range(2)]
    senders = senders_for(
        apns_team_id="TEAM123456",
        apns_key_id="KEY1,KEY2",
        apns_private_key=f"{private_key},{private_key}",
        apns_topic="dev.keel.app",
        apns_base_url="https://api.push.apple.com,https://api.push.apple.com:2197",
        fcm_service_account=json.dumps(accounts),
    )
    ios = senders.push[Platform.IOS].providers
    assert [(p.name, p.key_id) for p in ios] == [("apns-1", "KEY1"), ("apns-2", "KEY2")]
    assert str(ios[1]._client.base_url) == "https://api.push.apple.com:2197"
    assert [p.name for p in senders.push[Platform.ANDROID].providers] == ["fcm-1", "fcm-2"]


def test_an_fcm_key_that_is_not_a_json_object_is_refused():
    with pytest.raises(ConfigError) as caught:
        load(fcm_service_account="[1, 2]")
    assert set(caught.value.problems) == {"FCM_SERVICE_ACCOUNT"}
