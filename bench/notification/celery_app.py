"""The Celery contender: one task per event, running the very same service code.

Started by run.py as ``celery -A celery_app worker``; the settings come from the environment
like any notification process. Each prefork child builds its own adapters on its first task.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from workload import events_subscription

from keel_common.messaging import Envelope, Handler
from keel_common.worker import typed_handler
from keel_notification.bootstrap import bootstrap

app = Celery("bench", broker=os.environ.get("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"))
app.conf.update(
    task_acks_late=True,  # ack after the work, as the notification worker does
    task_ignore_result=True,
    worker_prefetch_multiplier=int(os.environ.get("CELERY_PREFETCH_MULTIPLIER", "4")),
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)

_wired: dict[str, Any] = {}


def _handler() -> Handler:
    """The worker's handler of ``notification.events``: parse into the contract, handle."""
    if "handler" not in _wired:
        subscription = events_subscription()
        _wired["handler"] = typed_handler(subscription, subscription.handler(bootstrap()))
    handler: Handler = _wired["handler"]
    return handler


@app.task(name="deliver_event")
def deliver_event(body: str) -> None:
    _handler()(Envelope.from_json(body))
