"""Each channel's ordered providers, read from one list of URLs and wired into its routes."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from keel_common.settings import ConfigError
from keel_notification.adapters.channels import build_senders
from keel_notification.config import load
from keel_notification.domain.model import Category, Platform
from keel_notification.testing.apns_server import apns_signing_key
from keel_notification.testing.fcm_server import FcmTestServer

TWO_TWILIO_ACCOUNTS = (
    "twilio://AC1:token-1@api.twilio.com?tx=+15550100&promo=MG1,"
    "twilio://AC2:token-2@sms-backup.example.com?tx=+15550200&promo=MG2"
)


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
    senders = senders_for(sms_providers=TWO_TWILIO_ACCOUNTS)
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


def test_a_secret_holding_a_comma_is_percent_encoded(senders_for):
    senders = senders_for(
        sms_providers="twilio://AC1:tok%2Cen@api.twilio.com?tx=%2B15550100&promo=MG1"
    )
    [provider] = senders.sms[Category.TRANSACTIONAL].providers
    assert provider._session.auth == ("AC1", "tok,en")
    assert provider.sender == "+15550100"


def test_one_account_keeps_the_plain_provider_name(senders_for):
    senders = senders_for(sms_providers=TWO_TWILIO_ACCOUNTS.split(",")[0])
    assert [p.name for p in senders.sms[Category.TRANSACTIONAL].providers] == [
        "twilio-transactional"
    ]


def test_a_file_route_can_follow_a_provider(senders_for, tmp_path):
    first = TWO_TWILIO_ACCOUNTS.split(",")[0]
    senders = senders_for(sms_providers=f"{first},file://{tmp_path}/sms?tx=DevTx")
    tx = senders.sms[Category.TRANSACTIONAL].providers
    assert [(p.name, p.sender) for p in tx] == [
        ("twilio-transactional", "+15550100"),
        ("file-transactional", "DevTx"),
    ]
    assert tx[1].directory == tmp_path / "sms"


def test_a_url_the_adapter_cannot_read_names_the_list_and_not_the_secret():
    with pytest.raises(ConfigError) as caught:
        load(sms_providers="twilio://AC1:token-1@api.twilio.com?tx=+15550100")
    assert caught.value.problems == {"SMS_PROVIDERS": "provider 1: twilio: needs promo="}
    assert "token-1" not in str(caught.value)  # values, secrets included, are never echoed


def test_no_sender_may_serve_both_categories_on_any_account():
    crossed = TWO_TWILIO_ACCOUNTS.replace("promo=MG2", "promo=+15550100")
    with pytest.raises(ConfigError) as caught:
        load(sms_providers=crossed)
    assert caught.value.problems == {
        "SMS_PROVIDERS": "promotional senders must differ from transactional ones"
    }


def test_push_takes_an_ordered_list_per_platform(senders_for):
    private_key, _ = apns_signing_key()
    fcm = FcmTestServer()
    accounts = [fcm.service_account("https://oauth2.example.com") for _ in range(2)]
    key = quote(private_key, safe="")
    apns = [
        f"apns://KEY1:{key}@api.push.apple.com?team=TEAM123456&topic=dev.keel.app",
        f"apns://KEY2:{key}@api.push.apple.com:2197?team=TEAM123456&topic=dev.keel.app",
    ]
    fcms = [f"fcm://:{quote(json.dumps(a), safe='')}@fcm.googleapis.com" for a in accounts]
    senders = senders_for(push_providers=",".join([apns[0], fcms[0], apns[1], fcms[1]]))
    ios = senders.push[Platform.IOS].providers
    assert [(p.name, p.key_id) for p in ios] == [("apns-1", "KEY1"), ("apns-2", "KEY2")]
    assert ios[1]._clients.base_url == "https://api.push.apple.com:2197"
    assert [p.name for p in senders.push[Platform.ANDROID].providers] == ["fcm-1", "fcm-2"]


def test_an_fcm_key_that_is_not_a_json_object_is_refused():
    with pytest.raises(ConfigError) as caught:
        load(push_providers=f"fcm://:{quote('[1, 2]')}@fcm.googleapis.com")
    assert set(caught.value.problems) == {"PUSH_PROVIDERS"}


def test_production_refuses_to_deliver_email_and_sms_into_files():
    with pytest.raises(ConfigError) as caught:
        load(environment="production", email_providers="file://var/outbox/email")
    assert set(caught.value.problems) >= {"EMAIL_PROVIDERS", "SMS_PROVIDERS"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/verify-email?token={token}",  # the default
        "http://shop.example/verify-email?token={token}",  # not https
        "https://localhost/verify-email?token={token}",
        "https://10.0.0.5/verify-email?token={token}",
    ],
)
def test_production_refuses_email_links_that_are_not_the_public_site(url):
    with pytest.raises(ConfigError) as caught:
        load(environment="production", link_verify_email=url)
    assert "LINK_VERIFY_EMAIL" in caught.value.problems
    defaults = {"LINK_RESET_PASSWORD", "LINK_ORDER", "LINK_CONFIRM_EMAIL_CHANGE"}
    assert defaults <= set(caught.value.problems)


def test_production_accepts_https_links_of_the_public_site():
    links = {
        "link_verify_email": "https://shop.example/verify-email?token={token}",
        "link_reset_password": "https://shop.example/reset-password?token={token}",
        "link_order": "https://shop.example/orders/{order_id}",
        "link_confirm_email_change": "https://shop.example/confirm-email-change?token={token}",
    }
    with pytest.raises(ConfigError) as caught:
        load(environment="production", **links)
    assert not {name.upper() for name in links} & set(
        caught.value.problems
    )  # only the providers are missing


def test_a_provider_list_can_be_read_from_a_secret_file(tmp_path, monkeypatch):
    secret = tmp_path / "sms-providers"
    secret.write_text(TWO_TWILIO_ACCOUNTS + "\n")
    monkeypatch.setenv("SMS_PROVIDERS_FILE", str(secret))
    assert len(load().provider_urls("SMS_PROVIDERS")) == 2
