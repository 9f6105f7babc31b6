"""What the nginx gateway itself promises: problem+json for its own errors, a body limit,
and one request id per request, shared with the service behind it."""

from __future__ import annotations

import re
import secrets

import requests

from .client import TIMEOUT, assert_problem, eventually
from .platform import Platform

MINTED_ID = re.compile(r"^[0-9a-f]{32}$")


def test_an_unknown_path_is_a_404_problem(platform: Platform) -> None:
    for path in ("/v1/nowhere", "/v1/productsearch", "/healthz", "/metrics", "/"):
        body = assert_problem(requests.get(platform.base_url + path, timeout=TIMEOUT), 404)
        assert body["detail"] == "No route matches this path.", path


def test_a_body_over_one_mebibyte_is_a_413_problem(platform: Platform) -> None:
    oversized = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    response = requests.post(
        f"{platform.base_url}/v1/products",
        data=oversized,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert_problem(response, 413)


def test_the_clients_request_id_is_echoed_once_and_reaches_the_service(
    platform: Platform,
) -> None:
    request_id = f"client-{secrets.token_hex(8)}"
    response = requests.get(
        f"{platform.base_url}/v1/products",
        headers={"X-Request-ID": request_id},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    # requests joins repeated headers with ", ": equality also proves it came once.
    assert response.headers["X-Request-ID"] == request_id
    eventually(
        lambda: any(r.get("request_id") == request_id for r in platform.log_records("core-web")),
        f"core's access log line for request {request_id}",
    )


def test_the_gateway_mints_a_request_id_when_the_client_sends_none_or_junk(
    platform: Platform,
) -> None:
    for sent in ({}, {"X-Request-ID": 'forged", "admin": true'}):
        response = requests.get(f"{platform.base_url}/v1/products", headers=sent, timeout=TIMEOUT)
        assert MINTED_ID.match(response.headers["X-Request-ID"]), response.headers
    missing = requests.get(f"{platform.base_url}/v1/nowhere", timeout=TIMEOUT)
    assert missing.json()["request_id"] == missing.headers["X-Request-ID"]
