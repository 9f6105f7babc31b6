"""The SQLAlchemy unit of work and repository behind the search service's use cases."""

from __future__ import annotations

from typing import Self
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from keel_common.db import SqlAlchemyUnitOfWork
from keel_search.adapters.orm import outbox
from keel_search.domain.rebuilds import RebuildJob, RebuildStatus
from keel_search.service_layer.ports import RebuildJobRepository, UnitOfWork


class SqlAlchemyRebuildJobRepository(RebuildJobRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: RebuildJob) -> None:
        self.session.add(job)

    def get(self, job_id: UUID) -> RebuildJob | None:
        return self.session.scalars(sa.select(RebuildJob).filter_by(id=job_id)).one_or_none()

    def running(self) -> list[RebuildJob]:
        query = sa.select(RebuildJob).filter_by(status=RebuildStatus.RUNNING)
        return list(self.session.scalars(query))

    def latest(self) -> RebuildJob | None:
        table = RebuildJob.__table__  # type: ignore[attr-defined]
        query = sa.select(RebuildJob).order_by(table.c.started_at.desc(), table.c.pk.desc())
        return self.session.scalars(query.limit(1)).one_or_none()


class SqlAlchemySearchUnitOfWork(SqlAlchemyUnitOfWork, UnitOfWork):
    """Search's only events are its erasure reports (issue #14), staged in its outbox."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__(session_factory, source="keel-search", outbox=outbox)

    def __enter__(self) -> Self:
        super().__enter__()
        self.rebuild_jobs = SqlAlchemyRebuildJobRepository(self.session)
        return self
