"""The four services wired for contract tests: each on its own migrated SQLite database, with
its real use cases and real handlers, and nothing that reaches the network.

A producer's events are read back from its outbox table, the JSON its relay would publish;
a consumer gets them through ``typed_handler``, as the generic worker hands them over.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from keel_auth.bootstrap import Auth
from keel_auth.bootstrap import bootstrap as bootstrap_auth
from keel_auth.config import AuthSettings
from keel_auth.domain.commands import Origin, SignUp
from keel_auth.entrypoints.cli import MIGRATIONS as AUTH_MIGRATIONS
from keel_auth.service_layer import accounts
from keel_common.auth import FakeTokenVerifier
from keel_common.discovery import FakeDiscovery
from keel_common.messaging import Envelope, HandlerResult
from keel_common.messaging.fakes import FakeBroker
from keel_common.service import Service, ServiceDeclaration
from keel_common.testing.plugin import upgrade_from_template
from keel_common.worker import typed_handler
from keel_core.adapters.fakes import FakeUserDirectory as FakeCoreUsers
from keel_core.bootstrap import Core
from keel_core.bootstrap import bootstrap as bootstrap_core
from keel_core.config import CoreSettings
from keel_core.entrypoints.cli import MIGRATIONS as CORE_MIGRATIONS
from keel_notification.adapters.fakes import FakePurchaseHistory
from keel_notification.bootstrap import Notifications
from keel_notification.bootstrap import bootstrap as bootstrap_notification
from keel_notification.config import NotificationSettings
from keel_notification.domain.model import Contact
from keel_notification.entrypoints.cli import MIGRATIONS as NOTIFICATION_MIGRATIONS
from keel_notification.service_layer.ports import UserDirectory
from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import Search
from keel_search.bootstrap import bootstrap as bootstrap_search
from keel_search.config import SearchSettings
from keel_search.entrypoints.cli import MIGRATIONS as SEARCH_MIGRATIONS


def migrated(tmp_path: Path, service: str, migrations: Path) -> str:
    """A SQLite file of the service's own, brought to its newest migration."""
    url = f"sqlite:///{tmp_path / f'{service}.db'}"
    upgrade_from_template(url, migrations)
    return url


class AskNobody(UserDirectory):
    """Notification's way to auth's ``GetUsers``, refused: the events carry the addresses."""

    def contacts(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        raise AssertionError(f"notification asked auth for the contacts of {set(user_ids)}")


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[Auth]:
    settings = AuthSettings(
        database_url=migrated(tmp_path, "auth", AUTH_MIGRATIONS),
        rate_limit_path=tmp_path / "rate-limits.db",
        revocations_path=tmp_path / "revoked-sessions.db",
        # The smallest argon2 cost the settings allow: real hashing, fast tests.
        argon2_time_cost=1,
        argon2_memory_kib=7168,
        jwks_url="http://unused",
    )
    service = bootstrap_auth(settings, broker=FakeBroker("auth"), discovery=FakeDiscovery())
    service.keys.ensure_key()  # what create_app and create_server do on start
    yield service
    service.close()


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    settings = CoreSettings(
        database_url=migrated(tmp_path, "core", CORE_MIGRATIONS), jwks_url="http://unused"
    )
    service = bootstrap_core(
        settings,
        broker=FakeBroker("core"),
        discovery=FakeDiscovery(),
        verifier=FakeTokenVerifier(),
        users=FakeCoreUsers(),
    )
    yield service
    service.close()


@pytest.fixture
def notification(tmp_path: Path) -> Iterator[Notifications]:
    settings = NotificationSettings(
        database_url=migrated(tmp_path, "notification", NOTIFICATION_MIGRATIONS),
        file_delivery_dir=tmp_path / "outbox",
        jwks_url="http://unused",
    )
    service = bootstrap_notification(
        settings,
        broker=FakeBroker("notification"),
        discovery=FakeDiscovery(),
        verifier=FakeTokenVerifier(),
        directory=AskNobody(),
        purchase_history=FakePurchaseHistory(),
    )
    yield service
    service.close()


@pytest.fixture
def search(tmp_path: Path) -> Iterator[Search]:
    settings = SearchSettings(
        database_url=migrated(tmp_path, "search", SEARCH_MIGRATIONS),
        search_engine="embedded",
        search_index_dir=tmp_path / "index",
    )
    service = bootstrap_search(
        settings,
        broker=FakeBroker("search"),
        discovery=FakeDiscovery(),
        product_source=FakeProductSource(),
    )
    yield service
    service.close()


def outbox_envelopes(service: Service[Any]) -> list[Envelope]:
    """Every event the service staged, oldest first, parsed from the JSON its relay sends."""
    table = service.outbox
    assert table is not None, "this service has no outbox"
    with service.engine.connect() as connection:
        payloads = connection.execute(sa.select(table.c.payload).order_by(table.c.pk)).scalars()
        return [Envelope.from_json(payload) for payload in payloads]


@dataclass
class Consumer:
    """A service's subscriptions as its worker runs them: one handler per subscription,
    each behind the ``typed_handler`` that parses envelopes into their contracts."""

    declaration: ServiceDeclaration[Any]
    service: Service[Any]

    def __post_init__(self) -> None:
        self._handlers: dict[str, Callable[[Envelope], HandlerResult | None]] = {}
        self._raw: list[Any] = []
        for subscription in self.declaration.consumes:
            handler = subscription.handler(self.service)
            self._raw.append(handler)
            typed = typed_handler(subscription, handler)
            for event in subscription.events:
                self._handlers[event.type] = typed

    def takes(self, event_type: str) -> bool:
        return event_type in self._handlers

    def __call__(self, envelope: Envelope) -> HandlerResult | None:
        assert self.takes(envelope.type), f"{self.declaration.name} does not take {envelope.type}"
        return self._handlers[envelope.type](envelope)

    def close(self) -> None:
        """What the worker does after its consumers stopped (commits pending index writes)."""
        for handler in self._raw:
            close = getattr(handler, "close", None)
            if callable(close):
                close()


@pytest.fixture
def consumer() -> Iterator[Callable[[ServiceDeclaration[Any], Service[Any]], Consumer]]:
    """Builds a ``Consumer``; each is closed at the end of the test."""
    built: list[Consumer] = []

    def make(declaration: ServiceDeclaration[Any], service: Service[Any]) -> Consumer:
        built.append(Consumer(declaration, service))
        return built[-1]

    yield make
    for each in reversed(built):
        each.close()


def only(envelopes: list[Envelope], event_type: str) -> Envelope:
    """The one envelope of ``event_type``."""
    found = [e for e in envelopes if e.type == event_type]
    assert len(found) == 1, f"expected one {event_type}, got {[e.type for e in envelopes]}"
    return found[0]


#: The user of every story: Ada signs up with auth, buys from core, is told by notification.
EMAIL, PHONE = "ada@example.com", "+14155550123"
PASSWORD = "correct horse battery staple"
ORIGIN = Origin(ip="203.0.113.7", user_agent="contract-tests")


def sign_up(auth: Auth) -> uuid.UUID:
    """Ada signs up through auth's use case. Its answer says nothing (a taken address gets
    the same); her id is in the ``auth.user.registered.v1`` it staged."""
    cmd = SignUp(EMAIL, PASSWORD, name="Ada", phone=PHONE)
    accounts.sign_up(
        cmd, ORIGIN, auth.uow(), hasher=auth.hasher, throttle=auth.throttle, policy=auth.policy,
        clock=auth.clock,
    )  # fmt: skip
    registered = only(outbox_envelopes(auth), "auth.user.registered.v1")
    return uuid.UUID(registered.data["user_id"])


@dataclass(frozen=True)
class Delivery:
    channel: str
    template: str
    recipient: str
    status: str
    path: Path


def deliveries(notification: Notifications, envelope: Envelope) -> list[Delivery]:
    """The delivery log's entries for ``envelope`` and the file each was delivered to."""
    root = notification.settings.file_delivery_dir
    with notification.uow() as uow:
        logged = uow.notifications.page(
            user_id=None, event_id=uuid.UUID(envelope.id), limit=10, cursor=None
        ).items
        return [
            Delivery(
                str(n.channel),
                n.template,
                n.recipient,
                str(n.status),
                next(root.glob(f"{n.channel}/{n.id}.*"), root / "missing"),
            )
            for n in logged
        ]


def message_text(path: Path) -> str:
    """The readable text of a delivered file (an .eml is MIME; SMS and push are plain)."""
    if path.suffix != ".eml":
        return path.read_text()
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = [part.get_content() for part in message.walk() if not part.is_multipart()]
    return "\n".join(str(part) for part in parts)
