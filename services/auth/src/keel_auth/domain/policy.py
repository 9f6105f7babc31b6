"""Lifetimes and limits the use cases enforce; built from settings in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Limit:
    """At most ``amount`` events per sliding ``seconds`` window."""

    amount: int
    seconds: int


@dataclass(frozen=True)
class AuthPolicy:
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)
    otp_ttl: timedelta = timedelta(minutes=5)
    reset_ttl: timedelta = timedelta(minutes=30)
    verification_ttl: timedelta = timedelta(days=2)
    phone_code_ttl: timedelta = timedelta(minutes=10)
    email_change_ttl: timedelta = timedelta(hours=24)
    # A session ends this long after sign-in however often it is refreshed.
    session_max_age: timedelta = timedelta(days=90)
    # Verifiers accept this much clock skew, so a revoked session stays denied that long more.
    clock_leeway: timedelta = timedelta(seconds=30)

    login_failures_per_account: Limit = Limit(10, 600)
    login_per_ip: Limit = Limit(100, 600)
    otp_request_per_phone: Limit = Limit(3, 600)
    otp_request_per_ip: Limit = Limit(10, 3600)
    otp_request_per_calling_code: Limit = Limit(200, 3600)
    otp_sms_per_day: Limit = Limit(1000, 86400)
    otp_verify_per_phone: Limit = Limit(5, 600)
    forgot_per_email: Limit = Limit(3, 3600)
    forgot_per_ip: Limit = Limit(20, 3600)
    signup_per_ip: Limit = Limit(10, 3600)
    signup_global: Limit = Limit(1000, 3600)
    # Silent caps (no 429, which would reveal the account): mails about one address.
    signup_notice_per_email: Limit = Limit(3, 86400)
    resend_per_email: Limit = Limit(3, 3600)
    resend_per_ip: Limit = Limit(20, 3600)
    phone_code_per_user: Limit = Limit(5, 86400)
    phone_code_per_phone: Limit = Limit(3, 3600)
    phone_verify_per_user: Limit = Limit(10, 3600)
    # Answers to a second-factor prompt (challenge, enrolment, disabling), per user.
    mfa_attempts: Limit = Limit(5, 600)
    export_per_user: Limit = Limit(1, 3600)
    # Holders of these roles act as staff or admin only with a second factor in the token
    # (REQUIRE_MFA_FOR_ROLES); the back-office use cases check it with the role.
    mfa_roles: frozenset[str] = frozenset()
    mfa_token_ttl: timedelta = timedelta(minutes=5)
    webauthn_challenge_ttl: timedelta = timedelta(minutes=5)
    passkey_login_per_ip: Limit = Limit(100, 600)
    # The name authenticator apps show next to the account.
    totp_issuer: str = "Keel"
    # ISO 3166 regions OTP SMS may go to (SMS pumping targets premium-rate destinations).
    otp_regions: frozenset[str] = field(
        default_factory=lambda: frozenset({"US", "CA", "GB", "IE", "DE", "FR", "NL", "ES", "IT"})
    )

    @property
    def revocation_ttl(self) -> timedelta:
        """How long a revoked session must stay denied: its newest access token's lifetime."""
        return self.access_ttl + self.clock_leeway
