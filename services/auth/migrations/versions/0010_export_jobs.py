"""Export jobs: a data export's row exists from the request on, with its status, so the
hourly allowance counts the jobs that did not fail (a failed one does not hold the user
back).

Revision ID: 0010_export_jobs
Revises: 0009_export
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_export_jobs"
down_revision: str | None = "0009_export"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        # Every row before this one was an assembled document.
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="ready"))
        batch.add_column(sa.Column("requested_at", TZ, nullable=True))
        batch.add_column(
            sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0")
        )
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("document", existing_type=sa.JSON, nullable=True)
        batch.alter_column("generated_at", existing_type=TZ, nullable=True)
    op.execute("UPDATE exports SET requested_at = generated_at")
    with op.batch_alter_table("exports") as batch:
        batch.alter_column("requested_at", existing_type=TZ, nullable=False)
        batch.alter_column("status", existing_type=sa.String(16), server_default=None)
        batch.alter_column("failed_attempts", existing_type=sa.Integer, server_default=None)
    op.create_index("ix_exports_user_requested", "exports", ["user_id", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_exports_user_requested", table_name="exports")
    op.execute("DELETE FROM exports WHERE status != 'ready'")
    with op.batch_alter_table("exports") as batch:
        batch.alter_column("generated_at", existing_type=TZ, nullable=False)
        batch.alter_column("document", existing_type=sa.JSON, nullable=False)
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=False)
        batch.drop_column("failed_attempts")
        batch.drop_column("requested_at")
        batch.drop_column("status")
