"""Second factors (issue #15): TOTP factors, recovery codes, mfa challenges, passkeys,
WebAuthn ceremony challenges; login sessions remember how they were signed in (``amr``).

Revision ID: 0003_mfa
Revises: 0003_oidc
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_mfa"
down_revision: str | None = "0003_oidc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
TABLES = ("webauthn_challenges", "passkeys", "mfa_challenges", "recovery_codes", "totp_factors")


def create(name: str, *columns: sa.Column) -> None:
    """keel_common.db.standard_table's columns as of this revision, then ``columns``."""
    op.create_table(
        name,
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("deleted_at", TZ, nullable=True),
        *columns,
    )


def user_id(**kwargs: bool) -> sa.Column:
    return sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, **kwargs)


def upgrade() -> None:
    op.add_column("login_sessions", sa.Column("amr", sa.JSON, nullable=True))
    create(
        "totp_factors",
        user_id(unique=True),
        sa.Column("secret_encrypted", sa.Text, nullable=False),
        sa.Column("confirmed_at", TZ, nullable=True),
        sa.Column("last_step", sa.BigInteger, nullable=True),
    )
    create(
        "recovery_codes",
        user_id(index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("used_at", TZ, nullable=True),
    )
    create(
        "mfa_challenges",
        user_id(index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("amr", sa.JSON, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
    )
    create(
        "passkeys",
        user_id(index=True),
        sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("last_used_at", TZ, nullable=True),
    )
    create(
        "webauthn_challenges",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=True),
        sa.Column("challenge_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
    op.drop_column("login_sessions", "amr")
