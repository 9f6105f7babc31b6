"""SQLAlchemy repositories of sign-in with OpenID Connect."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from keel_auth.adapters import orm
from keel_auth.domain.oidc import Identity, OidcState
from keel_auth.service_layer import oidc_ports


class SqlAlchemyIdentityRepository(oidc_ports.IdentityRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, identity: Identity) -> None:
        self.session.add(identity)

    def get(self, identity_id: uuid.UUID) -> Identity | None:
        query = sa.select(Identity).where(orm.identities.c.id == identity_id)
        return self.session.scalars(query).one_or_none()

    def get_by_subject(self, provider: str, subject: str) -> Identity | None:
        table = orm.identities
        query = sa.select(Identity).where(table.c.provider == provider, table.c.subject == subject)
        return self.session.scalars(query).one_or_none()

    def for_user(self, user_id: uuid.UUID) -> list[Identity]:
        table = orm.identities
        query = sa.select(Identity).where(table.c.user_id == user_id).order_by(table.c.pk)
        return list(self.session.scalars(query))

    def remove(self, identity: Identity) -> None:
        # A hard delete: the same subject may be linked again later (unique per provider).
        self.session.delete(identity)


class SqlAlchemyOidcStateRepository(oidc_ports.OidcStateRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, state: OidcState) -> None:
        self.session.add(state)

    def get_by_hash(self, state_hash: str) -> OidcState | None:
        query = sa.select(OidcState).where(orm.oidc_states.c.state_hash == state_hash)
        return self.session.scalars(query).one_or_none()

    def use(self, state: OidcState, now: datetime) -> bool:
        table = orm.oidc_states
        result = self.session.execute(
            sa.update(table)
            .where(table.c.id == state.id, table.c.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        set_committed_value(state, "used_at", now)
        return True

    def claim_nonce(self, provider: str, nonce_hash: str, expires_at: datetime) -> bool:
        # INSERT .. ON CONFLICT DO NOTHING: the primary key decides between two racing
        # requests, and the transaction survives the loser (no IntegrityError to roll back).
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(orm.oidc_used_nonces)
            .values(provider=provider, nonce_hash=nonce_hash, expires_at=expires_at)
            .on_conflict_do_nothing()
            .returning(orm.oidc_used_nonces.c.nonce_hash)
        )
        # RETURNING rather than rowcount, which drivers report differently for this form.
        return self.session.execute(statement).first() is not None
