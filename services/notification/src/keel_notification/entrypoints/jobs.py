"""The periodic jobs as ``keel-notification job NAME`` runs them (CronJobs, ``make run``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def _wired(settings: NotificationSettings, app: Notifications | None) -> Iterator[Notifications]:
    """The caller's app, or one built for this run and closed after it: the local scheduler
    runs every job in one long-lived process, where unclosed channels would pile up."""
    if app is not None:
        yield app
        return
    app = bootstrap(settings)
    try:
        yield app
    finally:
        app.close()


def weekly_recommendations(
    settings: NotificationSettings, app: Notifications | None = None
) -> None:
    """Raises ``PurchaseHistoryUnavailable`` when core cannot answer: the run fails, and a
    rerun in the same week queues only what this one did not."""
    with _wired(settings, app) as wired:
        queued = jobs.send_weekly_recommendations(
            wired.uow(), history=wired.purchase_history, renderer=wired.renderer, now=wired.clock()
        )
    log.info("weekly recommendations queued", extra={"messages": queued})


def daily_signups_report(settings: NotificationSettings, app: Notifications | None = None) -> None:
    with _wired(settings, app) as wired:
        queued = jobs.send_daily_signups_report(
            wired.uow(), admins=settings.admin_emails, renderer=wired.renderer, now=wired.clock()
        )
    log.info("daily signups report queued", extra={"messages": queued})


JOBS = {
    "weekly-recommendations": weekly_recommendations,
    "daily-signups-report": daily_signups_report,
}
