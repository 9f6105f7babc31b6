"""The periodic jobs as ``keel-notification job NAME`` runs them (CronJobs, ``make run``)."""

from __future__ import annotations

import logging

from keel_notification.bootstrap import Notifications, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.service_layer import jobs

log = logging.getLogger(__name__)

# When each job runs, in cron syntax (UTC): the one schedule the local runner and the Helm
# CronJobs both read.
SCHEDULES = {
    "weekly-recommendations": "0 9 * * 1",
    "daily-signups-report": "0 6 * * *",
}


class PurchaseHistoryUnavailable(RuntimeError):
    """The weekly job needs core's purchase history, which core does not serve yet."""


def weekly_recommendations(
    settings: NotificationSettings, app: Notifications | None = None
) -> None:
    app = app or bootstrap(settings)
    if app.purchase_history is None:
        raise PurchaseHistoryUnavailable(
            "core.v1.CatalogService has no ListPurchaseHistory RPC yet; the weekly "
            "recommendations cannot run without it"
        )
    queued = jobs.send_weekly_recommendations(
        app.uow(), history=app.purchase_history, renderer=app.renderer, now=app.clock()
    )
    log.info("weekly recommendations queued", extra={"messages": queued})


def daily_signups_report(settings: NotificationSettings, app: Notifications | None = None) -> None:
    app = app or bootstrap(settings)
    queued = jobs.send_daily_signups_report(
        app.uow(), admins=settings.admin_emails, renderer=app.renderer, now=app.clock()
    )
    log.info("daily signups report queued", extra={"messages": queued})


JOBS = {
    "weekly-recommendations": weekly_recommendations,
    "daily-signups-report": daily_signups_report,
}
