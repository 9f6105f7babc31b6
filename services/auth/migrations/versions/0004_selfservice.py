"""Account self-service (issue #14): the user's locale, when a session was last seen, and
the address an email-change link confirms.

Revision ID: 0003_selfservice
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_selfservice"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("locale", sa.String(35), nullable=True))
    op.add_column("login_sessions", sa.Column("last_seen_at", TZ, nullable=True))
    op.execute("UPDATE login_sessions SET last_seen_at = created_at")
    op.add_column("one_time_secrets", sa.Column("new_email", sa.String(320), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM one_time_secrets WHERE purpose = 'email_change'")
    op.drop_column("one_time_secrets", "new_email")
    op.drop_column("login_sessions", "last_seen_at")
    op.drop_column("users", "locale")
