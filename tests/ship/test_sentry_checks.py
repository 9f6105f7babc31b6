"""The secret check the Bugsink test relies on finds what it must (a check that can never
fail would prove nothing)."""

from __future__ import annotations

from tests.ship.sentry_checks import leaked


def stored(request: dict[str, object]) -> dict[str, object]:
    return {"id": "e1", "data": {"request": request, "tags": {"service": "auth"}}}


def test_masked_headers_and_fields_pass() -> None:
    event = stored(
        {
            "headers": [["Authorization", "[REDACTED]"], ["Cookie", "[Filtered]"]],
            "data": {"password": "[REDACTED]", "email": "a@example.com"},
        }
    )
    assert leaked(event, ["hunter2"]) == []


def test_a_sent_secret_anywhere_is_found() -> None:
    event = stored({"data": {"note": "login failed for hunter2"}})
    assert leaked(event, ["hunter2"]) == ["value hunt..."]


def test_unmasked_secret_fields_and_headers_are_found() -> None:
    event = stored(
        {
            "headers": [["Authorization", "Bearer abc"]],
            "cookies": {"s": "1"},
            "data": {"code": "123456"},
        }
    )
    assert sorted(leaked(event, [])) == [
        "/request/cookies",
        "/request/data/code",
        "/request/headers/0/Authorization",
    ]
