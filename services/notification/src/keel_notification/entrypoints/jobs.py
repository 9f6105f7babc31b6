"""The periodic jobs (``DECLARATION.jobs`` gives their schedules): ``keel-notification job
NAME`` runs one once (a Kubernetes CronJob), ``keel-notification scheduler`` runs them locally.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from keel_notification.service_layer import jobs

if TYPE_CHECKING:
    from keel_notification.bootstrap import Notifications

log = logging.getLogger(__name__)


def weekly_recommendations(service: Notifications) -> None:
    """Raises ``PurchaseHistoryUnavailable`` when core cannot answer: the run fails, and a
    rerun in the same week queues only what this one did not."""
    queued = jobs.send_weekly_recommendations(
        service.uow(),
        history=service.purchase_history,
        renderer=service.renderer,
        now=service.clock(),
    )
    log.info("weekly recommendations queued", extra={"messages": queued})


def daily_signups_report(service: Notifications) -> None:
    queued = jobs.send_daily_signups_report(
        service.uow(),
        admins=service.settings.admin_emails,
        renderer=service.renderer,
        now=service.clock(),
    )
    log.info("daily signups report queued", extra={"messages": queued})
