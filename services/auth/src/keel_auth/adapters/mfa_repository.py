"""SQLAlchemy repositories of second factors: TOTP, recovery codes, mfa tokens, passkeys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from keel_auth.adapters import orm
from keel_auth.domain.mfa import (
    CeremonyKind,
    MfaChallenge,
    Passkey,
    RecoveryCode,
    TotpFactor,
    WebAuthnChallenge,
)
from keel_auth.service_layer import ports


def _update_once(session: Session, table: sa.Table, *where: Any, **values: Any) -> bool:
    """A conditional UPDATE that one of two concurrent callers wins (PostgreSQL re-checks
    the WHERE after the row lock; SQLite serialises writers)."""
    result = session.execute(
        sa.update(table).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


class SqlAlchemyMfaRepository(ports.MfaRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def totp_for(self, user_id: uuid.UUID) -> TotpFactor | None:
        query = sa.select(TotpFactor).where(orm.totp_factors.c.user_id == user_id)
        return self.session.scalars(query).one_or_none()

    def add_totp(self, factor: TotpFactor) -> None:
        self.session.add(factor)
        self.session.flush()  # its unique user_id: a pending factor was deleted just before

    def remove_totp(self, user_id: uuid.UUID) -> None:
        self.session.execute(
            sa.delete(orm.recovery_codes).where(orm.recovery_codes.c.user_id == user_id)
        )
        factor = self.totp_for(user_id)
        if factor is not None:
            self.session.delete(factor)
            self.session.flush()

    def use_totp_step(self, factor: TotpFactor, step: int) -> bool:
        table = orm.totp_factors
        newer = sa.or_(table.c.last_step.is_(None), table.c.last_step < step)
        if not _update_once(self.session, table, table.c.id == factor.id, newer, last_step=step):
            return False
        set_committed_value(factor, "last_step", step)
        return True

    def add_recovery_codes(self, codes: Sequence[RecoveryCode]) -> None:
        self.session.add_all(codes)

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        table = orm.recovery_codes
        return _update_once(
            self.session,
            table,
            table.c.user_id == user_id,
            table.c.code_hash == code_hash,
            table.c.used_at.is_(None),
            used_at=now,
        )

    def add_challenge(self, challenge: MfaChallenge) -> None:
        self.session.add(challenge)

    def challenge_by_hash(self, token_hash: str) -> MfaChallenge | None:
        query = sa.select(MfaChallenge).where(orm.mfa_challenges.c.token_hash == token_hash)
        return self.session.scalars(query).one_or_none()

    def spend_challenge(self, challenge: MfaChallenge, now: datetime) -> bool:
        table = orm.mfa_challenges
        where = (table.c.id == challenge.id, table.c.used_at.is_(None))
        if not _update_once(self.session, table, *where, used_at=now):
            return False
        set_committed_value(challenge, "used_at", now)
        return True


class SqlAlchemyPasskeyRepository(ports.PasskeyRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, passkey: Passkey) -> None:
        self.session.add(passkey)

    def get(self, passkey_id: uuid.UUID) -> Passkey | None:
        return self.session.scalars(
            sa.select(Passkey).where(orm.passkeys.c.id == passkey_id)
        ).one_or_none()

    def by_credential_id(self, credential_id: str) -> Passkey | None:
        query = sa.select(Passkey).where(orm.passkeys.c.credential_id == credential_id)
        return self.session.scalars(query).one_or_none()

    def for_user(self, user_id: uuid.UUID) -> list[Passkey]:
        table = orm.passkeys
        query = sa.select(Passkey).where(table.c.user_id == user_id).order_by(table.c.pk)
        return list(self.session.scalars(query))

    def remove(self, passkey: Passkey) -> None:
        self.session.delete(passkey)

    def add_challenge(self, challenge: WebAuthnChallenge) -> None:
        self.session.add(challenge)

    def take_challenge(
        self, kind: CeremonyKind, challenge_hash: str, now: datetime
    ) -> WebAuthnChallenge | None:
        table = orm.webauthn_challenges
        query = sa.select(WebAuthnChallenge).where(
            table.c.challenge_hash == challenge_hash, table.c.kind == kind
        )
        challenge = self.session.scalars(query).one_or_none()
        if challenge is None or not challenge.is_live(now):
            return None
        where = (table.c.id == challenge.id, table.c.used_at.is_(None))
        if not _update_once(self.session, table, *where, used_at=now):
            return None
        set_committed_value(challenge, "used_at", now)
        return challenge
