"""A rebuild job: one full reindex from core's catalogue, as operators see it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

MAX_ERROR = 500


class RebuildStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RebuildSummary:
    """A job as use cases return it: a value, usable after the unit of work has closed."""

    id: UUID
    requested_by: str
    status: RebuildStatus
    started_at: datetime
    finished_at: datetime | None
    documents: int
    error: str | None

    @property
    def is_running(self) -> bool:
        return self.status is RebuildStatus.RUNNING


class RebuildJob:
    """Started when a rebuild takes the index's rebuild lock; finished once, either way."""

    def __init__(
        self,
        *,
        id: UUID,
        requested_by: str,
        status: RebuildStatus,
        started_at: datetime,
        finished_at: datetime | None = None,
        documents: int = 0,
        error: str | None = None,
    ) -> None:
        self.id = id
        self.requested_by = requested_by
        self.status = status
        self.started_at = started_at
        self.finished_at = finished_at
        self.documents = documents
        self.error = error

    @classmethod
    def start(cls, requested_by: str, now: datetime) -> RebuildJob:
        status = RebuildStatus.RUNNING
        return cls(id=uuid4(), requested_by=requested_by, status=status, started_at=now)

    @property
    def is_running(self) -> bool:
        return self.status is RebuildStatus.RUNNING

    def summary(self) -> RebuildSummary:
        return RebuildSummary(
            id=self.id,
            requested_by=self.requested_by,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            documents=self.documents,
            error=self.error,
        )

    def succeed(self, documents: int, now: datetime) -> None:
        self.status = RebuildStatus.SUCCEEDED
        self.documents = documents
        self.finished_at = now

    def fail(self, reason: str, now: datetime) -> None:
        """Record why it failed; the reason is an exception summary, never request data."""
        self.status = RebuildStatus.FAILED
        self.error = reason[:MAX_ERROR]
        self.finished_at = now

    def abandon(self, now: datetime) -> None:
        """A job still marked running while nobody holds the lock: its process died."""
        self.fail("abandoned: the process running it stopped", now)
