"""The core service's unit of work: one SQLAlchemy session, its repositories, its outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keel_common.db import SqlAlchemyUnitOfWork
from keel_core.adapters.admin_repositories import SqlAlchemyAppVersionStore, SqlAlchemyAuditLog
from keel_core.adapters.image_repository import SqlAlchemyImageRepository
from keel_core.adapters.orm import outbox
from keel_core.adapters.repositories import SqlAlchemyOrderRepository, SqlAlchemyProductRepository
from keel_core.service_layer.caching import NoProductCache, ProductCache
from keel_core.service_layer.ports import DuplicateOrder, UnitOfWork
from keel_events.core import ProductEvent

SOURCE = "keel-core"


class SqlAlchemyCoreUnitOfWork(SqlAlchemyUnitOfWork, UnitOfWork):
    def __init__(
        self, session_factory: Callable[[], Session], product_cache: ProductCache | None = None
    ) -> None:
        super().__init__(session_factory, source=SOURCE, outbox=outbox)
        self.product_cache = product_cache or NoProductCache()

    def __enter__(self) -> Self:
        super().__enter__()
        self.products = SqlAlchemyProductRepository(self.session)
        self.orders = SqlAlchemyOrderRepository(self.session)
        self.audit = SqlAlchemyAuditLog(self.session)
        self.app_versions = SqlAlchemyAppVersionStore(self.session)
        self.images = SqlAlchemyImageRepository(self.session)
        return self

    def commit(self) -> None:
        # Every change to a product stages a product event: the events say what to invalidate,
        # so no write path can forget to, and it happens only once the change is committed.
        changed = {UUID(e.subject) for e in self._pending if isinstance(e, ProductEvent)}
        try:
            # Named explicitly: through super() mypy sees the port's abstract method.
            SqlAlchemyUnitOfWork.commit(self)
        except IntegrityError as exc:
            self.rollback()
            # Both PostgreSQL and SQLite name the violated columns in the message.
            if "idempotency_key" in str(exc.orig):
                raise DuplicateOrder() from exc
            raise
        if changed:
            self.product_cache.invalidate(changed)
