from __future__ import annotations

import uuid

import pytest

from keel_common import tracing

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_parse_and_format_round_trip() -> None:
    context = tracing.parse_traceparent(PARENT)
    assert context == tracing.TraceContext(TRACE_ID, "00f067aa0ba902b7", None, "01")
    assert tracing.format_traceparent(context) == PARENT


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff is invalid
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # zero parent id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # v00 has 4 fields
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short trace id
    ],
)
def test_invalid_traceparent_is_rejected(value: str | None) -> None:
    assert tracing.parse_traceparent(value) is None


def test_future_version_is_read_by_its_first_fields() -> None:
    context = tracing.parse_traceparent(
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later"
    )
    assert context is not None
    assert context.trace_id == TRACE_ID


def test_from_headers_continues_the_trace_with_a_child_span() -> None:
    context, request_id = tracing.from_headers({"Traceparent": PARENT, "X-Request-ID": "req-1"})
    assert context.trace_id == TRACE_ID
    assert context.parent_id == "00f067aa0ba902b7"
    assert context.span_id not in ("00f067aa0ba902b7", "0" * 16)
    assert len(context.span_id) == 16
    assert request_id == "req-1"


def test_from_headers_reads_grpc_metadata_pairs_and_bytes() -> None:
    metadata = (("traceparent", PARENT.encode()), ("x-request-id", "req-2"))
    context, request_id = tracing.from_headers(metadata)
    assert (context.trace_id, request_id) == (TRACE_ID, "req-2")


def test_from_headers_starts_a_trace_and_request_id_when_absent_or_unsafe() -> None:
    context, request_id = tracing.from_headers({"x-request-id": "bad id\n{injected}"})
    assert context.parent_id is None
    assert len(context.trace_id) == 32
    assert request_id != "bad id\n{injected}"
    assert tracing.valid_request_id(request_id) == request_id


def test_fresh_ids_are_uuid4_request_ids_and_valid_traceparent_ids() -> None:
    request_ids = {tracing.new_request_id() for _ in range(50)}
    assert len(request_ids) == 50
    for request_id in request_ids:
        assert uuid.UUID(request_id).version == 4
        assert uuid.UUID(request_id).variant == uuid.RFC_4122
        assert uuid.UUID(request_id).hex == request_id
    trace = tracing.new_trace()
    assert (len(trace.trace_id), len(trace.span_id)) == (32, 16)
    assert tracing.parse_traceparent(trace.traceparent) == trace
    assert tracing.new_trace().trace_id != trace.trace_id


def test_ids_made_together_for_a_caller_that_sent_none_are_as_fresh_ones() -> None:
    made = [tracing.from_values(None, None) for _ in range(50)]
    assert len({request_id for _, request_id in made}) == 50
    assert len({context.trace_id for context, _ in made}) == 50
    for context, request_id in made:
        assert uuid.UUID(request_id).version == 4
        assert uuid.UUID(request_id).variant == uuid.RFC_4122
        assert uuid.UUID(request_id).hex == request_id
        assert (len(context.trace_id), len(context.span_id), context.parent_id) == (32, 16, None)
        assert tracing.parse_traceparent(context.traceparent) == context
        # Not the same random bytes twice: the request id is not read off the trace id.
        assert request_id[:12] not in context.trace_id + context.span_id


def test_to_headers_makes_the_current_span_the_parent_of_the_next_hop() -> None:
    context, _ = tracing.from_headers({"traceparent": PARENT})
    with tracing.use(context, "req-3"):
        headers = tracing.to_headers()
    assert headers == {"traceparent": context.traceparent, "x-request-id": "req-3"}
    next_hop, request_id = tracing.from_headers(headers)
    assert next_hop.trace_id == TRACE_ID
    assert next_hop.parent_id == context.span_id
    assert request_id == "req-3"


def test_use_restores_the_previous_context() -> None:
    outer, inner = tracing.new_trace(), tracing.new_trace()
    with tracing.use(outer, "outer"):
        with tracing.use(inner, "inner"):
            assert tracing.current_trace.get() is inner
        assert tracing.current_trace.get() is outer
        assert tracing.current_request_id.get() == "outer"
    assert tracing.current_trace.get() is None


def test_to_headers_outside_a_hop_starts_a_trace_without_a_request_id() -> None:
    headers = tracing.to_headers()
    assert tracing.parse_traceparent(headers["traceparent"]) is not None
    assert "x-request-id" not in headers


def test_continue_from_sets_the_context_for_the_block() -> None:
    with tracing.continue_from([("traceparent", PARENT), ("x-request-id", "msg-1")]) as ctx:
        assert tracing.current_trace.get() is ctx
        assert tracing.current_request_id.get() == "msg-1"
        assert ctx.trace_id == TRACE_ID
    assert tracing.current_request_id.get() is None
