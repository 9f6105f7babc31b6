"""JSON nested 1,000 levels deep, through the gateway, to every service's JSON body routes:
a 400 problem each time, never the 500 of a RecursionError (#16)."""

from __future__ import annotations

import pytest
import requests

from .client import TIMEOUT, assert_problem
from .platform import Platform

DEEP = "[" * 1000 + "]" * 1000
# One JSON body route of each service that has any (search takes no bodies): public routes
# and protected ones, since the body is refused before the token is even looked at.
ROUTES = [
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/signup"),
    ("POST", "/v1/orders"),
    ("POST", "/v1/products"),
    ("POST", "/v1/devices"),
    ("PUT", "/v1/notifications/preferences"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_json_nested_a_thousand_deep_is_a_400_problem(
    platform: Platform, method: str, path: str
) -> None:
    response = requests.request(
        method,
        platform.base_url + path,
        data=DEEP,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert assert_problem(response, 400)["title"] == "JSON Nested Too Deeply"


def _login(email: str, password: str) -> bytes:
    return ('{"email": "' + email + '", "password": "' + password + '"}').encode()


# Text a fuzzer or an attacker sends: JSON escapes of lone UTF-16 surrogates (valid JSON,
# but no UTF-8 can carry them on to argon2, a log line or PostgreSQL), raw bytes that are
# not UTF-8, surrogate pairs and emoji; and bodies past the 16 KiB nginx keeps in memory,
# which it writes to a temp file first (the 500 once seen here was nginx failing to).
HOSTILE_TEXT = {
    "lone surrogate password": _login("ada@example.com", "\\ud83d"),
    "lone surrogate email": _login("\\udc00@example.com", "pw-123456789"),
    "raw invalid utf-8": b'{"email": "ada@example.com", "password": "\xff\xfe\xed\xa0\x80"}',
    "surrogate pair": _login("ada@example.com", "\\ud83d\\ude00"),
    "emoji": _login("\U0001f600@example.com", "\U0001f600" * 8),
    "20 KiB of surrogate escapes": _login("ada@example.com", "\\ud83d" * 3500),
    "20 KiB of emoji": _login("ada@example.com", "\U0001f600" * 5000),
}


@pytest.mark.parametrize("body", HOSTILE_TEXT.values(), ids=HOSTILE_TEXT.keys())
def test_hostile_text_at_login_is_a_4xx_problem(platform: Platform, body: bytes) -> None:
    response = requests.post(
        platform.base_url + "/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert_problem(response, response.status_code)
