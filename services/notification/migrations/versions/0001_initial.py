"""The delivery log, devices, preferences, contacts and the inbox of handled events.

Revision ID: 0001
Revises:
Create Date: 2025-03-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def standard_columns() -> list[sa.Column]:
    return [
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("deleted_at", TIME, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "notifications",
        *standard_columns(),
        sa.Column("user_id", sa.Uuid, nullable=True),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("recipient", sa.String(512), nullable=False),
        sa.Column("platform", sa.String(16), nullable=True),
        sa.Column("content", sa.JSON, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("provider", sa.String(64), nullable=True),
        sa.Column("provider_message_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("dead_lettered_at", TIME, nullable=True),
        sa.UniqueConstraint("event_id", "channel", "template", "recipient"),
    )
    op.create_index("ix_notifications_event_id", "notifications", ["event_id"])
    op.create_index("ix_notifications_user_page", "notifications", ["user_id", "created_at", "id"])
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])

    op.create_table(
        "devices",
        *standard_columns(),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("token", sa.String(512), nullable=False, unique=True),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_devices_user_id", "devices", ["user_id"])

    op.create_table(
        "preferences",
        *standard_columns(),
        sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("email_promotional", sa.Boolean, nullable=False),
        sa.Column("sms_promotional", sa.Boolean, nullable=False),
        sa.Column("push_promotional", sa.Boolean, nullable=False),
        sa.Column("quiet_hours", sa.JSON, nullable=True),
    )

    op.create_table(
        "contacts",
        *standard_columns(),
        sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("registered_at", TIME, nullable=True),
    )
    op.create_index("ix_contacts_registered_at", "contacts", ["registered_at"])

    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("handled_at", TIME, nullable=False),
    )


def downgrade() -> None:
    for table in ("inbox", "contacts", "preferences", "devices", "notifications"):
        op.drop_table(table)
