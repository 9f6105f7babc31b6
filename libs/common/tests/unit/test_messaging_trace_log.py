"""A consumer logs each event it handles under the trace of the request that caused it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from keel_common import tracing
from keel_common.logging import configure_logging
from keel_common.messaging import Envelope
from keel_common.messaging.consuming import ConsumerRun
from keel_common.messaging.topology import QueueSpec

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("test", "INFO", stream=stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_handled_event_is_logged_with_its_trace_and_without_its_data(log_lines) -> None:
    seen: list[str | None] = []

    def handler(envelope: Envelope) -> None:
        trace = tracing.current_trace.get()
        seen.append(trace.trace_id if trace else None)

    envelope = Envelope.new(
        "auth.otp.requested.v1",
        "keel-auth",
        {"phone": "+15550100", "code": "482913"},
        traceparent=TRACEPARENT,
    )
    run = ConsumerRun(QueueSpec("q.trace", ("auth.otp.requested.v1",)), handler, "test")
    run.process(envelope.to_json(), {})

    assert seen == [TRACE_ID]
    handled = [line for line in _lines(log_lines) if line.get("message") == "event handled"]
    assert len(handled) == 1
    assert handled[0]["trace_id"] == TRACE_ID
    assert handled[0]["event_id"] == envelope.id
    assert "482913" not in log_lines.getvalue()


def test_failed_event_is_logged_under_its_trace(log_lines) -> None:
    def handler(envelope: Envelope) -> None:
        raise RuntimeError("downstream unavailable")

    envelope = Envelope.new("core.order.placed.v1", "keel-core", {}, traceparent=TRACEPARENT)
    run = ConsumerRun(QueueSpec("q.trace.fail", ("core.order.placed.v1",)), handler, "test")
    run.process(envelope.to_json(), {})

    failed = [line for line in _lines(log_lines) if "handler failed" in line.get("message", "")]
    assert failed and failed[0]["trace_id"] == TRACE_ID
