"""The console's Dead letters page in a real browser, against the whole platform on RabbitMQ:
a product event search gave up on is replayed until search has handled it (the product is then
found under its new title), another one is discarded, and a user-role account is refused by
every dead-letter API.

The dead letter is put where search's consumer leaves one after its last retry (its dead queue,
with the error header it writes) rather than waiting out the retry delays of a real failure;
the failing-then-replayed path through a real consumer is the broker contract test
(``keel_common.testing.dead_letter_contract``, on RabbitMQ and the embedded broker).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import pika
import requests
from playwright.sync_api import Page, expect

from keel_common.messaging import Envelope
from keel_common.messaging.dead_queue import ERROR_HEADER
from keel_events.core import ProductUpdated

from . import test_console as console
from .client import TIMEOUT, User, create_product, eventually
from .platform import Platform

# The console tests' browser, page and admin account, shared rather than copied.
browser, page, admin_login = console.browser, console.page, console.admin_login
sign_in = console.sign_in

QUEUE = "search.products"
DEAD_LETTER_APIS = [
    (method, f"/v1/admin/{svc}/{path}", body)
    for svc, queue in (("search", QUEUE), ("notification", "notification.events"))
    for method, path, body in (
        ("GET", f"dead-letters/{queue}", None),
        ("POST", f"dead-letters/{queue}/replay", {"reason": "x"}),
        ("POST", f"dead-letters/{queue}/discard", {"reason": "x"}),
        ("GET", "audit", None),
    )
]


def _dead_letter(platform: Platform, product: dict[str, object], title: str) -> Envelope:
    """A product update search could not apply, in ``search.products.dead`` as its consumer
    leaves one: the envelope, and the first error in the header."""
    now = datetime.now(UTC).isoformat()
    event = ProductUpdated.model_validate(
        {
            **product,
            "title": title,
            "version": int(str(product["version"])) + 1,
            "updated_at": now,
            "deleted_at": None,
        }
    )
    envelope = Envelope.new(event.type, "keel-core", event.model_dump(mode="json"))
    connection = pika.BlockingConnection(pika.URLParameters(platform.env["search"]["BROKER_URL"]))
    try:
        properties = pika.BasicProperties(
            content_type="application/json", delivery_mode=2, message_id=envelope.id,
            type=envelope.type, headers={ERROR_HEADER: "RuntimeError: the index is down"},
        )  # fmt: skip
        connection.channel().basic_publish("", f"{QUEUE}.dead", envelope.to_json(), properties)
    finally:
        connection.close()
    return envelope


def _found(platform: Platform, title: str) -> bool:
    hits = requests.get(
        f"{platform.base_url}/v1/search/products", params={"q": title}, timeout=TIMEOUT
    ).json()["hits"]
    return any(h["title"] == title for h in hits)


def test_admin_replays_a_dead_letter_until_search_handled_it_and_discards_another(
    platform: Platform, page: Page, admin_login: tuple[str, str], new_user: Callable[[str], User]
) -> None:
    seller = new_user("Seller")
    product = create_product(platform.base_url, seller, f"Oak stool {secrets.token_hex(3)}")
    eventually(lambda: _found(platform, product["title"]), "the product in search")
    replayed_title = f"Oak stool renamed {secrets.token_hex(3)}"
    replayed = _dead_letter(platform, product, replayed_title)
    discarded = _dead_letter(platform, product, f"Oak stool poison {secrets.token_hex(3)}")

    sign_in(page, platform, *admin_login)
    page.get_by_role("navigation").get_by_role("link", name="Dead letters").click()
    page.get_by_role("link", name=QUEUE).click()
    expect(page.get_by_text(replayed.id)).to_be_visible()
    expect(page.get_by_text("RuntimeError: the index is down").first).to_be_visible()
    console._screenshot(page, "dead-letters.png")

    letter = page.locator("section", has_text=replayed.id)
    letter.get_by_label("Reason").first.fill("Index is back, ticket 31")
    page.get_by_role("button", name=f"Replay {replayed.id[:8]}").click()
    expect(page.get_by_role("status")).to_contain_text("1 message(s) replayed")
    eventually(lambda: _found(platform, replayed_title), "the replayed event handled by search")

    page.locator("section", has_text=discarded.id).get_by_label("Reason").nth(1).fill(
        "Poison, ticket 32"
    )
    page.get_by_role("button", name=f"Discard {discarded.id[:8]}").click()
    expect(page.get_by_role("status")).to_contain_text("1 message(s) discarded")
    expect(page.get_by_text(discarded.id)).to_have_count(0)
    assert not _found(platform, discarded.data["title"])


def test_a_user_is_refused_by_every_dead_letter_api_and_page(
    platform: Platform, page: Page, new_user: Callable[[str], User]
) -> None:
    user = new_user("Plain")
    for method, path, body in DEAD_LETTER_APIS:
        url = f"{platform.base_url}{path}"
        refused = requests.request(method, url, json=body, headers=user.bearer, timeout=TIMEOUT)
        assert refused.status_code == 403, (path, refused.text)
        anonymous = requests.request(method, url, json=body, timeout=TIMEOUT)
        assert anonymous.status_code == 401, (path, anonymous.text)
    sign_in(page, platform, user.email, user.password)
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    for path in (f"dead-letters/search/{QUEUE}", "audit/"):
        page.goto(f"{platform.base_url}/admin/{path}")
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
