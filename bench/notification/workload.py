"""What both contenders get: the same database content, events, providers and settings.

Each event is a ``core.order.placed.v1`` for a user with an email address and one iPhone, so
it becomes one receipt email (SMTP) and one push (APNs over HTTP/2): the whole pipeline of
the service (idempotency, preferences, templates, delivery log, providers) runs for it.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa

from keel_common.db.alembic import upgrade
from keel_common.messaging import Envelope
from keel_common.service import Subscription
from keel_common.worker import producer_source
from keel_events.core import OrderLine, OrderPlaced
from keel_notification.domain.model import Contact, Device, Platform

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "services" / "notification" / "migrations"
POSTGRES = os.environ.get("POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RABBITMQ = os.environ.get("RABBITMQ_TEST_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
TEAM_ID, KEY_ID, TOPIC = "TEAM123456", "KEY1234567", "dev.keel.bench"


def create_database(name: str) -> str:
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    upgrade(url, MIGRATIONS)
    return url


def drop_database(name: str) -> None:
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(uow_factory, users: int) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    ids = [uuid.uuid4() for _ in range(users)]
    with uow_factory() as uow:
        for n, user_id in enumerate(ids):
            uow.contacts.add(Contact(user_id=user_id, email=f"user{n}@bench.example"))
            uow.devices.add(Device(user_id=user_id, platform=Platform.IOS, token=f"{n:064x}"))
        uow.commit()
    return ids


def events(users: list[uuid.UUID], count: int) -> list[Envelope]:
    """``count`` orders placed by ``users`` in turn, as core's relay publishes them."""
    now = datetime.now(UTC)
    tea = OrderLine(product_id=uuid.uuid4(), title="Green tea", quantity=2, unit_price_cents=1250)
    placed = [
        OrderPlaced(
            id=uuid.uuid4(),
            buyer_id=users[n % len(users)],
            status="placed",
            items=(tea,),
            total_cents=2500,
            currency="EUR",
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
    return [
        Envelope.new(
            type=e.type, source=producer_source(e.producer), data=e.to_data(), subject=e.subject
        )
        for e in placed
    ]


def service_env(
    database_url: str, smtp_port: int, apns_url: str, apns_key: str, ca_file: str
) -> dict[str, str]:
    """The environment of a notification process pointed at the bench's servers."""
    return {
        "DATABASE_URL": database_url,
        "BROKER_URL": RABBITMQ,
        "EMAIL_PROVIDERS": f"smtp://127.0.0.1:{smtp_port}",
        "PUSH_PROVIDERS": (
            f"apns://{KEY_ID}:{quote(apns_key, safe='')}@{urlsplit(apns_url).netloc}"
            f"?team={TEAM_ID}&topic={TOPIC}"
        ),
        "PROVIDER_CA_FILE": ca_file,
        "LOG_LEVEL": "WARNING",
        # the dispatcher only picks up leftovers here; keep its polling out of the way
        "DISPATCH_INTERVAL_SECONDS": "1",
    }


def dumps(envelope: Envelope) -> str:
    return json.dumps(json.loads(envelope.to_json()))


def events_subscription() -> Subscription[Any]:
    """Notification's subscription that takes the events the bench sends (product and order
    events; the erasure queue is another)."""
    from keel_notification.bootstrap import DECLARATION

    [subscription] = [s for s in DECLARATION.consumes if s.queue == "notification.events"]
    return subscription
