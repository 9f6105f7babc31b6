"""The weekly recommendations and the daily signups report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from keel_notification.adapters.fakes import FakePurchaseHistory
from keel_notification.domain.model import Category, Channel, Contact, Preferences, Status
from keel_notification.service_layer.jobs import (
    recommend,
    send_daily_signups_report,
    send_weekly_recommendations,
)
from keel_notification.service_layer.ports import Purchase


def bought(name: str, quantity: int, days_ago: int = 1) -> Purchase:
    when = datetime(2025, 3, 3, tzinfo=UTC) - timedelta(days=days_ago)
    return Purchase(product_id=f"p-{name}", name=name, quantity=quantity, last_purchased_at=when)


@pytest.fixture
def history(alice):
    history = FakePurchaseHistory()
    history.purchases[alice] = [bought("tea", 5), bought("cups", 1), bought("honey", 2)]
    return history


def test_buyers_get_a_promotional_email_and_push_of_what_they_buy_most(
    uow, renderer, clock, alice, history
):
    queued = send_weekly_recommendations(uow, history=history, renderer=renderer, now=clock())
    assert queued == 3  # one email, two devices
    notifications = list(uow.notifications.rows.values())
    assert {n.channel for n in notifications} == {Channel.EMAIL, Channel.PUSH}
    assert all(n.category is Category.PROMOTIONAL for n in notifications)
    email = next(n for n in notifications if n.channel is Channel.EMAIL)
    text = email.content["text"]
    assert text.index("tea") < text.index("honey") < text.index("cups")


def test_rerunning_the_job_in_the_same_week_sends_nothing_new(uow, renderer, clock, alice, history):
    send_weekly_recommendations(uow, history=history, renderer=renderer, now=clock())
    clock.advance(days=1)
    assert send_weekly_recommendations(uow, history=history, renderer=renderer, now=clock()) == 0
    clock.advance(days=7)
    assert send_weekly_recommendations(uow, history=history, renderer=renderer, now=clock()) == 3


def test_users_who_opted_out_of_all_promotions_are_not_even_looked_up(
    uow, renderer, clock, alice, history
):
    uow.preferences.add(Preferences(user_id=alice, email_promotional=False, push_promotional=False))
    assert send_weekly_recommendations(uow, history=history, renderer=renderer, now=clock()) == 0
    assert all(alice not in call for call in history.calls)


def test_users_are_walked_in_batches(uow, renderer, clock, alice, history):
    for _ in range(4):
        uow.contacts.add(Contact(user_id=uuid.uuid4(), email="x@example.com"))
    send_weekly_recommendations(uow, history=history, renderer=renderer, now=clock(), batch_size=2)
    assert [len(call) for call in history.calls] == [2, 2, 1]


def test_recommendations_prefer_quantity_then_recency():
    picks = recommend([bought("a", 1, 1), bought("b", 3, 9), bought("c", 1, 0), bought("d", 2)])
    assert [p.name for p in picks] == ["b", "d", "c"]


def test_admins_get_yesterdays_signup_count_once(uow, renderer, clock):
    yesterday = clock() - timedelta(days=1)
    for hours in (0, 5, 30):  # two yesterday, one the day before
        when = yesterday.replace(hour=0) - timedelta(hours=hours) + timedelta(hours=6)
        uow.contacts.add(Contact(user_id=uuid.uuid4(), registered_at=when))
    admins = ["ops@example.com", "ceo@example.com"]
    assert send_daily_signups_report(uow, admins=admins, renderer=renderer, now=clock()) == 2
    assert send_daily_signups_report(uow, admins=admins, renderer=renderer, now=clock()) == 0
    [n, _] = uow.notifications.rows.values()
    assert n.status is Status.QUEUED
    assert n.content["subject"] == "Signups on 2025-03-02: 2"
