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
