"""The log of index rebuild jobs.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rebuild_jobs",
        # keel_common.db.standard_table's columns, spelled out: a migration must not change
        # when that helper does.
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
    )
    op.create_index("ix_rebuild_jobs_status", "rebuild_jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_rebuild_jobs_status", table_name="rebuild_jobs")
    op.drop_table("rebuild_jobs")
