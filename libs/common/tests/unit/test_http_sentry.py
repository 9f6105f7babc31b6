"""Unhandled errors reach Sentry, scrubbed, when a DSN is set; nothing happens without one."""

from __future__ import annotations

import json
import threading

import pytest
import sentry_sdk

from keel_common.errors import init_sentry
from keel_common.http import app as http_app
from keel_common.http import create_app
from keel_common.settings import ServiceSettings, load_settings

from .conftest import DSN, FakeTransport

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLWJ5dGVz"


class SentrySettings(ServiceSettings):
    service_name: str = "toy"


def test_unhandled_error_is_reported_scrubbed(transport: FakeTransport) -> None:
    app = create_app("toy", load_settings(SentrySettings))

    @app.get("/v1/crash")
    def crash() -> None:
        raise RuntimeError(f"upstream rejected token {JWT} for password=hunter2")

    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {
        "Authorization": f"Bearer {JWT}",
        "X-Request-ID": "req-sentry-1",
        "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
    }
    response = app.test_client().get("/v1/crash", headers=headers)
    sentry_sdk.flush()
    assert response.status_code == 500
    (event,) = transport.events
    assert event["environment"] == "test"
    assert event["tags"]["service"] == "toy"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["tags"]["trace_id"] == trace_id
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "upstream rejected token [REDACTED] for password=[REDACTED]"
    text = json.dumps(event)
    assert JWT not in text
    assert "hunter2" not in text


def test_no_dsn_means_no_reporting() -> None:
    assert init_sentry(None, "toy", "test") is False
    assert init_sentry("", "toy", "test") is False
    assert not sentry_sdk.get_client().is_active()


def test_create_app_starts_sentry_only_with_a_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str | None, str, str]] = []
    monkeypatch.setattr(http_app, "init_sentry", lambda *args: calls.append(args))
    create_app("toy", load_settings(SentrySettings, sentry_dsn=DSN, environment="staging"))
    create_app("toy", load_settings(SentrySettings))
    assert calls == [(DSN, "toy", "staging"), (None, "toy", "development")]


def test_an_error_in_a_thread_started_later_carries_the_service_tag(
    transport: FakeTransport,
) -> None:
    """gRPC handlers and consumers run in threads the process starts after ``init_sentry``;
    each starts with a fresh isolation scope, and their events must still name the service."""

    def fail() -> None:
        try:
            raise RuntimeError("handler failed")
        except RuntimeError as exc:
            sentry_sdk.capture_exception(exc)

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    sentry_sdk.flush()
    (event,) = transport.events
    assert event["tags"]["service"] == "toy"
