"""The back-office console in a real browser (chromium), through the real gateway, against the
whole platform: an admin signs in and cancels an order, changes an app-version threshold and
rebuilds the search index; a user-role account is refused in the browser and by every admin API.

Every run takes the README's screenshots; they replace docs/screenshots/ only with
KEEL_UPDATE_SCREENSHOTS=1 (otherwise a test run would rewrite tracked files in the checkout).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from .browser import chromium
from .client import TIMEOUT, User, create_product, eventually, place_order, read_emails
from .platform import BIN, ROOT, Platform

SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("KEEL_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "keel-screenshots"
)
NOBODY = "00000000-0000-4000-8000-000000000000"
# Every admin API the console uses, each with a body the admin could send.
ADMIN_APIS: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/v1/admin/products", None),
    ("PATCH", f"/v1/admin/products/{NOBODY}", {"changes": {"stock": 1}, "reason": "x"}),
    ("GET", "/v1/admin/orders", None),
    ("GET", "/v1/admin/orders/today", None),
    ("GET", f"/v1/admin/orders/{NOBODY}", None),
    ("POST", f"/v1/admin/orders/{NOBODY}/cancel", {"reason": "x"}),
    ("GET", "/v1/admin/app-versions", None),
    ("PUT", "/v1/admin/app-versions/ios", {"min_supported_version": "1.0.0",
                                           "latest_version": "1.0.0", "reason": "x"}),
    ("GET", "/v1/admin/search/index", None),
    ("POST", "/v1/admin/search/rebuilds", None),
    ("GET", f"/v1/admin/search/rebuilds/{NOBODY}", None),
    ("POST", f"/v1/admin/notifications/{NOBODY}/resend", {"reason": "x"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def admin_login(platform: Platform) -> tuple[str, str]:
    """A new admin made with ``keel-auth create-admin``, as the README tells operators."""
    email = f"ops.{secrets.token_hex(4)}@example.com"
    password = f"correct horse battery {secrets.token_hex(4)}"
    subprocess.run(
        [str(BIN / "keel-auth"), "create-admin", "--email", email, "--password-stdin"],
        input=f"{password}\n",
        env=platform.env["auth"],
        cwd=platform.workdir,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return email, password


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    yield opened
    context.close()


def sign_in(page: Page, platform: Platform, email: str, password: str) -> None:
    page.goto(f"{platform.base_url}/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_cancels_an_order_from_the_console(
    platform: Platform, page: Page, admin_login: tuple[str, str], new_user: Callable[[str], User]
) -> None:
    seller, buyer = new_user("Seller"), new_user("Buyer")
    product = create_product(platform.base_url, seller, "Walnut desk lamp")
    order = place_order(platform.base_url, buyer, product["id"], 2)

    sign_in(page, platform, *admin_login)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#index-lag")).to_contain_text("product changes waiting")
    _no_token_reachable_by_scripts(page)
    _screenshot(page, "dashboard.png")
    page.get_by_role("navigation").get_by_role("link", name="Orders").click()
    page.get_by_label("Order id").fill(order["id"])
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=order["id"][:8]).click()
    expect(page.locator("#order-status")).to_have_text("placed")
    _screenshot(page, "order.png")
    page.get_by_label("Reason").fill("Buyer asked by phone, ticket 17")
    page.get_by_role("button", name="Cancel order").click()

    expect(page.locator("#order-status")).to_have_text("cancelled")
    expect(page.get_by_text("Buyer asked by phone, ticket 17")).to_be_visible()
    stock = requests.get(f"{platform.base_url}/v1/products/{product['id']}", timeout=TIMEOUT)
    assert stock.json()["stock"] == 5
    subject = f"Your order {order['id']} was cancelled"
    eventually(
        lambda: [m for m in read_emails(platform.outbox_dir)
                 if m["To"] == buyer.email and m["Subject"] == subject],
        "the buyer's cancellation email",
    )  # fmt: skip


def test_admin_changes_an_app_version_threshold_live(
    platform: Platform, page: Page, admin_login: tuple[str, str]
) -> None:
    sign_in(page, platform, *admin_login)
    page.get_by_role("navigation").get_by_role("link", name="App versions").click()
    page.get_by_label("Minimum supported (hard)").nth(1).fill("3.0.0")
    page.locator("#android-latest").fill("3.2.0")
    page.locator("#android-reason").fill("3.0 drops the old checkout")
    page.get_by_role("button", name="Save android").click()

    expect(page.get_by_role("status")).to_contain_text("Saved android")
    advice = requests.get(
        f"{platform.base_url}/v1/app-version",
        params={"platform": "android", "version": "2.9.0"},
        timeout=TIMEOUT,
    ).json()
    assert advice == {
        "hard_update": True,
        "soft_update": False,
        "latest_version": "3.2.0",
        "min_supported_version": "3.0.0",
    }


def test_admin_rebuilds_the_search_index_and_watches_it_finish(
    platform: Platform, page: Page, admin_login: tuple[str, str], new_user: Callable[[str], User]
) -> None:
    create_product(platform.base_url, new_user("Seller"), "Brass reading lamp")
    sign_in(page, platform, *admin_login)
    page.get_by_role("navigation").get_by_role("link", name="Search").click()
    page.get_by_role("button", name="Start a rebuild").click()

    # The page reloads itself (meta refresh, no script) until the job ends.
    expect(page.locator("#rebuild-status")).to_have_text("succeeded", timeout=120_000)
    page.get_by_role("link", name="Back to the index").click()
    documents = int(page.locator("#documents").inner_text())
    assert documents >= 1
    expect(page.locator("#lag")).to_contain_text("product changes from core waiting")


def test_admin_resends_a_failed_receipt_to_the_buyers_address(
    platform: Platform, page: Page, admin_login: tuple[str, str], new_user: Callable[[str], User]
) -> None:
    buyer = new_user("Resend")
    subject = f"Your receipt {secrets.token_hex(4)}"
    failed = _failed_receipt(platform, uuid.UUID(buyer.id), subject)
    sign_in(page, platform, *admin_login)
    page.goto(f"{platform.base_url}/admin/messages/{failed}")
    page.get_by_label("Reason").fill("Mailbox fixed, ticket 21")
    page.get_by_role("button", name="Resend").click()

    expect(page.locator("#resent")).to_be_visible()
    eventually(
        lambda: [m for m in read_emails(platform.outbox_dir)
                 if m["To"] == buyer.email and m["Subject"] == subject],
        "the resent receipt",
    )  # fmt: skip


def _failed_receipt(platform: Platform, user_id: uuid.UUID, subject: str) -> uuid.UUID:
    """A receipt whose delivery failed for good, written to notification's delivery log
    the way its dispatcher leaves one (the file provider of the platform never fails)."""
    from keel_common.db import create_engine, make_session_factory
    from keel_notification.adapters.orm import start_mappers
    from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from keel_notification.domain.model import Category, Channel, Notification

    start_mappers()
    engine = create_engine(platform.env["notification"]["DATABASE_URL"])
    message = Notification(
        user_id=user_id, event_id=uuid.uuid4(), channel=Channel.EMAIL,
        category=Category.TRANSACTIONAL, template="order_receipt", locale="en",
        recipient="bounced@example.com", next_attempt_at=datetime.now(UTC),
        content={"subject": subject, "text": "Thank you.", "html": "<p>Thank you.</p>"},
    )  # fmt: skip
    message.fail("550 mailbox unavailable")
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            uow.notifications.add(message)
            uow.commit()
    finally:
        engine.dispose()
    return message.id


def test_a_user_is_refused_in_the_browser_and_by_every_admin_api(
    platform: Platform, page: Page, new_user: Callable[[str], User]
) -> None:
    user = new_user("Plain")
    sign_in(page, platform, user.email, user.password)

    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert page.get_by_role("alert").is_visible()
    for method, path, body in ADMIN_APIS:
        url = f"{platform.base_url}{path}"
        refused = requests.request(method, url, json=body, headers=user.bearer, timeout=TIMEOUT)
        assert refused.status_code == 403, (path, refused.text)
        anonymous = requests.request(method, url, json=body, timeout=TIMEOUT)
        assert anonymous.status_code == 401, (path, anonymous.text)


def test_signing_out_ends_the_console_session(
    platform: Platform, page: Page, admin_login: tuple[str, str]
) -> None:
    sign_in(page, platform, *admin_login)
    response = page.goto(f"{platform.base_url}/admin/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "default-src 'none'" in csp
    [cookie] = page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/admin/")

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.context.add_cookies([cookie])  # a copy kept from before: its tokens were revoked
    page.goto(f"{platform.base_url}/admin/orders")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_the_console_reads_on_a_phone_width_window(
    platform: Platform, browser: Browser, admin_login: tuple[str, str]
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    phone = context.new_page()
    try:
        sign_in(phone, platform, *admin_login)
        expect(phone.get_by_role("heading", name="Dashboard")).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways: {width}px wide"
    finally:
        context.close()


def _no_token_reachable_by_scripts(page: Page) -> None:
    assert page.evaluate("Object.keys(window.localStorage).length") == 0
    assert page.evaluate("Object.keys(window.sessionStorage).length") == 0
    assert page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly


def _screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
