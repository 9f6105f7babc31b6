"""Products the back-office unlisted: ``listed`` and the reason the owner reads.

Revision ID: 0004_console2_listing
Revises: 0003 (admin audit and thresholds)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_console2_listing"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("listed", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("unlisted_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("unlisted_reason")
        batch.drop_column("listed")
