"""In-memory second-factor repositories for unit tests (see ``fakes.FakeUnitOfWork``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from keel_auth.domain.mfa import (
    CeremonyKind,
    MfaChallenge,
    Passkey,
    RecoveryCode,
    TotpFactor,
    WebAuthnChallenge,
)
from keel_auth.service_layer import ports


class FakeMfaRepository(ports.MfaRepository):
    def __init__(self) -> None:
        self.totp: dict[uuid.UUID, TotpFactor] = {}
        self.codes: list[RecoveryCode] = []
        self.challenges: list[MfaChallenge] = []

    def state(self) -> tuple[Any, ...]:
        return self.totp, self.codes, self.challenges

    def restore(self, state: tuple[Any, ...]) -> None:
        self.totp, self.codes, self.challenges = state

    def totp_for(self, user_id: uuid.UUID) -> TotpFactor | None:
        return self.totp.get(user_id)

    def add_totp(self, factor: TotpFactor) -> None:
        self.totp[factor.user_id] = factor

    def remove_totp(self, user_id: uuid.UUID) -> None:
        self.totp.pop(user_id, None)
        self.codes = [code for code in self.codes if code.user_id != user_id]

    def use_totp_step(self, factor: TotpFactor, step: int) -> bool:
        if factor.last_step is not None and factor.last_step >= step:
            return False
        factor.last_step = step
        return True

    def add_recovery_codes(self, codes: Sequence[RecoveryCode]) -> None:
        self.codes.extend(codes)

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        for code in self.codes:
            if code.user_id == user_id and code.code_hash == code_hash and code.used_at is None:
                code.used_at = now
                return True
        return False

    def add_challenge(self, challenge: MfaChallenge) -> None:
        self.challenges.append(challenge)

    def challenge_by_hash(self, token_hash: str) -> MfaChallenge | None:
        return next((c for c in self.challenges if c.token_hash == token_hash), None)

    def spend_challenge(self, challenge: MfaChallenge, now: datetime) -> bool:
        if challenge.used_at is not None:
            return False
        challenge.used_at = now
        return True


class FakePasskeyRepository(ports.PasskeyRepository):
    def __init__(self) -> None:
        self.rows: list[Passkey] = []
        self.challenges: list[WebAuthnChallenge] = []

    def state(self) -> tuple[Any, ...]:
        return self.rows, self.challenges

    def restore(self, state: tuple[Any, ...]) -> None:
        self.rows, self.challenges = state

    def add(self, passkey: Passkey) -> None:
        self.rows.append(passkey)

    def get(self, passkey_id: uuid.UUID) -> Passkey | None:
        return next((p for p in self.rows if p.id == passkey_id), None)

    def by_credential_id(self, credential_id: str) -> Passkey | None:
        return next((p for p in self.rows if p.credential_id == credential_id), None)

    def for_user(self, user_id: uuid.UUID) -> list[Passkey]:
        return [p for p in self.rows if p.user_id == user_id]

    def remove(self, passkey: Passkey) -> None:
        self.rows.remove(passkey)

    def add_challenge(self, challenge: WebAuthnChallenge) -> None:
        self.challenges.append(challenge)

    def take_challenge(
        self, kind: CeremonyKind, challenge_hash: str, now: datetime
    ) -> WebAuthnChallenge | None:
        for challenge in self.challenges:
            if challenge.kind is kind and challenge.challenge_hash == challenge_hash:
                if not challenge.is_live(now):
                    return None
                challenge.used_at = now
                return challenge
        return None
