"""What a client app does, over HTTP through the gateway only: sign up, log in, call with a
Bearer token; plus ``eventually`` for effects that travel through the broker."""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import requests

T = TypeVar("T")
TIMEOUT = 15  # seconds for one HTTP call; generous, the machine is shared
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    access_token: str
    #: Kept for the tests that sign in through a form (the console).
    password: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def sign_up_and_log_in(base_url: str, name: str, outbox_dir: Path) -> User:
    """A new account (unique email) and an access token for it, as the mobile app gets them:
    sign up (202), follow the link of the welcome email (the dev provider's ``.eml`` files),
    which verifies the address and signs in, then log in with the password as well."""
    local = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    email_address = f"{local}.{secrets.token_hex(4)}@example.com"
    password = f"correct horse battery {secrets.token_hex(4)}"
    body = {"email": email_address, "password": password, "name": name}
    created = requests.post(f"{base_url}/v1/auth/signup", json=body, timeout=TIMEOUT)
    assert created.status_code == 202, created.text
    verified = requests.post(
        f"{base_url}/v1/auth/email/verify",
        json={"token": verification_token(outbox_dir, email_address)},
        timeout=TIMEOUT,
    )
    assert verified.status_code == 200, verified.text
    credentials = {"email": email_address, "password": password}
    login = requests.post(f"{base_url}/v1/auth/login", json=credentials, timeout=TIMEOUT)
    assert login.status_code == 200, login.text
    assert login.json()["token_type"] == "Bearer"
    me = requests.get(
        f"{base_url}/v1/auth/me",
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        timeout=TIMEOUT,
    )
    assert me.status_code == 200, me.text
    token = login.json()["access_token"]
    return User(me.json()["id"], email_address, name, token, password)


def verification_token(outbox_dir: Path, address: str) -> str:
    """The token in the verification link of the newest welcome email to ``address``."""

    def link() -> str | None:
        for message in reversed(read_emails(outbox_dir)):
            found = re.search(r"/verify-email\?token=([\w.-]+)", text_body(message))
            if message["To"] == address and found:
                return found.group(1)
        return None

    return eventually(link, f"the welcome email to {address}")


def create_product(
    base_url: str, seller: User, title: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    product = {
        "title": title,
        "description": "Solid walnut, warm light",
        "price_cents": 4500,
        "currency": "EUR",
        "category": "lighting",
        "stock": 5,
    }
    sent = {**seller.bearer, **(headers or {})}
    response = requests.post(f"{base_url}/v1/products", json=product, headers=sent, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def place_order(
    base_url: str,
    buyer: User,
    product_id: str,
    quantity: int,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = {"items": [{"product_id": product_id, "quantity": quantity}]}
    sent = {**buyer.bearer, "Idempotency-Key": secrets.token_hex(8), **(headers or {})}
    response = requests.post(f"{base_url}/v1/orders", json=body, headers=sent, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem document with ``status``; its body."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 90) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` at the deadline.

    The deadline only bounds a failure: nothing here asserts how fast an effect arrives.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:.0f}s")
        time.sleep(0.25)


def read_emails(outbox_dir: Path) -> list[EmailMessage]:
    """Every email the platform sent, as the dev file provider wrote them (``.eml``)."""
    messages = []
    for path in sorted((outbox_dir / "email").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text/plain part"
    assert isinstance(part, EmailMessage)
    return str(part.get_content())
