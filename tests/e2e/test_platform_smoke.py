"""The walking skeleton through the gateway: every service answers on the one origin."""

from __future__ import annotations

import requests

from .platform import Platform


def test_every_service_answers_through_the_gateway(platform: Platform) -> None:
    base = platform.base_url
    for path in (
        "/v1/auth/openapi.json",
        "/v1/core/openapi.json",
        "/v1/notification/openapi.json",
        "/v1/search/openapi.json",
    ):
        response = requests.get(base + path, timeout=5)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.json()["openapi"].startswith("3.1")


def test_unknown_path_is_a_problem_document(platform: Platform) -> None:
    response = requests.get(platform.base_url + "/v1/nowhere", timeout=5)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
