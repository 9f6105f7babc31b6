"""The admin audit trail and the app-version thresholds an admin edits.

Revision ID: 0003
Revises: 0002 (product images)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.Uuid, nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id", "occurred_at"])
    # The admin order list pages over every buyer's orders, newest first.
    op.create_index("ix_orders_newest", "orders", ["created_at", "id"])
    op.create_table(
        "app_version_thresholds",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("min_supported_version", sa.String(32), nullable=False),
        sa.Column("latest_version", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.Uuid, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_version_thresholds")
    op.drop_index("ix_orders_newest", table_name="orders")
    op.drop_table("audit_log")
