"""Account erasures (issue #14): each service's completion, and the confirmation's address
kept only until it is sent.

Revision ID: 0004_privacy
Revises: 0003_mfa
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_privacy"
down_revision: str | None = "0003_mfa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("deleted_at", TZ, nullable=True),
        sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("requested_by", sa.Uuid, nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=True),
        sa.Column("contact_name", sa.String(200), nullable=True),
        sa.Column("contact_locale", sa.String(35), nullable=True),
        sa.Column("auth_erased_at", TZ, nullable=True),
        sa.Column("core_erased_at", TZ, nullable=True),
        sa.Column("notification_erased_at", TZ, nullable=True),
        sa.Column("search_erased_at", TZ, nullable=True),
        sa.Column("confirmed_at", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("erasures")
