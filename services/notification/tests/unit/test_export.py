"""Notification's part of a data export (issue #14), with fakes: what it holds about the
user, with no push token in clear and no message content (codes, links with tokens)."""

from __future__ import annotations

import uuid

from keel_events.auth import EmailChangeRequested
from keel_notification.domain.model import Preferences
from keel_notification.service_layer import export
from keel_notification.service_layer.intake import handle_event

TOKENS = ("ios-token-alice", "fcm-token-alice")


def test_export_holds_devices_contact_preferences_and_log_without_secrets(
    uow, planner, renderer, clock, policy, events, alice
):
    uow.preferences.add(Preferences(user_id=alice, email_promotional=False))
    handle_event(
        uow, events.order_placed(alice), plan=planner, renderer=renderer, now=clock(), policy=policy
    )
    secret = "link-token-" + uuid.uuid4().hex
    change = EmailChangeRequested(
        user_id=alice, email="alice@example.com", new_email="new@example.com", name="Alice",
        confirmation_token=secret, expires_at=clock(),
    )  # fmt: skip
    handle_event(
        uow, events.make(change), plan=planner, renderer=renderer, now=clock(), policy=policy
    )

    document = export.export_user(uow, alice)

    assert document["contact"]["email"] == "alice@example.com"
    assert document["preferences"]["email_promotional"] is False
    assert len(document["deliveries"]) >= 2
    assert {d["template"] for d in document["deliveries"]} >= {"email_change_confirm"}
    text = str(document)
    assert secret not in text
    assert document["devices"] and not any(token in text for token in TOKENS)


def test_a_push_token_is_masked() -> None:
    assert export.mask_token("fcm-token-alice-0123456789") == "fcm-…6789"
    assert export.mask_token("short") == "…"
