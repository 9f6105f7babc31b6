"""The worker end to end in-process: events on a real RabbitMQ become messages at a real SMTP
server and at the APNs, FCM and SMS stand-ins; the log is in SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable

import pika
import pytest

from keel_common.messaging import Envelope, QueueSpec, consumer_queue, create_broker
from keel_common.messaging.rabbitmq import declare_topology
from keel_common.settings import load_settings
from keel_notification.bootstrap import bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.commands import RegisterDevice
from keel_notification.domain.model import Platform, Status
from keel_notification.entrypoints.consumer import run_worker
from keel_notification.service_layer.devices import register_device
from keel_notification.testing.smtp_server import LocalSmtpServer

pytestmark = pytest.mark.rabbitmq
IOS_TOKEN = "c3" * 32


def eventually(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Wait for work done by other threads; a generous limit, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)


@pytest.fixture
def smtp():
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture
def spec(unique_name) -> QueueSpec:
    keys = consumer_queue("notification.events").routing_keys
    return QueueSpec(f"{unique_name}.notification", keys, max_attempts=2, retry_delays=(0.2,))


@pytest.fixture
def worker(engine, database_url, rabbitmq_url, unique_name, spec, smtp, apns, fcm, sms, tls):
    settings = load_settings(
        NotificationSettings,
        database_url=database_url,
        broker_url=rabbitmq_url,
        events_exchange=unique_name,
        smtp_relays=f"smtp://127.0.0.1:{smtp.port}",
        twilio_account_sid=sms.account_sid,
        twilio_auth_token=sms.auth_token,
        twilio_base_url=sms.url,
        sms_transactional_sender=sms.transactional_from,
        sms_promotional_sender=sms.promotional_service,
        apns_team_id=apns.team_id,
        apns_key_id=apns.key_id,
        apns_private_key=apns.private_key,
        apns_topic=apns.topic,
        apns_base_url=apns.url,
        fcm_service_account=json.dumps(fcm.account),
        fcm_base_url=fcm.url,
        provider_ca_file=str(tls.cert),
        retry_base_seconds=0.2,
        dispatch_interval_seconds=0.1,
        consumer_threads=2,
    )
    app = bootstrap(settings, engine=engine)
    # Only this test's queue is declared: the shared topology's queues would be bound to this
    # test's exchange, with its dead-letter exchange, in the shared RabbitMQ.
    publisher = Publisher(rabbitmq_url, unique_name, spec)
    consumer = create_broker(rabbitmq_url, exchange=unique_name, service="test", queues=[spec])
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(settings, stop),
        kwargs={"app": app, "spec": spec, "broker": consumer},
    )
    thread.start()
    yield app, publisher
    stop.set()
    thread.join(30)
    publisher.close()
    _delete_queues(rabbitmq_url, spec, unique_name)


class Publisher:
    """Publishes with confirms over plain pika, as auth and core's relays would.

    Not ``keel_common``'s broker: its publisher leaves its socket open after ``close()``
    (reported), which warnings-as-errors turns into a failed test.
    """

    def __init__(self, url: str, exchange: str, spec: QueueSpec) -> None:
        self.exchange = exchange
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        declare_topology(self.channel, exchange, [spec])
        self.channel.confirm_delivery()

    def publish(self, envelope: Envelope) -> None:
        self.publish_batch([envelope])

    def publish_batch(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
            self.channel.basic_publish(self.exchange, envelope.type, envelope.to_json(), properties)

    def close(self) -> None:
        self.connection.close()


def _delete_queues(url: str, spec: QueueSpec, exchange: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
        channel.queue_delete(queue)
    channel.exchange_delete(exchange)
    channel.exchange_delete(f"{exchange}.dlx")
    connection.close()


def event(type: str, **data) -> Envelope:
    return Envelope.new(type=type, source="keel-test", data=data)


def test_each_event_reaches_the_right_channel(worker, smtp, apns, fcm, sms):
    app, publisher = worker
    buyer = uuid.uuid4()
    publisher.publish(
        event(
            "auth.user.registered.v1",
            user_id=str(buyer),
            email="buyer@example.com",
            name="Ada",
            verification_token="v-token",
            verification_expires_at="2030-01-01T00:00:00+00:00",
        )
    )
    eventually(lambda: len(smtp.messages) == 1)
    assert "verify-email?token=v-token" in smtp.messages[0].get_body(("plain",)).get_content()

    register_device(app.uow(), RegisterDevice(buyer, Platform.IOS, IOS_TOKEN))
    register_device(app.uow(), RegisterDevice(buyer, Platform.ANDROID, "fcm-buyer"))
    order = {"id": "o-42", "buyer_id": str(buyer), "currency": "EUR", "total_cents": 4200}
    publisher.publish_batch(
        [
            event("auth.otp.requested.v1", user_id=str(buyer), phone="+15550142", code="771100",
                  expires_at="2030-01-01T00:00:00+00:00"),
            event("auth.password.reset_requested.v1", user_id=str(buyer),
                  email="buyer@example.com", reset_token="r-token",
                  expires_at="2030-01-01T00:00:00+00:00"),
            event("auth.security.token_reuse_detected.v1", user_id=str(buyer),
                  email="buyer@example.com", session_id=str(uuid.uuid4())),
            event("core.order.placed.v1", **order, items=[]),
            event("core.order.cancelled.v1", **order, items=[]),
        ]
    )  # fmt: skip
    eventually(lambda: len(smtp.messages) == 5 and apns.server.delivered and fcm.server.delivered)
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == [
        "Reset your password",
        "Security alert: your sessions were signed out",
        "Welcome! Please confirm your email address",
        "Your order o-42 was cancelled",
        "Your receipt for order o-42",
    ]
    eventually(lambda: sms.server.delivered)
    [text] = sms.server.delivered
    assert text["From"] == sms.transactional_from and "771100" in text["Body"]
    assert apns.server.delivered[0]["token"] == IOS_TOKEN
    assert fcm.server.delivered[0]["message"]["token"] == "fcm-buyer"

    def log() -> list:
        with app.uow() as uow:
            return uow.notifications.page(
                user_id=buyer, event_id=None, limit=100, cursor=None
            ).items

    eventually(lambda: {n.status for n in log()} == {Status.SENT})
    providers = {n.provider for n in log()}
    assert providers == {"smtp:127.0.0.1", "apns", "fcm", "twilio-transactional"}


def test_an_event_delivered_twice_sends_one_message(worker, smtp):
    _, publisher = worker
    envelope = event(
        "auth.user.registered.v1",
        user_id=str(uuid.uuid4()),
        email="twice@example.com",
        verification_token="t",
    )
    publisher.publish(envelope)
    publisher.publish(envelope)  # what a redelivery after a lost ack looks like
    marker = event(
        "auth.user.registered.v1",
        user_id=str(uuid.uuid4()),
        email="marker@example.com",
        verification_token="t",
    )
    publisher.publish(marker)
    eventually(lambda: any(m["To"] == "marker@example.com" for m in smtp.messages))
    time.sleep(0.5)  # let a wrongly duplicated message arrive if there were one
    assert [m["To"] for m in smtp.messages].count("twice@example.com") == 1


def test_a_malformed_event_is_dead_lettered_without_retries(worker, spec, rabbitmq_url, smtp):
    _, publisher = worker
    publisher.publish(event("core.order.placed.v1", id="o-1"))  # no buyer_id
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()

    def dead_letters() -> int:
        return channel.queue_declare(spec.dead_queue, passive=True).method.message_count

    eventually(lambda: dead_letters() == 1)
    connection.close()
    assert smtp.messages == []


def test_a_relay_that_fails_for_a_while_gets_the_message_through_a_retry(worker, smtp):
    app, publisher = worker
    smtp.refuse["later@example.com"] = "451 4.3.0 try again later"
    publisher.publish(
        event(
            "auth.user.registered.v1",
            user_id=str(uuid.uuid4()),
            email="later@example.com",
            verification_token="t",
        )
    )

    def attempted() -> bool:
        with app.uow() as uow:
            page = uow.notifications.page(user_id=None, event_id=None, limit=10, cursor=None)
        return any(n.attempts >= 1 and n.status is Status.QUEUED for n in page.items)

    eventually(attempted)
    del smtp.refuse["later@example.com"]
    eventually(lambda: any(m["To"] == "later@example.com" for m in smtp.messages))
