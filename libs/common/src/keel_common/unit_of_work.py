"""The unit-of-work port every service layer is written against (plain Python, no SQLAlchemy).

``with uow: ...; uow.commit()``: leaving the block without ``commit`` rolls back. A service's
``service_layer/ports.py`` subclasses it and declares its repositories; the SQLAlchemy
adapter (``keel_common.db.SqlAlchemyUnitOfWork``) and the service's ``FakeUnitOfWork``
implement it.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self


class AbstractUnitOfWork(abc.ABC):
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every change of this unit durable (and stage its events), or raise."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard every change not yet committed."""
