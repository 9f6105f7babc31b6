"""``log_line`` writes what ``Logger.log`` writes, and leaves the ordinary path to any other
listener."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from keel_common import tracing
from keel_common.json_line import JsonLineFormatter
from keel_common.log_line import access_line, log_line
from keel_common.logging import configure_logging, current_service

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLWJ5dGVz"
CASES: list[tuple[int, str, dict[str, Any]]] = [
    (logging.INFO, "GET /v1/items/7 200",
     {"method": "GET", "path": "/v1/items/7", "route": "/v1/items/<int:item_id>", "status": 200,
      "duration_ms": 0.125}),
    (logging.DEBUG, "GET /healthz 200", {"path": "/healthz", "status": 200}),
    # Secrets in the message, in a value and under a secret-named key: scrubbed alike.
    (logging.WARNING, f"GET /v1/x/{JWT} 401",
     {"path": f"/v1/x/{JWT}?password=hunter2", "token": "opaque-1", "n": None,
      "nested": {"api_key": "k-1", "ok": [1.5, "Bearer abcdefghij"]}}),
    (logging.INFO, "caf\u00e9 \u2603", {"unicode": "\u00e9t\u00e9"}),
    # A message with nothing to scrub lets its own parts through unscrubbed, nothing else;
    # a message with a secret does not, though the value is a part of it.
    (logging.INFO, "GET /v1/items 200",
     {"method": "GET", "path": "/v1/items", "query": "password=hunter2", "n": 1, "f": 0.5,
      "b": True, "none": None}),
    (logging.INFO, "GET /v1/items?password=hunter2 200",
     {"method": "GET", "path": "/v1/items?password=hunter2"}),
    (logging.INFO, "GET /v1/items?password=hunter2 200",
     {"method": "GET", "path": "/v1/items?password=hunter2"}),  # again: nothing remembered
]  # fmt: skip


@pytest.fixture
def keel_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only listener is Keel's JSON handler (pytest's capture handlers sit
    on the root logger, so this one has no parent)."""
    stream = io.StringIO()
    handler = configure_logging("svc", "DEBUG", stream=stream)
    logging.getLogger().removeHandler(handler)
    logger = logging.Logger("keel.access", logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream


def _ordinary(logger: logging.Logger, level: int, message: str, extra: dict[str, Any]) -> None:
    record = logger.makeRecord(logger.name, level, __file__, 0, message, (), None, extra=extra)
    logger.handle(record)


@pytest.mark.parametrize(("level", "message", "extra"), CASES)
@pytest.mark.parametrize("in_request", [True, False])
def test_the_line_is_the_ordinary_paths_byte_for_byte(
    keel_logger: tuple[logging.Logger, io.StringIO],
    monkeypatch: pytest.MonkeyPatch,
    level: int,
    message: str,
    extra: dict[str, Any],
    in_request: bool,
) -> None:
    logger, stream = keel_logger
    monkeypatch.setattr(time, "time", lambda: 1_764_936_000.123456)
    token = current_service.set("other" if in_request else None)
    try:
        with tracing.use(tracing.new_trace(), "req-1") if in_request else _nothing():
            _ordinary(logger, level, message, dict(extra))
            ordinary = stream.getvalue()
            stream.truncate(0), stream.seek(0)

            def no_record(*args: object, **kwargs: object) -> logging.LogRecord:
                raise AssertionError("made a LogRecord")

            monkeypatch.setattr(logger, "makeRecord", no_record)  # the short path is taken
            log_line(logger, level, message, dict(extra))
    finally:
        current_service.reset(token)
    assert stream.getvalue() == ordinary
    assert "hunter2" not in ordinary and "opaque-1" not in ordinary and JWT not in ordinary


# (level, method, path, route, status, duration in ms): what ``_finish_request`` passes.
ACCESS_CASES: list[tuple[int, str, str, str, int, float]] = [
    (logging.INFO, "GET", "/v1/products/0193a1b2-3c4d", "/v1/products/<product_id>", 200, 1.234),
    (logging.DEBUG, "GET", "/healthz", "/healthz", 200, 0.0),
    (logging.INFO, "POST", "/v1/orders", "/v1/orders", 201, 12.5),
    (logging.INFO, "OTHER", "/a/\"quoted\"/b\\", "unmatched", 404, 1e-3),
    (logging.INFO, "GET", "/v1/caf\u00e9", "unmatched", 404, 0.25),  # non-ASCII: scrubbed path
    # Secret-shaped paths: the message is scrubbed, so the line takes the general path.
    (logging.INFO, "GET", f"/v1/x/{JWT}", "/v1/x/<item>", 401, 3.0),
    (logging.INFO, "GET", "/v1/auth/me/export/<token>", "/v1/auth/me/export/<token>", 200, 2.0),
    # A route template that is no part of the message and holds a trigger ("key").
    (logging.INFO, "GET", "/v1/k/7", "/v1/k/<key>", 200, 0.5),
    (logging.WARNING, "DELETE", "/v1/products/9", "/v1/products/<product_id>", 500, 1e21),
    (logging.INFO, "GET", "/v1/slow", "/v1/slow", 200, float("nan")),  # the encoder's NaN
]  # fmt: skip


@pytest.mark.parametrize("case", ACCESS_CASES)
@pytest.mark.parametrize("in_request", [True, False])
def test_the_access_line_is_the_ordinary_paths_byte_for_byte(
    keel_logger: tuple[logging.Logger, io.StringIO],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[int, str, str, str, int, float],
    in_request: bool,
) -> None:
    logger, stream = keel_logger
    level, method, path, route, status, duration = case
    monkeypatch.setattr(time, "time", lambda: 1_764_936_000.123456)
    extra = {"method": method, "path": path, "route": route, "status": status,
             "duration_ms": duration}  # fmt: skip
    with tracing.use(tracing.new_trace(), "req-1") if in_request else _nothing():
        _ordinary(logger, level, f"{method} {path} {status}", extra)
        ordinary = stream.getvalue()
        stream.truncate(0), stream.seek(0)
        access_line(logger, level, method, path, route, status, duration)
    assert stream.getvalue() == ordinary
    assert JWT not in ordinary


def test_the_access_line_makes_no_record_and_no_dict_of_the_line(
    keel_logger: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The short form is what runs for an ordinary request, not the general one."""
    logger, stream = keel_logger

    def refused(*args: object, **kwargs: object) -> Any:
        raise AssertionError("took the general path")

    monkeypatch.setattr(logger, "makeRecord", refused)
    monkeypatch.setattr(JsonLineFormatter, "line", refused)
    access_line(logger, logging.INFO, "GET", "/v1/items/7", "/v1/items/<item_id>", 200, 0.5)
    assert '"route": "/v1/items/<item_id>", "status": 200, "duration_ms": 0.5' in stream.getvalue()


def test_a_formatter_configured_otherwise_gets_the_general_line(
    keel_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    """A renamed field (the short form spells out ``json_formatter``'s layout) is obeyed."""
    logger, stream = keel_logger
    handler = logger.handlers[0]
    handler.setFormatter(
        JsonLineFormatter(
            "%(levelname)s %(service)s %(name)s %(message)s %(request_id)s %(trace_id)s "
            "%(span_id)s",
            rename_fields={"levelname": "severity", "name": "logger"},
            timestamp="time",
        )
    )
    access_line(logger, logging.INFO, "GET", "/a", "/a", 200, 0.5)
    assert stream.getvalue().startswith('{"severity": "INFO", ')


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_another_handler_gets_the_record_too(
    keel_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = keel_logger
    other = ListHandler()
    logger.addHandler(other)
    log_line(logger, logging.INFO, "GET /a 200", {"path": "/a"})
    assert [r.getMessage() for r in other.records] == ["GET /a 200"]
    assert '"message": "GET /a 200"' in stream.getvalue()


def test_a_filter_on_the_logger_is_obeyed(
    keel_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = keel_logger
    logger.addFilter(lambda record: False)
    log_line(logger, logging.INFO, "GET /a 200", {"path": "/a"})
    assert stream.getvalue() == ""


def test_a_handler_level_above_the_line_is_obeyed(
    keel_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = keel_logger
    logger.handlers[0].setLevel(logging.WARNING)
    log_line(logger, logging.INFO, "GET /a 200", {"path": "/a"})
    assert stream.getvalue() == ""


def test_a_patched_call_handlers_sees_the_record(
    keel_logger: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sentry's logging integration patches ``Logger.callHandlers`` for its breadcrumbs."""
    logger, stream = keel_logger
    seen: list[str] = []
    original = logging.Logger.callHandlers

    def breadcrumbs(self: logging.Logger, record: logging.LogRecord) -> None:
        seen.append(record.getMessage())
        original(self, record)

    monkeypatch.setattr(logging.Logger, "callHandlers", breadcrumbs)
    log_line(logger, logging.INFO, "GET /a 200", {"path": "/a"})
    assert seen == ["GET /a 200"]
    assert '"message": "GET /a 200"' in stream.getvalue()


SENTRY_HOOK = """
import io, logging, sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration
from keel_common.errors import init_sentry
from keel_common.log_line import log_line
from keel_common.logging import configure_logging

stream = io.StringIO()
configure_logging("svc", "INFO", stream=stream)
original = logging.Logger.callHandlers
assert init_sentry("https://public@sentry.example.invalid/1", "svc", "test",
                   default_integrations=False, integrations=[LoggingIntegration()])
assert logging.Logger.callHandlers is not original  # Sentry's breadcrumb hook is in place
access, other = logging.getLogger("keel.access"), logging.getLogger("keel.other")

def no_record(*args, **kwargs):
    raise AssertionError("made a LogRecord")

access.makeRecord = no_record  # the short path is kept for the access line...
log_line(access, logging.INFO, "GET /a 200", {"path": "/a"})
log_line(other, logging.INFO, "other line", {})  # ...and Sentry still sees any other logger
crumbs = [c["message"] for c in sentry_sdk.get_isolation_scope()._breadcrumbs]
assert crumbs == ["other line"], crumbs
assert '"message": "GET /a 200"' in stream.getvalue() and "other line" in stream.getvalue()
print("ok")
"""


def test_under_sentrys_logging_hook_the_access_line_keeps_the_short_path() -> None:
    """Sentry's hook patches ``Logger.callHandlers`` for the whole process: in a child."""
    done = subprocess.run(
        [sys.executable, "-c", SENTRY_HOOK], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
