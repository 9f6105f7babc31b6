"""The dispatcher loop of the worker: sends whatever is due (retries, messages held by quiet
hours, direct sends, messages whose sender died) until told to stop."""

from __future__ import annotations

import logging
import threading

from keel_common.metrics import CONSUMER_MESSAGES, NOTIFICATION_DELIVERIES
from keel_notification.bootstrap import Notifications
from keel_notification.service_layer.delivery import DeliveryReport, dispatch_due

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


def dispatch_once(app: Notifications) -> DeliveryReport:
    report = dispatch_due(
        app.uow(),
        sender=app.senders,
        policy=app.policy,
        clock=app.clock,
        limit=app.settings.dispatch_batch,
    )
    count(report)
    return report


def run_dispatcher(app: Notifications, stop: threading.Event) -> None:
    """Dispatch batches back to back while there is work; otherwise wait one interval."""
    log.info("dispatcher started", extra={"interval": app.settings.dispatch_interval_seconds})
    while not stop.is_set():
        try:
            report = dispatch_once(app)
        except Exception:
            # the database may be restarting: keep the worker alive and try again later
            log.exception("dispatch round failed")
            stop.wait(app.settings.dispatch_interval_seconds)
            continue
        busy = report.sent + report.failed + report.retried + report.dead_lettered
        if busy < app.settings.dispatch_batch:
            stop.wait(app.settings.dispatch_interval_seconds)
    log.info("dispatcher stopped")
