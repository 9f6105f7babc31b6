"""Users, login sessions, refresh tokens, one-time secrets, audit log, signing keys, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def standard_columns() -> list[sa.Column]:
    """keel_common.db.standard_table's columns, frozen as of this revision."""
    return [
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("deleted_at", TZ, nullable=True),
    ]


def create(name: str, *columns: sa.Column | sa.Index) -> None:
    op.create_table(name, *standard_columns(), *columns)


def upgrade() -> None:
    create(
        "users",
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(16), nullable=True, unique=True),
        sa.Column("email_verified", sa.Boolean, nullable=False),
        sa.Column("phone_verified", sa.Boolean, nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
    )
    create(
        "login_sessions",
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("revoke_reason", sa.String(32), nullable=True),
    )
    create(
        "refresh_tokens",
        sa.Column(
            "session_id", sa.Uuid, sa.ForeignKey("login_sessions.id"), nullable=False, index=True
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("spent_at", TZ, nullable=True),
    )
    create(
        "one_time_secrets",
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        sa.Index("ix_one_time_secrets_user_purpose", "user_id", "purpose", "created_at"),
    )
    create(
        "audit_log",
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=True, index=True),
        sa.Column("actor_id", sa.Uuid, nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("occurred_at", TZ, nullable=False, index=True),
        sa.Column("details", sa.JSON, nullable=False),
    )
    create(
        "signing_keys",
        sa.Column("kid", sa.String(64), nullable=False, unique=True),
        sa.Column("private_key_pem", sa.Text, nullable=False),
        sa.Column("signs_from", TZ, nullable=False),
    )
    create_outbox()


def create_outbox() -> None:
    """keel_common.outbox.outbox_table, frozen as of this revision."""
    op.create_table(
        "outbox",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("published_at", TZ, nullable=True),
    )
    unpublished = sa.text("published_at IS NULL")
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["pk"],
        postgresql_where=unpublished,
        sqlite_where=unpublished,
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def downgrade() -> None:
    for table in (
        "outbox",
        "signing_keys",
        "audit_log",
        "one_time_secrets",
        "refresh_tokens",
        "login_sessions",
        "users",
    ):
        op.drop_table(table)
