"""APNs and FCM adapters against local servers that check each provider's request shape."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Sequence

import jwt
import pytest

from keel_common.testing import ManualClock
from keel_notification.adapters.apns import TOKEN_LIFETIME, ApnsPushProvider
from keel_notification.adapters.fcm import FcmPushProvider
from keel_notification.domain.errors import (
    PermanentDeliveryError,
    TransientDeliveryError,
    UnregisteredDevice,
)
from keel_notification.domain.messages import PushMessage
from keel_notification.domain.model import Category, Platform

IOS_TOKEN = "a1" * 32


def push(token: str, platform: Platform, category=Category.TRANSACTIONAL) -> PushMessage:
    return PushMessage(
        uuid.uuid4(), category, platform, token, "Order confirmed", "€25.00", {"order_id": "o-1"}
    )


def send_from_threads(
    provider: ApnsPushProvider | FcmPushProvider, messages: Sequence[PushMessage], threads: int = 4
) -> list[Exception]:
    """Send ``messages`` from ``threads`` threads at once, as a worker's consumer threads and
    its dispatcher share one provider; returns what the sends raised. The threads switch
    far more often than by default, so that races between them show at every run."""
    errors: list[Exception] = []
    start = threading.Barrier(threads)
    switch_interval = sys.getswitchinterval()

    def send(share: Sequence[PushMessage]) -> None:
        start.wait()
        for message in share:
            try:
                provider.send(message)
            except Exception as exc:
                errors.append(exc)

    workers = [threading.Thread(target=send, args=(messages[n::threads],)) for n in range(threads)]
    sys.setswitchinterval(1e-6)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(switch_interval)
    return errors


@pytest.fixture
def apns_clock() -> ManualClock:
    """Starts a token lifetime in the past, so moving it forward never reaches the future
    (the server checks ``iat`` against the real time)."""
    return ManualClock(time.time() - TOKEN_LIFETIME - 60)


@pytest.fixture
def apns_provider(apns, tls, apns_clock):
    provider = ApnsPushProvider(
        team_id=apns.team_id,
        key_id=apns.key_id,
        private_key=apns.private_key,
        topic=apns.topic,
        base_url=apns.url,
        ca_file=str(tls.cert),
        clock=apns_clock,
    )
    yield provider
    provider.close()


@pytest.fixture
def fcm_provider(fcm, tls):
    provider = FcmPushProvider(
        service_account_info=fcm.account, base_url=fcm.url, ca_file=str(tls.cert)
    )
    yield provider
    provider.close()


def test_apns_gets_an_http2_alert_with_a_signed_provider_token(apns, apns_provider):
    message = push(IOS_TOKEN, Platform.IOS)
    apns_id = apns_provider.send(message)
    [delivered] = apns.server.delivered
    assert apns.server.http_versions == {"2"}
    assert apns_id == str(message.id).upper()
    assert delivered["token"] == IOS_TOKEN
    assert delivered["headers"]["apns-topic"] == apns.topic
    assert delivered["headers"]["apns-priority"] == "10"
    assert delivered["payload"] == {
        "aps": {"alert": {"title": "Order confirmed", "body": "€25.00"}, "sound": "default"},
        "order_id": "o-1",
    }


def test_promotional_pushes_ask_apns_for_low_priority(apns, apns_provider):
    apns_provider.send(push(IOS_TOKEN, Platform.IOS, Category.PROMOTIONAL))
    assert apns.server.delivered[0]["headers"]["apns-priority"] == "5"


def test_the_apns_provider_token_is_reused_then_renewed(apns, apns_provider, apns_clock):
    apns_provider.send(push(IOS_TOKEN, Platform.IOS))
    apns_provider.send(push(IOS_TOKEN, Platform.IOS))
    apns_clock.now += TOKEN_LIFETIME
    apns_provider.send(push(IOS_TOKEN, Platform.IOS))
    tokens = [d["headers"]["authorization"] for d in apns.server.delivered]
    assert tokens[0] == tokens[1] != tokens[2]
    claims = jwt.decode(tokens[2].split()[1], options={"verify_signature": False})
    assert claims["iss"] == apns.team_id


def test_apns_unregistered_token_is_reported_as_such(apns, apns_provider):
    apns.server.unregistered.add(IOS_TOKEN)
    with pytest.raises(UnregisteredDevice, match="410 Unregistered"):
        apns_provider.send(push(IOS_TOKEN, Platform.IOS))


@pytest.mark.parametrize("token", ["not-a-token", "a1" * 32 + "/../../3/device/x"])
def test_a_malformed_token_never_reaches_the_apns_url_and_is_dead(apns_provider, token):
    with pytest.raises(UnregisteredDevice, match="not an APNs device token"):
        apns_provider.send(push(token, Platform.IOS))


def test_apns_throttling_and_outages_are_transient(apns, apns_provider):
    apns.server.fail_next(429, "TooManyRequests", "120")
    apns.server.fail_next(503, "ServiceUnavailable")
    with pytest.raises(TransientDeliveryError) as throttled:
        apns_provider.send(push(IOS_TOKEN, Platform.IOS))
    assert throttled.value.retry_after == 120
    with pytest.raises(TransientDeliveryError, match="503"):
        apns_provider.send(push(IOS_TOKEN, Platform.IOS))


def test_an_expired_provider_token_is_replaced_on_the_next_send(apns, apns_provider, apns_clock):
    apns.server.fail_next(403, "ExpiredProviderToken")
    refused = apns_provider.provider_token()
    with pytest.raises(TransientDeliveryError):
        apns_provider.send(push(IOS_TOKEN, Platform.IOS))
    apns_clock.now += 1
    apns_provider.send(push(IOS_TOKEN, Platform.IOS))
    assert apns.server.delivered[0]["headers"]["authorization"] != f"bearer {refused}"


def test_apns_refuses_a_wrong_topic_permanently(apns, tls):
    provider = ApnsPushProvider(
        team_id=apns.team_id,
        key_id=apns.key_id,
        private_key=apns.private_key,
        topic="com.other.app",
        base_url=apns.url,
        ca_file=str(tls.cert),
    )
    with pytest.raises(UnregisteredDevice, match="DeviceTokenNotForTopic"):
        provider.send(push(IOS_TOKEN, Platform.IOS))
    provider.close()


def test_pushes_from_several_threads_at_once_all_reach_apns_once(apns, apns_provider):
    # a shared HTTP/2 connection fails some of these (the server drops it mid-stream)
    messages = [push(f"{n:064x}", Platform.IOS) for n in range(200)]
    assert send_from_threads(apns_provider, messages) == []
    delivered = sorted(d["headers"]["apns-id"] for d in apns.server.delivered)
    assert delivered == sorted(str(m.id).upper() for m in messages)


def test_apns_answers_every_push_on_a_long_lived_connection(apns, apns_provider):
    # more than hypercorn's default of 1,000 requests on one connection, which it then drops
    messages = [push(f"{n:064x}", Platform.IOS) for n in range(1010)]
    for message in messages:
        assert apns_provider.send(message) == str(message.id).upper()
    assert len(apns.server.delivered) == len(messages)


def test_fcm_gets_a_v1_message_with_an_oauth2_access_token(fcm, fcm_provider):
    name = fcm_provider.send(push("fcm-token-1", Platform.ANDROID))
    [delivered] = fcm.server.delivered
    assert name == f"projects/{fcm.account['project_id']}/messages/0:1"
    assert fcm.server.http_versions == {"2"}
    assert delivered["headers"]["authorization"].removeprefix("Bearer ") in fcm.server.access_tokens
    assert delivered["message"] == {
        "token": "fcm-token-1",
        "notification": {"title": "Order confirmed", "body": "€25.00"},
        "data": {"order_id": "o-1"},
        "android": {"priority": "HIGH"},
    }


def test_fcm_access_token_is_fetched_once_and_reused(fcm, fcm_provider):
    for _ in range(3):
        fcm_provider.send(push("fcm-token-1", Platform.ANDROID))
    assert len(fcm.server.access_tokens) == 1


def test_fcm_unregistered_token_is_reported_as_such(fcm, fcm_provider):
    fcm.server.unregistered.add("gone")
    with pytest.raises(UnregisteredDevice, match="UNREGISTERED"):
        fcm_provider.send(push("gone", Platform.ANDROID))


def test_fcm_quota_and_outages_are_transient(fcm, fcm_provider):
    fcm.server.fail_next(429, "QUOTA_EXCEEDED", "60")
    fcm.server.fail_next(503, "UNAVAILABLE")
    with pytest.raises(TransientDeliveryError) as throttled:
        fcm_provider.send(push("t", Platform.ANDROID))
    assert throttled.value.retry_after == 60
    with pytest.raises(TransientDeliveryError, match="UNAVAILABLE"):
        fcm_provider.send(push("t", Platform.ANDROID))


def test_fcm_invalid_argument_is_permanent(fcm, fcm_provider):
    fcm.server.fail_next(400, "INVALID_ARGUMENT")
    with pytest.raises(PermanentDeliveryError, match="INVALID_ARGUMENT"):
        fcm_provider.send(push("t", Platform.ANDROID))


def test_pushes_from_several_threads_at_once_all_reach_fcm_once(fcm, fcm_provider):
    messages = [push(f"fcm-token-{n}", Platform.ANDROID) for n in range(200)]
    assert send_from_threads(fcm_provider, messages) == []
    delivered = sorted(d["message"]["token"] for d in fcm.server.delivered)
    assert delivered == sorted(m.token for m in messages)


def test_fcm_with_a_foreign_service_account_cannot_get_a_token(fcm, tls):
    from keel_notification.testing.fcm_server import FcmTestServer

    stranger = FcmTestServer().service_account(fcm.url)
    provider = FcmPushProvider(
        service_account_info=stranger, base_url=fcm.url, ca_file=str(tls.cert)
    )
    with pytest.raises(TransientDeliveryError, match="token refused"):
        provider.send(push("t", Platform.ANDROID))
    provider.close()
    assert fcm.server.delivered == []
