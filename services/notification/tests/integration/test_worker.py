"""The worker end to end in-process: events on a real RabbitMQ become messages at a real SMTP
server and at the APNs, FCM and SMS stand-ins; the log is in SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from datetime import UTC, datetime

import pika
import pytest

from keel_common.messaging import Envelope, QueueSpec, create_broker
from keel_common.messaging.rabbitmq import declare_topology
from keel_common.settings import load_settings
from keel_common.testing import eventually
from keel_common.worker import run_worker
from keel_events import Event
from keel_events.auth import (
    OtpRequested,
    PasswordResetRequested,
    TokenReuseDetected,
    UserRegistered,
)
from keel_events.core import OrderCancelled, OrderPlaced
from keel_notification.bootstrap import DECLARATION, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.commands import RegisterDevice
from keel_notification.domain.model import Platform, Status
from keel_notification.service_layer.devices import register_device
from keel_notification.testing.smtp_server import LocalSmtpServer

pytestmark = pytest.mark.rabbitmq
IOS_TOKEN = "c3" * 32
LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def smtp():
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture
def declaration(unique_name):
    """The service's declaration, its queue renamed for this test and retried quickly."""
    subscription = DECLARATION.consumes[0]  # notification.events (erasures: their own queue)
    ours = dataclasses.replace(
        subscription, queue=f"{unique_name}.notification", max_attempts=2, retry_delays=(0.2,)
    )
    return dataclasses.replace(DECLARATION, consumes=(ours,))


@pytest.fixture
def spec(declaration) -> QueueSpec:
    [queue] = declaration.queues
    return queue


@pytest.fixture
def worker(
    engine, database_url, rabbitmq_url, unique_name, declaration, spec, smtp, apns, fcm, sms, tls
):
    settings = load_settings(
        NotificationSettings,
        database_url=database_url,
        broker_url=rabbitmq_url,
        events_exchange=unique_name,
        email_providers=f"smtp://127.0.0.1:{smtp.port}",
        sms_providers=sms.provider_url(),
        push_providers=f"{apns.provider_url},{fcm.provider_url}",
        provider_ca_file=str(tls.cert),
        retry_base_seconds=0.2,
        dispatch_interval_seconds=0.1,
        consumer_threads=2,
    )
    # Only this test's queue is declared: the shared topology's queues would be bound to this
    # test's exchange, with its dead-letter exchange, in the shared RabbitMQ.
    consumer = create_broker(rabbitmq_url, exchange=unique_name, service="test", queues=[spec])
    app = bootstrap(settings, engine=engine, broker=consumer)
    publisher = Publisher(rabbitmq_url, unique_name, spec)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(declaration, app, stop))
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
    channel.exchange_delete(spec.retry_exchange)
    channel.exchange_delete(exchange)
    channel.exchange_delete(f"{exchange}.dlx")
    connection.close()


def envelope(event: Event) -> Envelope:
    """``event`` as its producer's relay publishes it."""
    source = f"keel-{event.producer}"
    return Envelope.new(type=event.type, source=source, data=event.to_data(), subject=event.subject)


def registered(email: str, user_id: uuid.UUID | None = None, name: str | None = None) -> Envelope:
    return envelope(
        UserRegistered(
            user_id=user_id or uuid.uuid4(),
            email=email,
            name=name,
            verification_token="v-token",
            verification_expires_at=LATER,
        )
    )


def order(buyer: uuid.UUID, order_id: uuid.UUID) -> dict:
    now = datetime.now(UTC)
    return {
        "id": order_id,
        "buyer_id": buyer,
        "status": "placed",
        "items": (),
        "currency": "EUR",
        "total_cents": 4200,
        "created_at": now,
        "updated_at": now,
    }


def test_each_event_reaches_the_right_channel(worker, smtp, apns, fcm, sms):
    app, publisher = worker
    buyer = uuid.uuid4()
    publisher.publish(registered("buyer@example.com", buyer, "Ada"))
    eventually(lambda: len(smtp.messages) == 1, "the welcome email")
    assert "verify-email?token=v-token" in smtp.messages[0].get_body(("plain",)).get_content()

    register_device(app.uow(), RegisterDevice(buyer, Platform.IOS, IOS_TOKEN))
    register_device(app.uow(), RegisterDevice(buyer, Platform.ANDROID, "fcm-buyer"))
    order_id = uuid.uuid4()
    email = "buyer@example.com"
    publisher.publish_batch(
        [
            envelope(OtpRequested(user_id=buyer, phone="+15550142", code="771100",
                                  expires_at=LATER)),
            envelope(PasswordResetRequested(user_id=buyer, email=email, name=None,
                                            reset_token="r-token", expires_at=LATER)),
            envelope(TokenReuseDetected(user_id=buyer, email=email, name=None,
                                        session_id=uuid.uuid4())),
            envelope(OrderPlaced(**order(buyer, order_id))),
            envelope(OrderCancelled(**order(buyer, order_id) | {"status": "cancelled"})),
        ]
    )  # fmt: skip
    eventually(
        lambda: len(smtp.messages) == 5 and apns.server.delivered and fcm.server.delivered,
        "four emails and both pushes",
    )
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == [
        "Reset your password",
        "Security alert: your sessions were signed out",
        "Welcome! Please confirm your email address",
        f"Your order {order_id} was cancelled",
        f"Your receipt for order {order_id}",
    ]
    eventually(lambda: sms.server.delivered, "the OTP text")
    [text] = sms.server.delivered
    assert text["From"] == sms.transactional_from and "771100" in text["Body"]
    assert apns.server.delivered[0]["token"] == IOS_TOKEN
    assert fcm.server.delivered[0]["message"]["token"] == "fcm-buyer"

    def log() -> list:
        with app.uow() as uow:
            return uow.notifications.page(
                user_id=buyer, event_id=None, limit=100, cursor=None
            ).items

    eventually(lambda: {n.status for n in log()} == {Status.SENT}, "every message sent")
    providers = {n.provider for n in log()}
    assert providers == {"smtp:127.0.0.1", "apns", "fcm", "twilio-transactional"}


def test_an_event_delivered_twice_sends_one_message(worker, smtp):
    _, publisher = worker
    twice = registered("twice@example.com")
    publisher.publish(twice)
    publisher.publish(twice)  # what a redelivery after a lost ack looks like
    publisher.publish(registered("marker@example.com"))
    eventually(lambda: any(m["To"] == "marker@example.com" for m in smtp.messages), "the marker")
    time.sleep(0.5)  # let a wrongly duplicated message arrive if there were one
    assert [m["To"] for m in smtp.messages].count("twice@example.com") == 1


def test_a_malformed_event_is_dead_lettered_without_retries(worker, spec, rabbitmq_url, smtp):
    _, publisher = worker
    malformed = envelope(OrderPlaced(**order(uuid.uuid4(), uuid.uuid4())))
    del malformed.data["buyer_id"]
    publisher.publish(malformed)
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()

    def dead_letters() -> int:
        return channel.queue_declare(spec.dead_queue, passive=True).method.message_count

    eventually(lambda: dead_letters() == 1, "the dead letter")
    connection.close()
    assert smtp.messages == []


def test_a_relay_that_fails_for_a_while_gets_the_message_through_a_retry(worker, smtp):
    app, publisher = worker
    smtp.refuse["later@example.com"] = "451 4.3.0 try again later"
    publisher.publish(registered("later@example.com"))

    def attempted() -> bool:
        with app.uow() as uow:
            page = uow.notifications.page(user_id=None, event_id=None, limit=10, cursor=None)
        return any(n.attempts >= 1 and n.status is Status.QUEUED for n in page.items)

    eventually(attempted, "a first, failed attempt")
    del smtp.refuse["later@example.com"]
    eventually(lambda: any(m["To"] == "later@example.com" for m in smtp.messages), "the retry")
