"""The admin audit trail of actions that touch no table of this service (dead-letter replays
and discards), read by the console's audit log page.

Revision ID: 0002_console_audit
Revises: 0002_privacy
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_console_audit"
down_revision = "0002_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # keel_common.audit.sql.audit_table's columns, spelled out: a migration must not change
    # when that helper does.
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_admin_audit_newest", "admin_audit", ["occurred_at", "id"])
    op.create_index("ix_admin_audit_actor", "admin_audit", ["actor_id", "occurred_at"])
    op.create_index("ix_admin_audit_target", "admin_audit", ["target_id", "occurred_at"])


def downgrade() -> None:
    op.drop_table("admin_audit")
