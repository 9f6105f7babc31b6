"""The one event envelope every Keel message travels in (CloudEvents-like JSON)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keel_common.tracing import current_trace


class InvalidMessage(ValueError):
    """A message body that is not a JSON envelope; it is dead-lettered, never retried."""


def _now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Envelope:
    """An event: ``type`` is ``<svc>.<aggregate>.<what_happened>.v<N>`` and its routing key."""

    id: str
    type: str
    source: str
    time: str
    subject: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    traceparent: str | None = None

    @classmethod
    def new(
        cls,
        type: str,
        source: str,
        data: dict[str, Any],
        subject: str | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        """A fresh event, continuing the current trace (``keel_common.tracing``) if any."""
        if traceparent is None:
            context = current_trace.get()
            traceparent = context.traceparent if context is not None else None
        return cls(
            id=str(uuid.uuid4()),
            type=type,
            source=source,
            time=_now_rfc3339(),
            data=data,
            subject=subject,
            traceparent=traceparent,
        )

    def __hash__(self) -> int:
        # An event is identified by its id; hashing ``data`` (a dict) would raise.
        return hash(self.id)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "source": self.source,
                "time": self.time,
                "subject": self.subject,
                "data": self.data,
                "traceparent": self.traceparent,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Parse and check a body; raises ``InvalidMessage`` for anything but an envelope."""
        try:
            doc = json.loads(raw)
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            raise InvalidMessage(f"body is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise InvalidMessage("body is not a JSON object")
        return cls(
            id=_event_id(doc.get("id")),
            type=_text(doc, "type"),
            source=_text(doc, "source"),
            time=_time(doc.get("time")),
            data=_data(doc.get("data")),
            subject=_optional_text(doc, "subject"),
            traceparent=_optional_text(doc, "traceparent"),
        )


def _text(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidMessage(f"'{key}' must be a non-empty string")
    return value


def _optional_text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidMessage(f"'{key}' must be a string or null")
    return value


def _event_id(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidMessage("'id' must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidMessage("'id' must be a UUID string") from None


def _time(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidMessage("'time' must be an RFC 3339 timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidMessage("'time' must be an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidMessage("'time' must carry a UTC offset")
    return value


def _data(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidMessage("'data' must be a JSON object")
    return value
