"""The base unit of work: one database transaction, and the events it produced.

Use cases publish domain events on the unit of work; ``commit()`` turns each into an
``Envelope`` and stages it in the service's outbox table inside the same transaction, so a
state change and its events are stored together or not at all. The outbox relay publishes
them afterwards.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

import sqlalchemy as sa
from sqlalchemy.orm import Session


class DomainEvent(Protocol):
    """A frozen dataclass with a versioned ``type`` and the id of the aggregate it is about."""

    type: ClassVar[str]

    @property
    def subject(self) -> str: ...


def event_data(event: Any) -> dict[str, Any]:
    """The JSON-ready payload of a dataclass event (UUIDs, datetimes, Decimals encoded)."""
    return {k: _jsonable(v) for k, v in dataclasses.asdict(event).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime) and value.utcoffset() is not None:
        # RFC 3339 with "Z", as in Envelope.time and the HTTP API
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


class SqlAlchemyUnitOfWork:
    """``with uow: ...; uow.commit()``; leaving the block without commit rolls back."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        source: str,
        outbox: sa.Table | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.source = source
        self._outbox = outbox
        self._pending: list[Any] = []
        self.session: Session

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._pending = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            # Keep what the use case loaded readable after the block: rollback would expire it.
            self.session.expunge_all()
        self.rollback()
        self.session.close()

    def publish(self, event: DomainEvent) -> None:
        """Queue an event; it is staged in the outbox when (and only if) this work commits."""
        self._pending.append(event)

    def commit(self) -> None:
        if self._pending:
            if self._outbox is None:
                raise RuntimeError("this unit of work has events but no outbox table")
            from keel_common.messaging import Envelope
            from keel_common.outbox import stage

            envelopes = [
                Envelope.new(type=e.type, source=self.source, data=event_data(e), subject=e.subject)
                for e in self._pending
            ]
            stage(self.session, envelopes, self._outbox)
        self.session.commit()
        self._pending = []

    def rollback(self) -> None:
        self.session.rollback()
        self._pending = []
