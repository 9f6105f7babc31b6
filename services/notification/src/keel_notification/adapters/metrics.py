"""The notification service's own Prometheus metrics (listed in ``DECLARATION.metrics``).

The alert ``KeelNotificationFailureRate`` (deploy/helm/keel/files/alerts) reads
``keel_notification_deliveries_total``; rename it only together with the alert.
"""

from __future__ import annotations

from prometheus_client import Counter

NOTIFICATION_DELIVERIES = Counter(
    "keel_notification_deliveries_total",
    "Messages the notification service settled, by channel and status (sent, failed).",
    ["channel", "status"],
)
