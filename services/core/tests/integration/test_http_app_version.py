"""GET /v1/app-version against the settings file (Consul KV is covered in test_consul_kv)."""

from __future__ import annotations

import pytest
import requests


@pytest.mark.parametrize(
    ("version", "hard", "soft"),
    [("0.9.9", True, False), ("1.0.0", False, False), ("1.2.0", False, False)],
)
def test_app_version_against_the_default_file(
    api: str, version: str, hard: bool, soft: bool
) -> None:
    response = requests.get(
        f"{api}/v1/app-version", params={"platform": "ios", "version": version}, timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {
        "hard_update": hard,
        "soft_update": soft,
        "latest_version": "1.0.0",
        "min_supported_version": "1.0.0",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"platform": "windows", "version": "1.0.0"},
        {"platform": "ios", "version": "1.0"},
        {"platform": "ios", "version": "01.0.0"},
        {"platform": "ios"},
        {"version": "1.0.0"},
    ],
)
def test_bad_app_version_queries_are_422(api: str, params: dict[str, str]) -> None:
    response = requests.get(f"{api}/v1/app-version", params=params, timeout=10)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
