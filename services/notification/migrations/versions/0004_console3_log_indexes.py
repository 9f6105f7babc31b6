"""Indexes for support's reads of a big delivery log (issue #13, measured with
bench/console/run.py on 1M rows): the whole log newest first (and the last hour's failed
count, a short range of it), and the log of one address.

Revision ID: 0004_console3_log_indexes
Revises: 0002_console_audit
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0004_console3_log_indexes"
down_revision = "0002_console_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_newest", "notifications", ["created_at", "id"])
    op.create_index(
        "ix_notifications_recipient_page", "notifications", ["recipient", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_recipient_page", table_name="notifications")
    op.drop_index("ix_notifications_newest", table_name="notifications")
