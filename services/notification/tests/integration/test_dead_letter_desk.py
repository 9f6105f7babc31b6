"""Notification's dead-letter desk over HTTP: list, replay, discard, audit, 401/403."""

from __future__ import annotations

from keel_common.auth import FakeTokenVerifier
from keel_common.settings import load_settings
from keel_common.testing import live_server
from keel_common.testing.desk_contract import check_dead_letter_desk
from keel_notification.bootstrap import DECLARATION, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.entrypoints.flask_app import create_app


def test_staff_list_replay_and_discard_dead_letters_and_each_action_is_audited(
    engine, database_url, tmp_path
) -> None:
    broker_url = f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    settings = load_settings(
        NotificationSettings,
        database_url=database_url,
        file_delivery_dir=tmp_path / "outbox",
        broker_url=broker_url,
    )
    verifier = FakeTokenVerifier()
    notifications = bootstrap(settings, engine=engine, verifier=verifier)
    with live_server(create_app(notifications)) as url:
        check_dead_letter_desk(
            f"{url}/v1/admin/notification", verifier, broker_url, DECLARATION.queues[0]
        )
