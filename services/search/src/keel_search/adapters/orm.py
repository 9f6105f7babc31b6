"""The search service's own tables (the log of rebuild jobs) and their mapping.

The index itself lives in the search engine; this database only records rebuilds, so an
operator can see when the index was last rebuilt, by whom, and how it ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry

from keel_common.audit.sql import audit_table
from keel_common.db import map_entity, standard_table
from keel_common.outbox import outbox_table
from keel_search.domain.rebuilds import MAX_ERROR, RebuildJob, RebuildStatus

metadata = sa.MetaData()
mapper_registry = registry(metadata=metadata)

rebuild_jobs = standard_table(
    "rebuild_jobs",
    metadata,
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column(
        "status",
        sa.Enum(
            RebuildStatus,
            native_enum=False,
            length=16,
            values_callable=lambda statuses: [s.value for s in statuses],
            validate_strings=True,
        ),
        nullable=False,
    ),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("documents", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.String(MAX_ERROR), nullable=True),
)
sa.Index("ix_rebuild_jobs_status", rebuild_jobs.c.status)

# Erasure reports (issue #14) waiting for the worker's relay (keel_common.outbox).
outbox = outbox_table(metadata)


def start_mappers() -> None:
    """Map the domain classes once per process (idempotent)."""
    if not mapper_registry.mappers:
        map_entity(mapper_registry, RebuildJob, rebuild_jobs)


#: Dead-letter replays and discards by staff (``keel_common.audit``).
admin_audit = audit_table(metadata)
