"""The weekly recommendations job against a real core gRPC server: purchases placed through
core's use cases become promotional emails and pushes, delivered to the development outbox,
for the users whose preferences accept them."""

from __future__ import annotations

import email
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keel_common.auth import FakeTokenVerifier, InMemoryRevocationList, JwksTokenVerifier
from keel_common.discovery import FakeDiscovery, StaticDiscovery
from keel_common.settings import load_settings
from keel_common.testing.plugin import upgrade_from_template
from keel_core.adapters.fakes import FakeUserDirectory as FakeCoreUsers
from keel_core.bootstrap import Core
from keel_core.bootstrap import bootstrap as bootstrap_core
from keel_core.config import CoreSettings
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CancelOrder, CreateProduct, PlaceOrder
from keel_core.domain.orders import RequestedItem
from keel_core.entrypoints.cli import MIGRATIONS as CORE_MIGRATIONS
from keel_core.entrypoints.grpc_server import create_server as create_core_server
from keel_core.service_layer import orders, products
from keel_notification.bootstrap import Notifications, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.commands import RegisterDevice, UpdatePreferences
from keel_notification.domain.model import Channel, Contact, Platform, Status
from keel_notification.entrypoints.dispatcher import dispatch_once
from keel_notification.entrypoints.jobs import weekly_recommendations
from keel_notification.service_layer.devices import register_device
from keel_notification.service_layer.preferences import update_preferences


@pytest.fixture
def core(tmp_path: Path) -> Iterator[tuple[Core, str]]:
    """Core's gRPC server on a free port over its own migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'core.db'}"
    upgrade_from_template(url, CORE_MIGRATIONS)
    unused = JwksTokenVerifier("http://unused", "keel-auth", "keel", InMemoryRevocationList())
    settings = CoreSettings(database_url=url)
    wired = bootstrap_core(
        settings, verifier=unused, discovery=FakeDiscovery(), users=FakeCoreUsers()
    )
    server = create_core_server(wired, port=0)
    server.start()
    yield wired, f"127.0.0.1:{server.port}"
    server.stop(None)
    wired.close()


@pytest.fixture
def app(engine: Any, database_url: str, tmp_path: Path, core: tuple[Core, str]) -> Iterator[Any]:
    settings = load_settings(
        NotificationSettings, database_url=database_url, file_delivery_dir=tmp_path / "outbox"
    )
    discovery = StaticDiscovery({"core": core[1], "auth": "127.0.0.1:1"})
    wired = bootstrap(settings, engine=engine, verifier=FakeTokenVerifier(), discovery=discovery)
    yield wired
    wired.close()


def _sell(core: Core, title: str) -> Any:
    fields = {"title": title, "description": "", "price_cents": 900, "currency": "EUR"}
    command = CreateProduct(fields | {"category": "pantry", "stock": 100})
    return products.create_product(core.uow(), Actor(uuid.uuid4()), command)


def _buy(core: Core, buyer: uuid.UUID, *items: tuple[Any, int]) -> Any:
    command = PlaceOrder(tuple(RequestedItem(p.id, q) for p, q in items), str(uuid.uuid4()))
    return orders.place_order(core.uow(), Actor(buyer), command)


def _user(app: Notifications, name: str, *, email_ok: bool = True, push_ok: bool = True) -> Any:
    user_id = uuid.uuid4()
    with app.uow() as uow:
        uow.contacts.add(Contact(user_id=user_id, email=f"{name}@example.com"))
        uow.commit()
    register_device(app.uow(), RegisterDevice(user_id, Platform.ANDROID, f"fcm-{name}"))
    update_preferences(app.uow(), UpdatePreferences(user_id, email_ok, True, push_ok, None))
    return user_id


def _log(app: Notifications, user_id: uuid.UUID) -> list[tuple[Channel, Status]]:
    with app.uow() as uow:
        page = uow.notifications.page(user_id=user_id, event_id=None, limit=10, cursor=None)
    return sorted((n.channel, n.status) for n in page.items)


def test_buyers_get_their_recommendations_as_their_preferences_allow(
    app: Notifications, core: tuple[Core, str], tmp_path: Path
) -> None:
    shop, outbox = core[0], tmp_path / "outbox"
    tea, honey, mugs = _sell(shop, "Green tea"), _sell(shop, "Honey"), _sell(shop, "Mugs")
    ada, bob = _user(app, "ada"), _user(app, "bob", email_ok=False)
    cy, idle = _user(app, "cy", email_ok=False, push_ok=False), _user(app, "idle")
    _buy(shop, ada, (tea, 3), (honey, 1))
    returned = _buy(shop, ada, (mugs, 5))
    orders.cancel_order(shop.uow(), Actor(ada), CancelOrder(returned.id))
    _buy(shop, bob, (honey, 2))
    _buy(shop, cy, (tea, 1))

    weekly_recommendations(app)
    dispatch_once(app)

    mails = [email.message_from_bytes(p.read_bytes()) for p in (outbox / "email").iterdir()]
    assert [m["To"] for m in mails] == ["ada@example.com"]
    text = mails[0].get_payload(0).get_payload(decode=True).decode()
    assert text.index("Green tea") < text.index("Honey") and "Mugs" not in text
    pushes = [json.loads(p.read_text()) for p in (outbox / "push").iterdir()]
    assert sorted((p["token"], p["body"]) for p in pushes) == [
        ("fcm-ada", "Green tea, Honey and more this week."),
        ("fcm-bob", "Honey and more this week."),
    ]
    assert _log(app, bob) == [(Channel.EMAIL, Status.SUPPRESSED), (Channel.PUSH, Status.SENT)]
    assert _log(app, cy) == [] and _log(app, idle) == []
