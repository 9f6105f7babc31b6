"""Phones wait unproven in ``pending_phone``; ``phone`` holds only numbers proved by a code.

Numbers stored before this revision without proof become pending, so OTP login stops
texting them until their owner verifies them (issue #11, SMS pumping).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("pending_phone", sa.String(16), nullable=True))
    op.execute(
        "UPDATE users SET pending_phone = phone, phone = NULL"
        " WHERE phone IS NOT NULL AND NOT phone_verified"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE users SET phone = pending_phone WHERE phone IS NULL AND pending_phone IS NOT NULL"
    )
    op.drop_column("users", "pending_phone")
