"""The auth service's settings: read once from the environment in the composition root."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from keel_auth.domain.policy import AuthPolicy, Limit
from keel_common.auth import DEFAULT_REVOCATIONS_PATH
from keel_common.settings import ConfigError, ServiceSettings, load_settings

DEVELOPMENT_MFA_KEY = b"keel-development-only-mfa-key"


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    http_port: int = Field(default=8001, ge=0, le=65535)
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9101, ge=0, le=65535)

    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    # However often it is refreshed, a login session ends this long after sign-in.
    session_max_age_days: int = Field(default=90, ge=1, le=3650)
    # Private signing keys are stored encrypted with this passphrase (required in production).
    jwt_key_passphrase: SecretStr | None = None

    # argon2id; OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 is the minimum.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19456, ge=7168)
    argon2_parallelism: int = Field(default=1, ge=1)

    otp_allowed_regions: Annotated[frozenset[str], NoDecode] = AuthPolicy().otp_regions
    otp_sms_daily_cap: int = Field(default=1000, ge=0)
    # Sign-ups per client IP and in all, per hour (429 with Retry-After beyond).
    signup_per_ip_hourly: int = Field(default=10, ge=1)
    signup_hourly_cap: int = Field(default=1000, ge=1)
    # Deadline of each ExportUserData call the worker makes to assemble a data export.
    export_timeout_seconds: float = Field(default=10.0, gt=0)

    # Encrypts TOTP secrets at rest; required outside ENVIRONMENT=development (any long
    # random string, e.g. `openssl rand -base64 32`; changing it disables every TOTP). The
    # rate limits' HMAC key for emails and phone numbers is derived from it too.
    mfa_encryption_key: SecretStr | None = None
    totp_issuer: str = "Keel"
    # WebAuthn relying party: passkeys are bound to this domain (the site's registrable
    # domain, no scheme or port; "localhost" for local work) and answers are accepted only
    # from these origins (scheme://host[:port], comma separated).
    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "Keel"
    webauthn_origins: Annotated[frozenset[str], NoDecode] = frozenset(
        {"http://localhost:8080", "http://localhost:8005"}
    )

    # Without REDIS_URL, limits and revocations live in SQLite files every local process shares.
    rate_limit_path: Path = Path("var/auth-rate-limits.db")
    revocations_path: Path = Path(DEFAULT_REVOCATIONS_PATH)

    # The account view cache of GET /v1/auth/me (adapters.view_cache): "auto" is on when
    # REDIS_URL is set. On the embedded default there is no cache (a SQLite read costs what
    # a hit on a cache file would), only the copies below; "off" turns both off.
    account_view_cache: Literal["auto", "off"] = "auto"
    # The cache's Redis when it is not REDIS_URL's; then the denylist is not read with it.
    account_view_cache_url: str | None = None
    # A backstop only (invalidation is by write); bounds staleness after a cache outage.
    account_view_cache_ttl_seconds: float = Field(default=300.0, gt=0)
    # Hits also copied into each process: under a Redis lease (keel_common.cache.near); on
    # the embedded default, database reads, while an epoch next to its file has not moved.
    account_view_cache_near: bool = True

    # Sign-in with OpenID Connect (keel_auth.adapters.oidc_config; README). The secrets are
    # JSON provider -> client secret and Apple's PEM key, both mountable as *_FILE.
    oidc_providers: Annotated[dict[str, Any], NoDecode] = Field(default_factory=dict)
    oidc_client_secrets: SecretStr | None = None
    oidc_apple_private_key: SecretStr | None = None
    # The app addresses the web sign-in may return to (exact match), comma-separated.
    oidc_redirect_uris: Annotated[frozenset[str], NoDecode] = frozenset()
    # The public base URL of this API: providers call back {base}/v1/auth/oidc/{p}/callback.
    oidc_callback_base_url: str = "http://127.0.0.1:8080"
    # An unknown key id refetches a provider's JWKS at most this often (forged kids cannot
    # make us hammer the provider).
    oidc_jwks_min_refresh_seconds: int = Field(default=60, ge=1)

    @field_validator("webauthn_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    def mfa_key(self) -> bytes:
        """The TOTP encryption key; a fixed one only in development (``load`` refuses
        to start elsewhere without ``MFA_ENCRYPTION_KEY``)."""
        if self.mfa_encryption_key is not None:
            return self.mfa_encryption_key.get_secret_value().encode()
        if self.environment != "development":
            raise ConfigError({"MFA_ENCRYPTION_KEY": "required outside development"})
        return DEVELOPMENT_MFA_KEY

    @field_validator("otp_allowed_regions", mode="before")
    @classmethod
    def _regions(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip().upper() for part in value.split(",") if part.strip())
        return value

    @field_validator("oidc_providers", mode="before")
    @classmethod
    def _providers(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("oidc_redirect_uris", mode="before")
    @classmethod
    def _redirect_uris(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    def policy(self) -> AuthPolicy:
        return AuthPolicy(
            access_ttl=timedelta(seconds=self.access_token_ttl_seconds),
            refresh_ttl=timedelta(days=self.refresh_token_ttl_days),
            session_max_age=timedelta(days=self.session_max_age_days),
            otp_sms_per_day=Limit(self.otp_sms_daily_cap, 86400),
            signup_per_ip=Limit(self.signup_per_ip_hourly, 3600),
            signup_global=Limit(self.signup_hourly_cap, 3600),
            otp_regions=self.otp_allowed_regions,
            totp_issuer=self.totp_issuer,
            mfa_roles=self.require_mfa_for_roles,
        )


def load() -> AuthSettings:
    """The settings of this process; production refuses to start without its secrets."""
    settings = load_settings(AuthSettings)
    if settings.environment != "development" and settings.mfa_encryption_key is None:
        raise ConfigError({"MFA_ENCRYPTION_KEY": "required outside development (encrypts TOTP)"})
    if settings.environment == "production":
        problems: dict[str, str] = {}
        if settings.jwt_key_passphrase is None:
            problems["JWT_KEY_PASSPHRASE"] = "required in production (encrypts keys)"  # noqa: S105
        if not settings.redis_url:
            problems["REDIS_URL"] = "required in production (limits and revocations)"
        if problems:
            raise ConfigError(problems)
    return settings
