"""Sign-in with OpenID Connect providers: linked identities, web sign-ins under way (state
stored hashed) and the ID-token nonces already spent (issue #15).

Revision ID: 0003_oidc
Revises: 0003_selfservice
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_oidc"
down_revision: str | None = "0003_selfservice"
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


def upgrade() -> None:
    op.create_table(
        "identities",
        *standard_columns(),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.UniqueConstraint("provider", "subject"),
    )
    op.create_table(
        "oidc_states",
        *standard_columns(),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.String(2048), nullable=False),
        sa.Column("state_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
    )
    op.create_table(
        "oidc_used_nonces",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("nonce_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", TZ, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("oidc_used_nonces")
    op.drop_table("oidc_states")
    op.drop_table("identities")
