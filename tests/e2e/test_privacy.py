"""Account erasure and data export across the four services, through the gateway (issue #14,
"Done when").

Erasure: a user with a proved phone, products, an order from another seller, a push device,
preferences and delivered notifications deletes their account; once every service reported,
no table of any service's database, no file of the search index and no key or value of auth's
rate-limit store holds their email, phone
or name, except what the READMEs document: their order, kept for accounting with the buyer
replaced by a pseudonym, and auth's outbox row of the last email (``auth.user.erased.v1``,
pruned with every published event). Once more with notification's worker stopped while the
account is deleted: its part waits in its queue and is done when the worker is back.

Export: the emailed link gives the document once; it holds the user's data from the four
services and no secret.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import requests

from .client import (
    TIMEOUT,
    User,
    assert_problem,
    create_product,
    eventually,
    place_order,
    read_emails,
    text_body,
)
from .personal_data import (
    Hit,
    database_hits,
    index_file_hits,
    rate_limit_hits,
    rate_limit_store,
    scalar,
)
from .platform import BIN, Platform
from .test_attack_run import first_code, texts_to

SERVICES_REPORTING = ("auth", "core", "notification", "search")
# An iOS push token (hex): registered, then never in the export unmasked.
PUSH_TOKEN = secrets.token_hex(32)


@pytest.fixture(scope="module")
def admin(platform: Platform) -> dict[str, str]:
    """The Bearer header of a new admin (``keel-auth create-admin``), who reads erasures."""
    email = f"privacy-ops.{secrets.token_hex(4)}@example.com"
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
    login = call(platform, "POST", "/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def call(platform: Platform, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, platform.base_url + path, timeout=TIMEOUT, **kwargs)


def new_phone() -> str:
    """A fictional North American number (555-xxxx), new each call."""
    return f"+1415555{secrets.randbelow(10_000):04d}"


def prove_phone(platform: Platform, user: User, phone: str) -> None:
    asked = call(platform, "POST", "/v1/auth/phone", json={"phone": phone}, headers=user.bearer)
    assert asked.status_code == 202, asked.text
    code = eventually(lambda: first_code(texts_to(platform.outbox_dir, phone)), "the SMS code")
    body = {"phone": phone, "code": code}
    proved = call(platform, "POST", "/v1/auth/phone/verify", json=body, headers=user.bearer)
    assert proved.status_code == 200 and proved.json()["phone_verified"], proved.text


def deliveries(platform: Platform, user: User) -> list[dict[str, Any]]:
    listed = call(platform, "GET", "/v1/notifications", headers=user.bearer)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def receipt_delivered(platform: Platform, user: User, order_id: str) -> bool:
    """The order's receipt went out by email and by push (the delivery log says sent)."""
    sent = {
        (d["template"], d["channel"]) for d in deliveries(platform, user) if d["status"] == "sent"
    }
    mailed = any(order_id in str(m["Subject"]) for m in read_emails(platform.outbox_dir))
    return mailed and {("order_receipt", "email"), ("order_receipt", "push")} <= sent


def search_finds(platform: Platform, word: str) -> list[str]:
    found = call(platform, "GET", "/v1/search/products", params={"q": word})
    assert found.status_code == 200, found.text
    return [hit["id"] for hit in found.json()["hits"]]


def a_full_account(
    platform: Platform, new_user: Callable[[str], User]
) -> tuple[User, str, dict[str, Any], str]:
    """A user with everything each service can hold about them, all of it settled: the
    user, their phone, their order, and the word in their product's title."""
    user = new_user(f"Noor Privacy{secrets.token_hex(3)}")
    seller = new_user("Privacy Seller")
    phone = new_phone()
    prove_phone(platform, user, phone)
    # Letters no id holds (ids are hex): tantivy's LZ4-compressed document store writes a
    # run of 4+ bytes seen earlier in its block as a back-reference, so a hex suffix that
    # shares four characters with a neighbour's UUID was not in the files byte for byte.
    word = "sconce" + "".join(secrets.choice("ghjkmnpqrstvwxyz") for _ in range(10))
    own = create_product(platform.base_url, user, f"{word} in brass")
    bought = create_product(platform.base_url, seller, f"lantern{secrets.token_hex(3)}")
    device = {"platform": "ios", "token": PUSH_TOKEN}
    registered = call(platform, "POST", "/v1/devices", json=device, headers=user.bearer)
    assert registered.status_code == 201, registered.text
    prefs = {"email_promotional": False, "sms_promotional": False, "push_promotional": True}
    put = call(platform, "PUT", "/v1/notifications/preferences", json=prefs, headers=user.bearer)
    assert put.status_code == 200, put.text
    order = place_order(platform.base_url, user, bought["id"], 1)
    eventually(lambda: receipt_delivered(platform, user, order["id"]), "the order's receipt")
    eventually(lambda: own["id"] in search_finds(platform, word), "the product in search")
    return user, phone, order, word


def erasure(platform: Platform, admin: dict[str, str], user: User) -> dict[str, Any]:
    status = call(platform, "GET", f"/v1/admin/users/{user.id}/erasure", headers=admin)
    assert status.status_code == 200, status.text
    body: dict[str, Any] = status.json()
    return body


def delete_account(platform: Platform, user: User) -> None:
    body = {"password": user.password}
    deleted = call(platform, "DELETE", "/v1/auth/me", json=body, headers=user.bearer)
    assert deleted.status_code == 202, deleted.text
    # At once: the token works nowhere any more.
    assert call(platform, "GET", "/v1/orders", headers=user.bearer).status_code == 401


def erased_email_sent(platform: Platform, user: User) -> bool:
    return any(
        m["To"] == user.email and m["Subject"] == "Your account was erased"
        for m in read_emails(platform.outbox_dir)
    )


def documented(hit: Hit) -> bool:
    """The one row the auth README lets keep the address: the last email's event, in auth's
    outbox until published events are pruned."""
    return (hit.service, hit.table) == ("auth", "outbox") and "auth.user.erased.v1" in hit.row


def assert_forgotten(
    platform: Platform, user: User, phone: str, order: dict[str, Any], word: str
) -> None:
    """Nothing left but the documented rows, the order kept under a pseudonym, and the
    user's product gone from search."""
    identifiers = [user.email, phone, phone.lstrip("+"), user.name]
    # What they wrote too: their product's title, in any row core keeps (the product, an
    # order line, a published event). The index files may keep it a while (README's bound).
    written = [*identifiers, word]

    def leftovers() -> list[Hit]:
        left = [h for h in database_hits(platform, written) if not documented(h)]
        return (
            left + index_file_hits(platform, identifiers) + rate_limit_hits(platform, identifiers)
        )

    # The last email's address is masked when it settles, just after it was written.
    try:
        eventually(lambda: not leftovers(), "no personal data left", timeout=60)
    except AssertionError:
        pytest.fail("personal data left:\n" + "\n".join(map(str, leftovers())))
    kept = [h for h in database_hits(platform, identifiers) if documented(h)]
    assert len(kept) == 1, kept  # the last email's event, nothing else
    buyer = scalar(platform, "core", "SELECT buyer_id FROM orders WHERE id = :id", id=order["id"])
    theirs = scalar(
        platform, "core", "SELECT count(*) FROM orders WHERE buyer_id = :id", id=user.id
    )
    assert str(buyer) != user.id and theirs == 0, "the order is kept, under a pseudonym"
    assert search_finds(platform, word) == []


def assert_scanners_see(platform: Platform, user: User, phone: str, word: str) -> None:
    """Before the erasure, the same scans find the user: they can see what they look for."""
    services = {h.service for h in database_hits(platform, [user.email])}
    assert {"auth", "notification"} <= services, services
    assert {h.service for h in database_hits(platform, [phone])} >= {"auth"}
    assert index_file_hits(platform, [word]), "the index files hold the product's title"
    assert "core" in {h.service for h in database_hits(platform, [word])}, "and core's rows"
    assert any(b"keel-auth" in entry for entry in rate_limit_store(platform)), "limits are kept"


def test_an_erased_account_leaves_nothing_but_its_pseudonymized_order(
    platform: Platform, new_user: Callable[[str], User], admin: dict[str, str]
) -> None:
    user, phone, order, word = a_full_account(platform, new_user)
    assert_scanners_see(platform, user, phone, word)

    delete_account(platform, user)
    eventually(lambda: erasure(platform, admin, user)["complete"], "every service's report")
    assert all(erasure(platform, admin, user)["completed"][s] for s in SERVICES_REPORTING)
    eventually(lambda: erased_email_sent(platform, user), "the account-erased email")
    assert_forgotten(platform, user, phone, order, word)


def test_notification_erases_when_its_worker_is_back(
    platform: Platform, new_user: Callable[[str], User], admin: dict[str, str]
) -> None:
    user, phone, order, word = a_full_account(platform, new_user)

    platform.stop_process("notification-worker")
    try:
        delete_account(platform, user)
        others = ("auth", "core", "search")
        eventually(
            lambda: all(erasure(platform, admin, user)["completed"][s] for s in others),
            "auth's, core's and search's reports",
        )
        status = erasure(platform, admin, user)
        assert status["completed"]["notification"] is None and not status["complete"]
        # Notification's tables still hold the user while its worker is down.
        assert "notification" in {h.service for h in database_hits(platform, [user.email])}
    finally:
        platform.start_again("notification-worker")

    eventually(lambda: erasure(platform, admin, user)["complete"], "notification's report")
    eventually(lambda: erased_email_sent(platform, user), "the account-erased email")
    assert_forgotten(platform, user, phone, order, word)


def export_link(platform: Platform, user: User) -> str:
    def find() -> str | None:
        for message in reversed(read_emails(platform.outbox_dir)):
            found = re.search(r"/v1/auth/me/export/([\w-]+)", text_body(message))
            if message["To"] == user.email and found:
                return found.group(1)
        return None

    return eventually(find, "the export-ready email")


def test_the_export_holds_every_service_s_data_once_and_no_secret(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    user, phone, order, word = a_full_account(platform, new_user)
    asked = call(platform, "POST", "/v1/auth/me/export", headers=user.bearer)
    assert asked.status_code == 202, asked.text
    token = export_link(platform, user)

    downloaded = call(platform, "GET", f"/v1/auth/me/export/{token}")
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["Cache-Control"] == "no-store"
    document = downloaded.json()
    assert document["format"] == "keel.export.v1"
    assert document["user"]["id"] == user.id and document["user"]["email"] == user.email
    assert (document["user"]["phone"], document["user"]["name"]) == (phone, user.name)
    assert document["sessions"] and document["audit"]
    core = document["core"]
    assert word in json.dumps(core["products"])
    assert [o["id"] for o in core["orders"]] == [order["id"]]
    notification = document["notification"]
    assert [d["platform"] for d in notification["devices"]] == ["ios"]
    assert notification["preferences"]["push_promotional"] is True
    assert notification["contact"]["email"] == user.email
    sent = {(d["template"], d["channel"]) for d in notification["deliveries"]}
    assert ("order_receipt", "push") in sent
    assert word in json.dumps(document["search"]["products"])

    text = json.dumps(document)
    assert PUSH_TOKEN not in text and PUSH_TOKEN[8:-8] not in text
    assert token not in text and user.access_token not in text and user.password not in text
    assert "$argon2" not in text
    assert not re.search(r"[0-9a-fA-F]{40,}", text), "a hash or raw token is in the export"
    secret_keys = {"password_hash", "token_hash", "refresh_token", "access_token", "code"}
    assert not secret_keys & set(keys_of(document)), secret_keys & set(keys_of(document))
    for code in re.findall(r"\b\d{6}\b", "".join(texts_to(platform.outbox_dir, phone))):
        assert not re.search(rf"(?<!\d){code}(?!\d)", text), "an SMS code is in the export"

    assert_problem(call(platform, "GET", f"/v1/auth/me/export/{token}"), 404)


def keys_of(value: Any) -> list[str]:
    """Every key of every object nested in ``value``."""
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in (k, *keys_of(v))]
    if isinstance(value, list):
        return [k for v in value for k in keys_of(v)]
    return []
