"""The dispatcher loop of the worker (``background`` in the declaration): sends whatever is
due (retries, messages held by quiet hours, direct sends, messages whose sender died) until
told to stop."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from keel_common.metrics import CONSUMER_MESSAGES
from keel_notification.adapters.metrics import NOTIFICATION_DELIVERIES
from keel_notification.service_layer.delivery import DeliveryReport, dispatch_due

if TYPE_CHECKING:
    from keel_notification.bootstrap import Notifications

log = logging.getLogger(__name__)

DELIVERIES = "notification.deliveries"  # the metrics label of the delivery queue


def count(report: DeliveryReport) -> None:
    """Delivery outcomes in the consumer metrics, under the ``notification.deliveries`` queue."""
    for outcome, n in (
        ("handled", report.sent),
        ("failed", report.failed),
        ("retried", report.retried),
        ("dead_lettered", report.dead_lettered),
    ):
        if n:
            CONSUMER_MESSAGES.labels("notification", DELIVERIES, outcome).inc(n)
    for (channel, status), n in report.settled.items():
        NOTIFICATION_DELIVERIES.labels(channel, status).inc(n)


def dispatch_once(service: Notifications) -> DeliveryReport:
    report = dispatch_due(
        service.uow(),
        sender=service.senders,
        policy=service.policy,
        clock=service.clock,
        limit=service.settings.dispatch_batch,
    )
    count(report)
    return report


def run_dispatcher(service: Notifications, stop: threading.Event) -> None:
    """Dispatch batches back to back while there is work; otherwise wait one interval."""
    interval = service.settings.dispatch_interval_seconds
    log.info("dispatcher started", extra={"interval": interval})
    while not stop.is_set():
        try:
            report = dispatch_once(service)
        except Exception:
            # the database may be restarting: keep the worker alive and try again later
            log.exception("dispatch round failed")
            stop.wait(interval)
            continue
        busy = report.sent + report.failed + report.retried + report.dead_lettered
        if busy < service.settings.dispatch_batch:
            stop.wait(interval)
    log.info("dispatcher stopped")
