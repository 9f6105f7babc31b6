"""The console's Users pages in a real browser, through the real gateway: an admin finds a
user, revokes their sessions (their token then gets 401 at auth and at core at once),
disables and re-enables the account (sign-in refused, then accepted); staff operate but are
not offered roles (403 from the API); a user-role account is refused by every users API.

Takes the "dashboard" and "user" screenshots for the README (docs/screenshots/ with
KEEL_UPDATE_SCREENSHOTS=1, as test_console).
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from playwright.sync_api import Page, expect

from . import test_console as console
from .client import TIMEOUT, User
from .platform import Platform

NOBODY = console.NOBODY
REASON = {"reason": "x"}
USERS_APIS: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/v1/admin/users", None),
    ("GET", "/v1/admin/users/stats", None),
    ("GET", f"/v1/admin/users/{NOBODY}", None),
    ("GET", f"/v1/admin/users/{NOBODY}/audit", None),
    ("POST", f"/v1/admin/users/{NOBODY}/sessions/revoke", REASON),
    ("POST", f"/v1/admin/users/{NOBODY}/disable", REASON),
    ("POST", f"/v1/admin/users/{NOBODY}/enable", REASON),
    ("PUT", f"/v1/admin/users/{NOBODY}/roles", {"roles": ["user"], **REASON}),
    ("GET", "/v1/admin/auth/audit", None),
]

# The console test module's fixtures: one chromium, an admin made with the operator's CLI.
browser = console.browser
admin_login = console.admin_login
page = console.page


def log_in(platform: Platform, email: str, password: str) -> requests.Response:
    body = {"email": email, "password": password}
    return requests.post(f"{platform.base_url}/v1/auth/login", json=body, timeout=TIMEOUT)


def confirm(page: Page, form: str, reason: str, button: str) -> None:
    """Fill an action's reason, send it, then say yes on the confirmation page."""
    page.locator(f"#{form}-reason").fill(reason)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("heading", name=f"{button}?")).to_be_visible()
    page.get_by_role("button", name=f"Yes, {button.lower()}").click()
    expect(page.get_by_role("status")).to_contain_text(button)


def open_user(page: Page, platform: Platform, user: User) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Users").click()
    page.get_by_label("Email (or its beginning), phone or user id").fill(user.email)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=user.email).click()
    expect(page.get_by_role("heading", name=user.email)).to_be_visible()


def test_admin_revokes_disables_and_re_enables_a_user(
    platform: Platform, page: Page, admin_login: tuple[str, str], new_user: Callable[[str], User]
) -> None:
    target = new_user("Support Case")
    me = f"{platform.base_url}/v1/auth/me"
    orders = f"{platform.base_url}/v1/orders"
    assert requests.get(orders, headers=target.bearer, timeout=TIMEOUT).status_code == 200

    console.sign_in(page, platform, *admin_login)
    expect(page.get_by_role("heading", name="Sign-ups")).to_be_visible()
    assert int(page.locator("#signups-today").inner_text()) >= 1
    console._screenshot(page, "dashboard.png")
    open_user(page, platform, target)
    expect(page.locator("#sessions")).not_to_contain_text("No active session")
    console._screenshot(page, "user.png")

    confirm(page, "revoke", "Lost phone, ticket 21", "Revoke all sessions")
    expect(page.locator("#sessions")).to_contain_text("No active session")
    # At once, at auth and at core (each verifies with the shared denylist): no waiting.
    assert requests.get(me, headers=target.bearer, timeout=TIMEOUT).status_code == 401
    assert requests.get(orders, headers=target.bearer, timeout=TIMEOUT).status_code == 401

    confirm(page, "disable", "Chargeback fraud, ticket 22", "Disable account")
    expect(page.locator("#user-state")).to_have_text("disabled")
    refused = log_in(platform, target.email, target.password)
    assert (refused.status_code, refused.json()["type"]) == (403, "/problems/account-disabled")

    confirm(page, "enable", "Bank cleared it, ticket 22", "Re-enable account")
    expect(page.locator("#user-state")).to_have_text("active")
    assert log_in(platform, target.email, target.password).status_code == 200
    trail = page.locator("#audit-trail")
    for reason in ("Lost phone, ticket 21", "Chargeback fraud, ticket 22", "Bank cleared it"):
        expect(trail).to_contain_text(reason)


def test_staff_operate_but_are_not_offered_roles(
    platform: Platform, page: Page, admin_login: tuple[str, str], new_user: Callable[[str], User]
) -> None:
    staff, target = new_user("Support Agent"), new_user("Customer")
    admin = log_in(platform, *admin_login).json()["access_token"]
    grant = {"roles": ["staff"], "reason": "joined support"}
    granted = requests.put(
        f"{platform.base_url}/v1/admin/users/{staff.id}/roles", json=grant,
        headers={"Authorization": f"Bearer {admin}"}, timeout=TIMEOUT,
    )  # fmt: skip
    assert granted.status_code == 200, granted.text

    console.sign_in(page, platform, staff.email, staff.password)
    open_user(page, platform, target)
    expect(page.get_by_role("button", name="Save roles")).to_have_count(0)
    confirm(page, "revoke", "Asked by the customer", "Revoke all sessions")

    token = log_in(platform, staff.email, staff.password).json()["access_token"]
    roles = requests.put(
        f"{platform.base_url}/v1/admin/users/{target.id}/roles",
        json={"roles": ["admin"], "reason": "x"},
        headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT,
    )  # fmt: skip
    assert roles.status_code == 403


def test_a_user_is_refused_by_every_users_api(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    user = new_user("Plain")
    for method, path, body in USERS_APIS:
        url = f"{platform.base_url}{path}"
        refused = requests.request(method, url, json=body, headers=user.bearer, timeout=TIMEOUT)
        assert refused.status_code == 403, (path, refused.text)
        anonymous = requests.request(method, url, json=body, timeout=TIMEOUT)
        assert anonymous.status_code == 401, (path, anonymous.text)
