"""An account erasure across the four services (issue #14), through the real use cases, each
service's outbox and the real handlers: auth asks, every service (auth included) erases and
reports, auth records the reports and sends the last email, which notification delivers and
then forgets the address of."""

from __future__ import annotations

import uuid
from typing import Any

from keel_auth.bootstrap import DECLARATION as AUTH
from keel_auth.bootstrap import Auth
from keel_auth.domain.commands import DeleteAccount
from keel_auth.service_layer import privacy
from keel_common.auth import Principal
from keel_common.messaging import Envelope
from keel_common.service import Service
from keel_common.testing import eventually
from keel_core.bootstrap import DECLARATION as CORE
from keel_core.bootstrap import Core
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct, PlaceOrder
from keel_core.domain.orders import RequestedItem
from keel_core.service_layer import orders, products
from keel_events.auth import AccountErased, AccountErasureRequested, UserRegistered
from keel_notification.bootstrap import DECLARATION as NOTIFICATION
from keel_notification.bootstrap import Notifications
from keel_notification.domain.model import ERASED_RECIPIENT
from keel_search.bootstrap import DECLARATION as SEARCH
from keel_search.bootstrap import Search
from keel_search.domain.queries import SearchQuery
from keel_search.service_layer.searching import search_products

from .conftest import EMAIL, ORIGIN, PASSWORD, deliveries, only, outbox_envelopes, sign_up

BIKE = {
    "title": "Vintage bike",
    "description": "Steel frame",
    "price_cents": 12_000,
    "currency": "EUR",
    "category": "sport",
    "stock": 1,
}


def staged(service: Service[Any], event_type: str) -> list[Envelope]:
    return [e for e in outbox_envelopes(service) if e.type == event_type]


def titles(search: Search, text: str) -> list[str]:
    result = search_products(SearchQuery.parse(text=text), search.index)
    return [hit.product.title for hit in result.hits]


def test_every_service_erases_the_user_and_the_last_email_leaves_no_address(
    auth: Auth, core: Core, notification: Notifications, search: Search, consumer: Any
) -> None:
    ada = sign_up(auth)
    to_notification = consumer(NOTIFICATION, notification)
    to_notification(only(outbox_envelopes(auth), UserRegistered.type))
    bike = products.create_product(core.uow(), Actor(ada), CreateProduct(BIKE), core.clock)
    seller = Actor(uuid.uuid4())
    desk = products.create_product(core.uow(), seller, CreateProduct(BIKE | {"title": "Desk"}))
    orders.place_order(core.uow(), Actor(ada), PlaceOrder((RequestedItem(desk.id, 1),), "k-1"))
    to_search = consumer(SEARCH, search)
    for envelope in outbox_envelopes(core):
        if to_search.takes(envelope.type):
            to_search(envelope)
    assert eventually(lambda: titles(search, "vintage") == ["Vintage bike"], "the bike listed")

    privacy.delete_account(
        Principal(ada, frozenset({"user"}), uuid.uuid4()), DeleteAccount(password=PASSWORD),
        ORIGIN, auth.uow(), auth.hasher, auth.revocations, auth.throttle, auth.policy, auth.clock,
    )  # fmt: skip
    (requested,) = staged(auth, AccountErasureRequested.type)
    to_auth = consumer(AUTH, auth)
    for declaration, service in ((CORE, core), (NOTIFICATION, notification), (SEARCH, search)):
        assert consumer(declaration, service)(requested) is None
    assert to_auth(requested) is None
    reports = [
        e for s in (core, notification, search) for e in outbox_envelopes(s)
        if e.type.endswith(".user.erased.v1")
    ]  # fmt: skip
    assert {r.source for r in reports} == {"keel-core", "keel-notification", "keel-search"}
    for report in reports:
        assert to_auth(report) is None

    with auth.uow() as uow:
        erasure = uow.erasures.for_user(ada)
        assert erasure is not None and erasure.is_complete and erasure.contact_email is None
    (last,) = staged(auth, AccountErased.type)
    assert last.data["email"] == EMAIL
    assert to_notification(last) is None
    [mail] = deliveries(notification, last)
    assert (mail.template, mail.status) == ("account_erased", "sent")
    assert mail.recipient == ERASED_RECIPIENT and EMAIL in mail.path.read_text()
    assert titles(search, "vintage") == []
    with notification.uow() as uow:
        assert uow.contacts.get(ada) is None
        log = uow.notifications.page(user_id=ada, event_id=None, limit=50, cursor=None).items
        assert log and {n.recipient for n in log} == {ERASED_RECIPIENT}
    with core.uow() as uow:
        assert uow.products.get(bike.id) is None
        assert uow.orders.list_for_buyer(ada, limit=10) == []
