"""``keel-auth worker``: publishes the outbox. Auth consumes no events of other services."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta

from keel_auth.adapters import orm
from keel_auth.bootstrap import outbox_table
from keel_auth.config import AuthSettings
from keel_common.db import create_engine
from keel_common.messaging import CONSUMER_QUEUES, QueueSpec, create_broker
from keel_common.outbox import OutboxRelay

# Published rows still hold one-time codes and tokens in their payload: keep them only
# briefly (the relay deletes published rows older than this, checking every 5 minutes).
PUBLISHED_RETENTION = timedelta(minutes=30)


def create_relay(
    settings: AuthSettings, queues: Sequence[QueueSpec] = CONSUMER_QUEUES
) -> OutboxRelay:
    """The relay of the auth outbox; ``queues`` is the topology it declares (tests narrow it)."""
    orm.start_mappers()
    broker = create_broker(
        settings.broker_url, exchange=settings.events_exchange, service="auth", queues=queues
    )
    return OutboxRelay(
        create_engine(settings.database_url),
        outbox_table(),
        broker,
        "auth",
        retention=PUBLISHED_RETENTION,
        prune_interval=300.0,
    )


def run_worker(settings: AuthSettings, stop: threading.Event) -> None:
    relay = create_relay(settings)
    try:
        relay.run(stop)
    finally:
        relay.broker.close()
        relay.engine.dispose()
