"""Order emails for users no auth event introduced, with their address from a real auth gRPC
server (``GetUsers``), through the worker's event handler into the development outbox."""

from __future__ import annotations

import email
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from keel_auth.bootstrap import Auth
from keel_auth.bootstrap import bootstrap as bootstrap_auth
from keel_auth.config import AuthSettings
from keel_auth.domain.commands import Origin, SignUp
from keel_auth.entrypoints.cli import MIGRATIONS as AUTH_MIGRATIONS
from keel_auth.entrypoints.grpc_server import create_server as create_auth_server
from keel_auth.service_layer import accounts
from keel_common.auth import FakeTokenVerifier
from keel_common.discovery import StaticDiscovery
from keel_common.messaging import Envelope
from keel_common.settings import load_settings
from keel_common.testing.plugin import upgrade_from_template
from keel_common.worker import typed_handler
from keel_events.core import OrderPlaced
from keel_notification.bootstrap import DECLARATION, Notifications, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.model import Channel, Status
from keel_notification.service_layer.ports import ContactsUnavailable


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[tuple[Auth, str]]:
    """Auth's gRPC server on a free port over its own migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'auth.db'}"
    upgrade_from_template(url, AUTH_MIGRATIONS)
    settings = AuthSettings(
        database_url=url,
        grpc_port=0,
        rate_limit_path=tmp_path / "rate-limits.db",
        revocations_path=tmp_path / "revoked.db",
        argon2_time_cost=1,  # the cheapest cost the settings allow: real hashing, fast tests
        argon2_memory_kib=7168,
        jwks_url="http://unused",
    )
    wired = bootstrap_auth(settings)
    server = create_auth_server(wired)
    server.start()
    yield wired, f"127.0.0.1:{server.port}"
    server.stop(None)
    wired.close()


def _notifications(engine: Any, database_url: str, outbox: Path, auth_address: str) -> Any:
    settings = load_settings(
        NotificationSettings,
        database_url=database_url,
        file_delivery_dir=outbox,
        auth_timeout_seconds=2,
    )
    discovery = StaticDiscovery({"auth": auth_address, "core": "127.0.0.1:1"})
    return bootstrap(settings, engine=engine, verifier=FakeTokenVerifier(), discovery=discovery)


@pytest.fixture
def app(engine: Any, database_url: str, tmp_path: Path, auth: tuple[Auth, str]) -> Iterator[Any]:
    wired = _notifications(engine, database_url, tmp_path / "outbox", auth[1])
    yield wired
    wired.close()


ORDER = uuid.uuid4()


def _order_placed(buyer: uuid.UUID) -> Envelope:
    now = datetime.now(UTC)
    event = OrderPlaced(
        id=ORDER,
        buyer_id=buyer,
        status="placed",
        items=(),
        total_cents=900,
        currency="EUR",
        created_at=now,
        updated_at=now,
    )
    return Envelope.new(
        type=event.type, source="keel-core", data=event.to_data(), subject=event.subject
    )


def _handle(app: Notifications, envelope: Envelope) -> None:
    """What the worker does with one message of ``notification.events``."""
    subscription = DECLARATION.consumes[0]  # notification.events
    typed_handler(subscription, subscription.handler(app))(envelope)


def _mails(outbox: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in (outbox / "email").iterdir()]


def _log(app: Notifications, user_id: uuid.UUID) -> list[Any]:
    with app.uow() as uow:
        page = uow.notifications.page(user_id=user_id, event_id=None, limit=10, cursor=None)
    return [(n.channel, n.status, n.recipient, n.error) for n in page.items]


def test_an_order_receipt_reaches_a_user_only_auth_knew(
    app: Notifications, auth: tuple[Auth, str], tmp_path: Path
) -> None:
    signup = SignUp("veteran@example.com", "correct horse battery staple", "Vera", "+14155550123")
    wired = auth[0]
    accounts.sign_up(
        signup, Origin(), wired.uow(), hasher=wired.hasher, throttle=wired.throttle,
        policy=wired.policy, clock=wired.clock,
    )  # fmt: skip
    with wired.uow() as uow:  # the phone proved with its code (auth's phone flow)
        veteran = uow.users.get_by_email("veteran@example.com")
        assert veteran is not None
        veteran.confirm_phone("+14155550123")
        uow.commit()

    _handle(app, _order_placed(veteran.id))

    [mail] = _mails(tmp_path / "outbox")
    assert (mail["To"], mail["Subject"]) == (
        "veteran@example.com",
        f"Your receipt for order {ORDER}",
    )
    with app.uow() as uow:
        contact = uow.contacts.get(veteran.id)
        assert (contact.email, contact.phone) == ("veteran@example.com", "+14155550123")
        assert contact.registered_at == veteran.created_at


def test_a_user_auth_does_not_know_is_logged_as_failed(app: Notifications) -> None:
    stranger = uuid.uuid4()
    _handle(app, _order_placed(stranger))
    error = "no email address known for this user"
    assert _log(app, stranger) == [(Channel.EMAIL, Status.FAILED, "", error)]


def test_while_auth_is_unreachable_the_event_fails_and_nothing_is_logged(
    engine: Any, database_url: str, tmp_path: Path
) -> None:
    app = _notifications(engine, database_url, tmp_path / "outbox", "127.0.0.1:1")
    buyer = uuid.uuid4()
    try:
        with pytest.raises(ContactsUnavailable):
            _handle(app, _order_placed(buyer))  # the broker retries it later
        assert _log(app, buyer) == []
    finally:
        app.close()
