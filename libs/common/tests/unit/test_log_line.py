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
from keel_common.log_line import log_line
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
