"""The consumer decisions both adapters share: ack, retry with a delay, dead-letter."""

from __future__ import annotations

from prometheus_client import REGISTRY

from keel_common import tracing
from keel_common.messaging import DUPLICATE, Envelope, InvalidMessage, QueueSpec
from keel_common.messaging.consuming import (
    ATTEMPT_HEADER,
    Backoff,
    ConsumerRun,
    Verdict,
    attempt_of,
)

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _count(queue: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "keel_consumer_messages_total", {"service": "svc", "queue": queue, "outcome": outcome}
    )
    return value or 0.0


def _spec(unique_name: str) -> QueueSpec:
    return QueueSpec(unique_name, ("a.b.c.v1",), max_attempts=3, retry_delays=(2.0, 7.0))


def _body() -> bytes:
    return Envelope.new("a.b.c.v1", "keel-a", {"n": 1}, traceparent=PARENT).to_json()


def _fails(envelope: Envelope) -> None:
    raise RuntimeError("downstream is down")


def test_a_handled_message_is_acked_and_counted(unique_name: str) -> None:
    seen: list[Envelope] = []
    run = ConsumerRun(_spec(unique_name), seen.append, "svc")

    decision = run.process(_body(), None)

    assert decision.verdict is Verdict.ACK
    assert [e.type for e in seen] == ["a.b.c.v1"]
    assert _count(unique_name, "handled") == 1
    last_success = REGISTRY.get_sample_value(
        "keel_consumer_last_success_timestamp_seconds", {"service": "svc", "queue": unique_name}
    )
    assert last_success and last_success > 0


def test_a_duplicate_is_acked_and_counted_apart(unique_name: str) -> None:
    run = ConsumerRun(_spec(unique_name), lambda e: DUPLICATE, "svc")

    assert run.process(_body(), None).verdict is Verdict.ACK
    assert (_count(unique_name, "duplicate"), _count(unique_name, "handled")) == (1, 0)


def test_a_failure_is_retried_after_the_delay_for_its_attempt(unique_name: str) -> None:
    run = ConsumerRun(_spec(unique_name), _fails, "svc")

    first = run.process(_body(), None)
    second = run.process(_body(), {ATTEMPT_HEADER: 2})

    assert (first.verdict, first.delay, first.next_attempt) == (Verdict.RETRY, 2.0, 2)
    assert (second.verdict, second.delay, second.next_attempt) == (Verdict.RETRY, 7.0, 3)
    assert (_count(unique_name, "failed"), _count(unique_name, "retried")) == (2, 2)


def test_the_last_allowed_failure_dead_letters(unique_name: str) -> None:
    run = ConsumerRun(_spec(unique_name), _fails, "svc")

    assert run.process(_body(), {ATTEMPT_HEADER: 3}).verdict is Verdict.DEAD
    assert (_count(unique_name, "failed"), _count(unique_name, "dead_lettered")) == (1, 1)
    assert _count(unique_name, "retried") == 0


def test_a_body_that_is_not_an_envelope_is_dead_lettered_without_running_the_handler(
    unique_name: str,
) -> None:
    seen: list[Envelope] = []
    run = ConsumerRun(_spec(unique_name), seen.append, "svc")

    assert run.process(b"{not json", None).verdict is Verdict.DEAD
    assert seen == []
    assert _count(unique_name, "dead_lettered") == 1


def test_a_handler_refusing_the_data_dead_letters_at_once(unique_name: str) -> None:
    def refuse(envelope: Envelope) -> None:
        raise InvalidMessage("no 'email' in data")

    run = ConsumerRun(_spec(unique_name), refuse, "svc")

    assert run.process(_body(), None).verdict is Verdict.DEAD
    assert _count(unique_name, "retried") == 0


def test_the_handler_runs_in_the_events_trace(unique_name: str) -> None:
    traces: list[tracing.TraceContext | None] = []
    run = ConsumerRun(_spec(unique_name), lambda e: traces.append(tracing.current_trace.get()), "s")

    run.process(_body(), None)

    assert traces[0] is not None
    assert traces[0].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert traces[0].parent_id == "00f067aa0ba902b7"


def test_a_mangled_attempt_header_counts_as_the_first_attempt() -> None:
    assert attempt_of(None) == 1
    assert attempt_of({ATTEMPT_HEADER: "x"}) == 1
    assert attempt_of({ATTEMPT_HEADER: -4}) == 1
    assert attempt_of({ATTEMPT_HEADER: 4}) == 4


def test_backoff_doubles_up_to_its_maximum_and_resets() -> None:
    backoff = Backoff(initial=1, maximum=5)

    assert [backoff.next_delay() for _ in range(5)] == [1, 2, 4, 5, 5]
    backoff.reset()
    assert backoff.next_delay() == 1
