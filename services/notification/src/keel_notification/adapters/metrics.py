"""The notification service's own Prometheus metrics (listed in ``DECLARATION.metrics``).

The alert ``KeelNotificationFailureRate`` (deploy/helm/keel/files/alerts) reads
``keel_notification_deliveries_total``; rename it only together with the alert.
"""

from __future__ import annotations

from prometheus_client import Counter

from keel_common import metrics as _common


def _deliveries() -> Counter:
    # keel_common.metrics defined this counter until it moved here, and Prometheus refuses
    # a second registration of one name: while common still has it, it is the same counter.
    existing = getattr(_common, "NOTIFICATION_DELIVERIES", None)
    if isinstance(existing, Counter):
        return existing
    return Counter(
        "keel_notification_deliveries_total",
        "Messages the notification service settled, by channel and status (sent, failed).",
        ["channel", "status"],
    )


NOTIFICATION_DELIVERIES = _deliveries()
