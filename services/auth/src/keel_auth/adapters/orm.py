"""Tables of the auth database and the imperative mapping of the domain classes onto them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry

from keel_auth.domain.erasure import Erasure
from keel_auth.domain.export import Export
from keel_auth.domain.mfa import (
    CeremonyKind,
    MfaChallenge,
    Passkey,
    RecoveryCode,
    TotpFactor,
    WebAuthnChallenge,
)
from keel_auth.domain.model import (
    AuditAction,
    AuditEntry,
    LoginSession,
    OneTimeSecret,
    RefreshToken,
    SecretPurpose,
    User,
)
from keel_auth.domain.oidc import Identity, OidcState
from keel_common.db import UtcDateTime, map_entity, standard_table
from keel_common.outbox import outbox_table

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
mapper_registry = registry(metadata=metadata)


def _enum(enum_class: type) -> sa.Enum:
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


users = standard_table(
    "users",
    metadata,
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("phone", sa.String(16), nullable=True, unique=True),
    sa.Column("pending_phone", sa.String(16), nullable=True),
    sa.Column("email_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("phone_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("disabled_at", UtcDateTime, nullable=True),
    sa.Column("disabled_reason", sa.String(200), nullable=True),
    sa.Column("locale", sa.String(35), nullable=True),
)

login_sessions = standard_table(
    "login_sessions",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("ip", sa.String(45), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("revoke_reason", sa.String(32), nullable=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=True),
    sa.Column("amr", sa.JSON, nullable=True),  # NULL: signed in before amr was recorded
)

refresh_tokens = standard_table(
    "refresh_tokens",
    metadata,
    sa.Column(
        "session_id", sa.Uuid, sa.ForeignKey("login_sessions.id"), nullable=False, index=True
    ),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("spent_at", UtcDateTime, nullable=True),
)

one_time_secrets = standard_table(
    "one_time_secrets",
    metadata,
    sa.Column("purpose", _enum(SecretPurpose), nullable=False),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=True),
    sa.Column("new_email", sa.String(320), nullable=True),
    sa.Index("ix_one_time_secrets_user_purpose", "user_id", "purpose", "created_at"),
)

# No foreign keys: the audit trail must outlive what it talks about.
audit_log = standard_table(
    "audit_log",
    metadata,
    sa.Column("action", _enum(AuditAction), nullable=False),
    sa.Column("user_id", sa.Uuid, nullable=True, index=True),
    sa.Column("actor_id", sa.Uuid, nullable=True),
    sa.Column("ip", sa.String(45), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("occurred_at", UtcDateTime, nullable=False, index=True),
    sa.Column("details", sa.JSON, nullable=False),
    # The back-office reads one user's trail, or one actor's actions, newest first.
    sa.Index("ix_audit_log_user_occurred", "user_id", "occurred_at"),
    sa.Index("ix_audit_log_actor_occurred", "actor_id", "occurred_at"),
)
# Sign-ups per day (the dashboard) and the newest-first list of accounts.
sa.Index("ix_users_created_at", users.c.created_at)

# Second factors (keel_auth.domain.mfa): TOTP secrets are encrypted (MFA_ENCRYPTION_KEY),
# recovery codes, mfa tokens and WebAuthn challenges stored as hashes only.
totp_factors = standard_table(
    "totp_factors",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, unique=True),
    sa.Column("secret_encrypted", sa.Text, nullable=False),
    sa.Column("confirmed_at", UtcDateTime, nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=True),
)

recovery_codes = standard_table(
    "recovery_codes",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("used_at", UtcDateTime, nullable=True),
)

mfa_challenges = standard_table(
    "mfa_challenges",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("amr", sa.JSON, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=True),
)

passkeys = standard_table(
    "passkeys",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("sign_count", sa.BigInteger, nullable=False),
    sa.Column("name", sa.String(100), nullable=True),
    sa.Column("last_used_at", UtcDateTime, nullable=True),
)

webauthn_challenges = standard_table(
    "webauthn_challenges",
    metadata,
    sa.Column("kind", _enum(CeremonyKind), nullable=False),
    sa.Column("user_id", sa.Uuid, nullable=True),
    sa.Column("challenge_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=True),
)

# Account erasures (issue #14): no foreign key, the row outlives the user it is about.
erasures = standard_table(
    "erasures",
    metadata,
    sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("requested_by", sa.Uuid, nullable=True),
    sa.Column("reason", sa.String(500), nullable=False),
    # Kept only until the confirmation email is published, then cleared.
    sa.Column("contact_email", sa.String(320), nullable=True),
    sa.Column("contact_name", sa.String(200), nullable=True),
    sa.Column("contact_locale", sa.String(35), nullable=True),
    sa.Column("auth_erased_at", UtcDateTime, nullable=True),
    sa.Column("core_erased_at", UtcDateTime, nullable=True),
    sa.Column("notification_erased_at", UtcDateTime, nullable=True),
    sa.Column("search_erased_at", UtcDateTime, nullable=True),
    sa.Column("confirmed_at", UtcDateTime, nullable=True),
)

# Data exports (issue #14): the document, until downloaded once or 24 h old; token hashed.
# A row from the request on (the job): status, attempts; the document once assembled.
exports = standard_table(
    "exports",
    metadata,
    sa.Column("user_id", sa.Uuid, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("document", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("generated_at", UtcDateTime, nullable=True),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("downloaded_at", UtcDateTime, nullable=True),
)
# The request's allowance: a user's jobs of the last hour.
sa.Index("ix_exports_user_requested", exports.c.user_id, exports.c.requested_at)

# Token signing keys: private halves encrypted (JWT_KEY_PASSPHRASE), newest signs.
signing_keys = standard_table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), nullable=False, unique=True),
    sa.Column("private_key_pem", sa.Text, nullable=False),
    sa.Column("signs_from", UtcDateTime, nullable=False),
)

# Sign-in with OpenID Connect: a provider's subject linked to an account; the web sign-ins
# under way (their state hashed); the ID-token nonces already spent, until the tokens expire.
identities = standard_table(
    "identities",
    metadata,
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.UniqueConstraint("provider", "subject"),
)

oidc_states = standard_table(
    "oidc_states",
    metadata,
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.String(2048), nullable=False),
    sa.Column("state_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=True),
)

oidc_used_nonces = sa.Table(
    "oidc_used_nonces",
    metadata,
    sa.Column("provider", sa.String(64), primary_key=True),
    sa.Column("nonce_hash", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# The events staged with each change, until the worker's relay publishes them.
outbox = outbox_table(metadata)

_mapped = False


def start_mappers() -> None:
    """Map the domain classes (once per process; the mapping is global to SQLAlchemy)."""
    global _mapped
    if _mapped:
        return
    map_entity(mapper_registry, User, users)
    map_entity(mapper_registry, LoginSession, login_sessions)
    map_entity(mapper_registry, RefreshToken, refresh_tokens)
    map_entity(mapper_registry, OneTimeSecret, one_time_secrets)
    map_entity(mapper_registry, AuditEntry, audit_log)
    map_entity(mapper_registry, Identity, identities)
    map_entity(mapper_registry, OidcState, oidc_states)
    map_entity(mapper_registry, TotpFactor, totp_factors)
    map_entity(mapper_registry, RecoveryCode, recovery_codes)
    map_entity(mapper_registry, MfaChallenge, mfa_challenges)
    map_entity(mapper_registry, Passkey, passkeys)
    map_entity(mapper_registry, WebAuthnChallenge, webauthn_challenges)
    map_entity(mapper_registry, Erasure, erasures)
    map_entity(mapper_registry, Export, exports)
    _mapped = True
