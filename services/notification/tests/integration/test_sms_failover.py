"""SMS failover between two Twilio-style endpoints, configured as production configures them,
against two local stand-ins, with the delivery log on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from keel_notification.adapters.channels import build_senders
from keel_notification.adapters.failover import ChannelSenders
from keel_notification.adapters.templates import JinjaRenderer
from keel_notification.config import load
from keel_notification.domain.commands import SendNotification
from keel_notification.domain.model import Channel, Status
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.delivery import dispatch_due
from keel_notification.service_layer.intake import send_direct
from keel_notification.testing.asgi import AsgiServer
from keel_notification.testing.sms_server import SmsTestServer

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def backup(sms) -> Iterator[tuple[SmsTestServer, str]]:
    """A second endpoint that knows the same account (a Twilio-compatible backup)."""
    app = SmsTestServer(
        account_sid=sms.account_sid,
        auth_token=sms.auth_token,
        senders={sms.transactional_from},
        services={sms.promotional_service},
    )
    with AsgiServer(app, None) as url:
        yield app, url


@pytest.fixture
def senders(sms, backup) -> Iterator[ChannelSenders]:
    settings = load(
        sms_providers=f"{sms.provider_url()},{sms.provider_url(backup[1])}", breaker_failures=1
    )
    senders = build_senders(settings)
    yield senders
    senders.close()


def queue_otp(uow, to: str = "+15550123"):
    command = SendNotification(Channel.SMS, "otp", {"code": "482913", "minutes": 5}, to=to)
    [n] = send_direct(uow, command, renderer=JinjaRenderer(), now=NOW).notifications
    return n.id


def test_an_outage_of_the_first_endpoint_sends_through_the_second(sql_uow, sms, backup, senders):
    backup_server, _ = backup
    sms.server.fail_next(500, 20500)
    sms.server.fail_next(500, 20500)
    first, second = queue_otp(sql_uow), queue_otp(sql_uow, "+15550124")

    report = dispatch_due(sql_uow, sender=senders, policy=RetryPolicy(), clock=lambda: NOW)

    assert report.sent == 2
    with sql_uow:
        logged = [sql_uow.notifications.get(i) for i in (first, second)]
        assert [(n.status, n.provider) for n in logged] == [
            (Status.SENT, "twilio-transactional-2")
        ] * 2
        assert all(n.provider_message_id.startswith("SM") for n in logged)
    assert sms.server.delivered == []
    assert sorted(m["To"] for m in backup_server.delivered) == ["+15550123", "+15550124"]
    assert {m["From"] for m in backup_server.delivered} == {sms.transactional_from}
    # one failure opened the first endpoint's breaker: the second text never reached it
    assert len(sms.server.script) == 1
