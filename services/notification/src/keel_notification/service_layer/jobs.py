"""Periodic jobs, defined once here and scheduled by the local runner or by CronJobs.

Each job only queues messages (the dispatcher sends them, honouring quiet hours), and each
is safe to run twice: its event ids are derived from the period, so a rerun of the same week
or day finds them in the inbox and queues nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from keel_notification.domain.model import Channel, Preferences
from keel_notification.service_layer.intake import Intent, queue
from keel_notification.service_layer.ports import (
    Purchase,
    PurchaseHistory,
    TemplateRenderer,
    UnitOfWork,
)

JOBS = uuid.UUID("0b7e3c9a-3f0e-4d6a-8f57-2f1c6e9d4b10")  # uuid5 namespace
HISTORY_WINDOW = timedelta(days=180)
RECOMMENDATIONS = 3


def recommend(purchases: Sequence[Purchase], count: int = RECOMMENDATIONS) -> list[Purchase]:
    """'Buy again': the products bought most, the most recent first among equals."""
    ranked = sorted(purchases, key=lambda p: (p.quantity, p.last_purchased_at), reverse=True)
    return ranked[:count]


def send_weekly_recommendations(
    uow: UnitOfWork,
    *,
    history: PurchaseHistory,
    renderer: TemplateRenderer,
    now: datetime,
    batch_size: int = 200,
) -> int:
    """Queue a recommendations email and push for every user who bought something and has
    not opted out of both. Returns the number of messages queued."""
    week = now.isocalendar()
    period = f"weekly_recommendations:{week.year}-W{week.week:02d}"
    queued, after = 0, None
    while True:
        with uow:
            batch = uow.contacts.user_ids_after(after, batch_size)
            wanted = [u for u in batch if _wants_promotions(uow.preferences.get(u), u)]
        if not batch:
            return queued
        after = batch[-1]
        purchases = history.for_users(wanted, now - HISTORY_WINDOW) if wanted else {}
        for user_id, bought in purchases.items():
            queued += _queue_recommendations(uow, period, user_id, bought, renderer, now)


def _wants_promotions(prefs: Preferences | None, user_id: uuid.UUID) -> bool:
    prefs = prefs or Preferences(user_id=user_id)
    return prefs.email_promotional or prefs.push_promotional


def _queue_recommendations(
    uow: UnitOfWork,
    period: str,
    user_id: uuid.UUID,
    bought: Sequence[Purchase],
    renderer: TemplateRenderer,
    now: datetime,
) -> int:
    picks = recommend(bought)
    if not picks:
        return 0
    context = {"products": [{"id": p.product_id, "name": p.name} for p in picks]}
    intents = [
        Intent(Channel.EMAIL, "weekly_recommendations", context, user_id),
        Intent(Channel.PUSH, "weekly_recommendations", context, user_id),
    ]
    event_id = uuid.uuid5(JOBS, f"{period}:{user_id}")
    with uow:
        if not uow.inbox.first_time(event_id):
            return 0
        created = queue(uow, event_id=event_id, intents=intents, renderer=renderer, now=now)
        uow.commit()
    return len(created)


def send_daily_signups_report(
    uow: UnitOfWork,
    *,
    admins: Sequence[str],
    renderer: TemplateRenderer,
    now: datetime,
) -> int:
    """Email the admins how many users registered on the previous UTC day."""
    end = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    start = end - timedelta(days=1)
    event_id = uuid.uuid5(JOBS, f"daily_signups:{start.date().isoformat()}")
    with uow:
        if not admins or not uow.inbox.first_time(event_id):
            return 0
        signups = uow.contacts.registered_between(start, end)
        context = {"day": start.date().isoformat(), "count": signups}
        intents = [Intent(Channel.EMAIL, "daily_signups", context, to=admin) for admin in admins]
        created = queue(uow, event_id=event_id, intents=intents, renderer=renderer, now=now)
        uow.commit()
    return len(created)
