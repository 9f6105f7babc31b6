"""The base unit of work: one database transaction, and the events it produced.

Use cases publish domain events on the unit of work; ``commit()`` turns each into an
``Envelope`` and stages it in the service's outbox table inside the same transaction, so a
state change and its events are stored together or not at all. The outbox relay publishes
them afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

import sqlalchemy as sa
from sqlalchemy.orm import Session


class DomainEvent(Protocol):
    """An event contract (``keel_events.Event``): a versioned ``type``, the id of the aggregate
    it is about and its JSON-ready data."""

    type: ClassVar[str]

    @property
    def subject(self) -> str: ...

    def to_data(self) -> dict[str, Any]: ...


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

    def forget_published_events(self, mentioning: Collection[str]) -> None:
        """Delete, in this transaction, the published outbox rows that mention any of
        ``mentioning`` (``keel_common.outbox.forget_published``): an erasure's."""
        if self._outbox is None:
            raise RuntimeError("this unit of work has no outbox table")
        from keel_common.outbox import forget_published

        forget_published(self.session, self._outbox, mentioning)

    def commit(self) -> None:
        if self._pending:
            if self._outbox is None:
                raise RuntimeError("this unit of work has events but no outbox table")
            from keel_common.messaging import Envelope
            from keel_common.outbox import stage

            envelopes = [
                Envelope.new(type=e.type, source=self.source, data=e.to_data(), subject=e.subject)
                for e in self._pending
            ]
            stage(self.session, envelopes, self._outbox)
        self.session.commit()
        self._pending = []

    def rollback(self) -> None:
        self.session.rollback()
        self._pending = []
