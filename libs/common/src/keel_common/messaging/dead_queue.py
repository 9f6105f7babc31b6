"""Reading and emptying a consumer's dead-letter queue (``Q.dead``): list, replay, discard.

Both adapters walk the dead queue the same way: take each message unacked, ask the caller
what to do with it (keep, replay to ``Q``, discard), and carry that out; every kept message
goes back when the walk ends, so reading never loses one. A replayed message starts again at
attempt 1 with the consumer's bookkeeping headers dropped.

The consumer writes the first handler error into the message (``x-keel-error``) when it
schedules a retry or dead-letters it, so the dead letter says why without anyone reading a log.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keel_common.logging import redact_text
from keel_common.messaging.topology import QueueSpec

#: The first handler error of a message, kept through its retries into the dead queue.
ERROR_HEADER = "x-keel-error"
#: Unix time the embedded consumer dead-lettered the message (RabbitMQ: its ``x-death``).
DEAD_AT_HEADER = "x-keel-dead-at"
MAX_ERROR = 500
#: Headers only the consumer machinery writes; a replay starts without them.
_BOOKKEEPING_PREFIXES = ("x-keel-", "x-death", "x-first-death", "x-last-death")


class Action(enum.Enum):
    KEEP = "keep"
    REPLAY = "replay"
    DISCARD = "discard"


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message: its envelope's id and type, the error, when, and the body."""

    message_id: str
    type: str
    error: str
    dead_lettered_at: datetime | None
    body: bytes


Visit = Callable[[DeadLetter], Action]


def error_text(exc: BaseException | str) -> str:
    """The error as a dead letter keeps it: scrubbed of secret-shaped text, bounded."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return redact_text(text)[:MAX_ERROR]


def replay_headers(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (headers or {}).items() if not k.startswith(_BOOKKEEPING_PREFIXES)}


def dead_letter_of(
    body: bytes, message_id: str | None, event_type: str | None, headers: Mapping[str, Any] | None
) -> DeadLetter:
    headers = headers or {}
    return DeadLetter(
        message_id=message_id or _from_body(body, "id"),
        type=event_type or _from_body(body, "type"),
        error=str(headers.get(ERROR_HEADER, "")),
        dead_lettered_at=_dead_at(headers),
        body=body,
    )


def _from_body(body: bytes, key: str) -> str:
    try:
        value = json.loads(body).get(key, "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _dead_at(headers: Mapping[str, Any]) -> datetime | None:
    stamp = headers.get(DEAD_AT_HEADER)
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp, UTC)
    for death in headers.get("x-death") or []:  # RabbitMQ's record; the newest comes first
        if isinstance(death, Mapping) and death.get("reason") == "rejected":
            when = death.get("time")
            if isinstance(when, datetime):
                return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


class DeadLetterWalks:
    """The list / replay / discard operations every broker offers on top of its one walk."""

    def walk_dead_letters(self, spec: QueueSpec, visit: Visit, limit: int | None = None) -> None:
        """Offer each of the first ``limit`` (default: all) messages of ``spec.dead_queue`` to
        ``visit`` and do what it answers; kept ones stay. ``BrokerError`` if unreachable."""
        raise NotImplementedError

    def dead_letters(self, spec: QueueSpec, limit: int = 100) -> list[DeadLetter]:
        """The first ``limit`` messages of ``spec.dead_queue``, left where they are."""
        found: list[DeadLetter] = []

        def keep(letter: DeadLetter) -> Action:
            found.append(letter)
            return Action.KEEP

        self.walk_dead_letters(spec, keep, limit)
        return found

    def replay_dead_letters(self, spec: QueueSpec, message_id: str | None = None) -> int:
        """Move one message (by id) or all of them back to ``spec.name``; how many moved."""
        return self._apply(spec, Action.REPLAY, message_id)

    def discard_dead_letters(self, spec: QueueSpec, message_id: str | None = None) -> int:
        """Delete one message (by id) or all of them; how many were deleted."""
        return self._apply(spec, Action.DISCARD, message_id)

    def _apply(self, spec: QueueSpec, action: Action, message_id: str | None) -> int:
        done = 0

        def choose(letter: DeadLetter) -> Action:
            nonlocal done
            if message_id is not None and letter.message_id != message_id:
                return Action.KEEP
            done += 1
            return action

        self.walk_dead_letters(spec, choose)
        return done
