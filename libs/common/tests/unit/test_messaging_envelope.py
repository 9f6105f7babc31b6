from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from keel_common import tracing
from keel_common.messaging import Envelope, InvalidMessage

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _doc(**changes: object) -> bytes:
    doc: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "type": "core.order.placed.v1",
        "source": "keel-core",
        "time": "2025-01-02T03:04:05.000006Z",
        "subject": "order-1",
        "data": {"total": "9.90"},
        "traceparent": None,
    }
    doc.update(changes)
    return json.dumps(doc).encode()


def test_new_envelope_has_a_uuid_and_an_rfc3339_utc_time() -> None:
    envelope = Envelope.new("core.order.placed.v1", "keel-core", {"n": 1}, subject="o-1")

    assert uuid.UUID(envelope.id).version == 4
    assert envelope.time.endswith("Z")
    sent = datetime.fromisoformat(envelope.time)
    assert sent.utcoffset() is not None and sent.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60
    assert (envelope.type, envelope.source, envelope.subject) == (
        "core.order.placed.v1",
        "keel-core",
        "o-1",
    )


def test_new_envelope_continues_the_current_trace() -> None:
    context = tracing.parse_traceparent(PARENT)
    assert context is not None
    with tracing.use(context, "req-1"):
        envelope = Envelope.new("core.order.placed.v1", "keel-core", {})

    assert envelope.traceparent == PARENT


def test_new_envelope_outside_a_trace_has_no_traceparent_unless_given() -> None:
    assert Envelope.new("a.b.c.v1", "keel-a", {}).traceparent is None
    assert Envelope.new("a.b.c.v1", "keel-a", {}, traceparent=PARENT).traceparent == PARENT


def test_json_round_trip_keeps_every_field() -> None:
    envelope = Envelope.new(
        "core.order.placed.v1", "keel-core", {"lines": [{"sku": "é", "qty": 2}]}, "o-1", PARENT
    )

    assert Envelope.from_json(envelope.to_json()) == envelope
    assert Envelope.from_json(envelope.to_json().decode()) == envelope


def test_to_json_is_one_compact_object_with_the_contract_keys() -> None:
    doc = json.loads(Envelope.new("a.b.c.v1", "keel-a", {"k": 1}).to_json())

    assert set(doc) == {"id", "type", "source", "time", "subject", "data", "traceparent"}


def test_envelopes_can_be_collected_in_a_set_by_identity() -> None:
    envelope = Envelope.new("a.b.c.v1", "keel-a", {"nested": {"k": [1]}})

    assert {envelope, Envelope.from_json(envelope.to_json())} == {envelope}


def test_envelope_is_frozen() -> None:
    envelope = Envelope.new("a.b.c.v1", "keel-a", {})
    with pytest.raises(AttributeError):
        envelope.type = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_doc(id="123"), "'id'"),
        (_doc(id=None), "'id'"),
        (_doc(type=""), "'type'"),
        (_doc(type=7), "'type'"),
        (_doc(source=None), "'source'"),
        (_doc(time="yesterday"), "'time'"),
        (_doc(time="2025-01-02T03:04:05"), "UTC offset"),
        (_doc(data=[1]), "'data'"),
        (_doc(data=None), "'data'"),
        (_doc(subject=5), "'subject'"),
        (_doc(traceparent={}), "'traceparent'"),
    ],
)
def test_from_json_rejects_what_is_not_an_envelope(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        Envelope.from_json(raw)


def test_from_json_accepts_a_missing_subject_and_traceparent() -> None:
    doc = json.loads(_doc())
    del doc["subject"], doc["traceparent"]

    envelope = Envelope.from_json(json.dumps(doc))

    assert envelope.subject is None and envelope.traceparent is None
