"""The back-office's Users page: indexes for finding accounts and reading audit trails.

Revision ID: 0004_users_admin
Revises: 0004_privacy
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_users_admin"
down_revision: str | None = "0004_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_created_at", "users", ["created_at"])
    op.create_index("ix_audit_log_user_occurred", "audit_log", ["user_id", "occurred_at"])
    op.create_index("ix_audit_log_actor_occurred", "audit_log", ["actor_id", "occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        # The unique index on email cannot serve LIKE 'prefix%' under a non-C collation;
        # this one can (email prefix search in the back-office).
        op.execute("CREATE INDEX ix_users_email_pattern ON users (email varchar_pattern_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_users_email_pattern", table_name="users")
    op.drop_index("ix_audit_log_actor_occurred", table_name="audit_log")
    op.drop_index("ix_audit_log_user_occurred", table_name="audit_log")
    op.drop_index("ix_users_created_at", table_name="users")
