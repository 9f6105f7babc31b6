"""Second factors: TOTP (RFC 6238) with recovery codes, the sign-in challenge that asks for
one, and passkeys (WebAuthn credentials) with their single-use ceremony challenges.

Sign-in methods are named as in RFC 8176 (``amr``): ``pwd`` a password, ``sms`` a texted code,
``otp`` an authenticator-app or recovery code, ``hwk`` + ``user`` a passkey (a hardware-bound
key with user verification); ``mfa`` marks any sign-in that used two factors.
"""

from __future__ import annotations

import enum
import hmac
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime

import pyotp

from keel_auth.domain.model import hash_secret

PASSWORD = "pwd"  # noqa: S105 - an RFC 8176 method name
SMS = "sms"
ONE_TIME_PASSWORD = "otp"  # noqa: S105 - an RFC 8176 method name
EMAIL_LINK = "email"
PASSKEY = ("hwk", "user")
MULTIPLE_FACTORS = "mfa"

TOTP_STEP_SECONDS = 30
#: Codes of the previous and next step still count: phone clocks drift.
TOTP_DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10


def with_second_factor(amr: Iterable[str], method: str = ONE_TIME_PASSWORD) -> list[str]:
    """The ``amr`` of a sign-in whose first factor was ``amr`` and second ``method``."""
    return sorted({*amr, method, MULTIPLE_FACTORS})


class TotpFactor:
    """An authenticator app's shared secret, stored encrypted; pending until a first code
    proves the app holds it. ``last_step`` is the time step of the last code accepted, so a
    code (seen over a shoulder, phished) works once."""

    def __init__(self, user_id: uuid.UUID, secret_encrypted: str, now: datetime) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.secret_encrypted = secret_encrypted
        self.confirmed_at: datetime | None = None
        self.last_step: int | None = None
        self.created_at = now

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        """The time step ``code`` belongs to, if it is within the drift window and newer than
        the last one used; compared in constant time."""
        totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
        current = int(now.timestamp()) // TOTP_STEP_SECONDS
        found = None
        for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
            expected = totp.at(step * TOTP_STEP_SECONDS).encode()
            if hmac.compare_digest(expected, code.strip().encode()):  # bytes: any input
                found = step
        if found is None or (self.last_step is not None and found <= self.last_step):
            return None
        return found


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits, the RFC 4226 recommendation


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


class RecoveryCode:
    """One of the codes shown once at enrolment; stored hashed, usable once."""

    def __init__(self, user_id: uuid.UUID, raw: str, now: datetime) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.code_hash = recovery_code_hash(user_id, raw)
        self.created_at = now
        self.used_at: datetime | None = None


def new_recovery_codes(user_id: uuid.UUID, now: datetime) -> tuple[list[str], list[RecoveryCode]]:
    raws = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    return raws, [RecoveryCode(user_id, raw, now) for raw in raws]


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread on paper
    chars = "".join(secrets.choice(alphabet) for _ in range(10))  # ~49 bits
    return f"{chars[:5]}-{chars[5:]}"


def recovery_code_hash(user_id: uuid.UUID, raw: str) -> str:
    return hash_secret(raw.strip().lower().replace(" ", ""), salt=str(user_id))


class MfaChallenge:
    """The ``mfa_token`` a first factor earns: single purpose (answering this challenge),
    short-lived, single use, stored hashed. ``amr`` keeps how the first factor was shown."""

    def __init__(
        self, user_id: uuid.UUID, amr: Iterable[str], now: datetime, expires_at: datetime
    ) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.raw = secrets.token_urlsafe(32)  # not persisted
        self.token_hash = hash_secret(self.raw)
        self.amr = sorted(set(amr))
        self.created_at = now
        self.expires_at = expires_at
        self.used_at: datetime | None = None

    def is_live(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class Passkey:
    """A WebAuthn credential of a user: its id and public key as the authenticator made
    them (base64url), and the signature counter a cloned key would give away."""

    def __init__(
        self,
        user_id: uuid.UUID,
        credential_id: str,
        public_key: str,
        sign_count: int,
        now: datetime,
        *,
        name: str | None = None,
    ) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.credential_id = credential_id
        self.public_key = public_key
        self.sign_count = sign_count
        self.name = name
        self.created_at = now
        self.last_used_at: datetime | None = None

    def used(self, sign_count: int, now: datetime) -> None:
        self.sign_count = sign_count
        self.last_used_at = now


class CeremonyKind(enum.StrEnum):
    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


class WebAuthnChallenge:
    """The random challenge of one WebAuthn ceremony, kept server-side (hashed) until the
    browser's answer comes back; single use and short-lived, so a signed answer cannot be
    replayed."""

    def __init__(
        self,
        kind: CeremonyKind,
        challenge: str,
        now: datetime,
        expires_at: datetime,
        *,
        user_id: uuid.UUID | None = None,
    ) -> None:
        self.id = uuid.uuid4()
        self.kind = kind
        self.user_id = user_id
        self.challenge_hash = hash_secret(challenge)
        self.created_at = now
        self.expires_at = expires_at
        self.used_at: datetime | None = None

    def is_live(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
