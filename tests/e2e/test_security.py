"""Credentials through the gateway: no token, a forged token, someone else's order."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .client import TIMEOUT, User, assert_problem, create_product, place_order
from .platform import Platform

# One protected route per service that verifies tokens: auth verifies with its own keys,
# core and notification through auth's JWKS.
PROTECTED = [
    ("GET", "/v1/auth/me"),
    ("GET", "/v1/orders"),
    ("POST", "/v1/orders"),
    ("POST", "/v1/products"),
    ("GET", "/v1/notifications"),
]


def call(platform: Platform, method: str, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] | None = {} if method == "POST" else None
    return requests.request(
        method, platform.base_url + path, headers=headers, json=body, timeout=TIMEOUT
    )


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def signed_by_an_attacker(genuine: str) -> str:
    """The genuine token's claims made admin, signed with another key under auth's key id."""
    header, claims = _segments(genuine)
    key = Ed25519PrivateKey.generate()
    return jwt.encode({**claims, "roles": ["admin"]}, key, algorithm="EdDSA", headers=header)


def tampered(genuine: str) -> str:
    """The genuine signature kept, the payload rewritten to claim the admin role."""
    head, _, signature = genuine.split(".")
    _, claims = _segments(genuine)
    payload = json.dumps({**claims, "roles": ["admin"]}).encode()
    return ".".join([head, base64.urlsafe_b64encode(payload).rstrip(b"=").decode(), signature])


def unsigned(genuine: str) -> str:
    """``alg: none``: the oldest trick against JWT verifiers."""
    _, claims = _segments(genuine)
    return jwt.encode(claims, "", algorithm="none")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401(platform: Platform, method: str, path: str) -> None:
    response = call(platform, method, path, token=None)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("forge", [signed_by_an_attacker, tampered, unsigned])
def test_a_forged_token_is_401_everywhere(
    platform: Platform, new_user: Callable[[str], User], forge: Callable[[str], str]
) -> None:
    user = new_user("Mallory")
    assert call(platform, "GET", "/v1/auth/me", user.access_token).status_code == 200
    forged = forge(user.access_token)
    for method, path in PROTECTED:
        assert_problem(call(platform, method, path, forged), 401)


def test_another_users_order_is_404(platform: Platform, new_user: Callable[[str], User]) -> None:
    seller, buyer, stranger = new_user("Seller"), new_user("Buyer"), new_user("Stranger")
    product = create_product(platform.base_url, seller, "Private lamp")
    order = place_order(platform.base_url, buyer, product["id"], 1)
    url = f"{platform.base_url}/v1/orders/{order['id']}"

    assert requests.get(url, headers=buyer.bearer, timeout=TIMEOUT).status_code == 200
    # Neither the order's owner nor its existence leaks to another account.
    assert_problem(requests.get(url, headers=stranger.bearer, timeout=TIMEOUT), 404)
    assert_problem(requests.post(f"{url}/cancel", headers=stranger.bearer, timeout=TIMEOUT), 404)
    mine = requests.get(f"{platform.base_url}/v1/orders", headers=stranger.bearer, timeout=TIMEOUT)
    assert mine.json()["items"] == []
