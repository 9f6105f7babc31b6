"""SQLAlchemy repositories and the auth unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from keel_auth.adapters import orm, view_changes
from keel_auth.adapters.mfa_repository import SqlAlchemyMfaRepository, SqlAlchemyPasskeyRepository
from keel_auth.adapters.oidc_repository import (
    SqlAlchemyIdentityRepository,
    SqlAlchemyOidcStateRepository,
)
from keel_auth.domain.erasure import Erasure, pseudonymize_audit_entry
from keel_auth.domain.errors import EmailTaken, PhoneTaken
from keel_auth.domain.export import Export
from keel_auth.domain.model import (
    AuditEntry,
    LoginSession,
    OneTimeSecret,
    RefreshToken,
    SecretPurpose,
    User,
)
from keel_auth.service_layer import ports
from keel_auth.service_layer.views import AccountViews
from keel_common.db import SqlAlchemyUnitOfWork
from keel_common.pagination import Position


class SqlAlchemyUserRepository(ports.UserRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: User) -> None:
        # Flushed at once: without ORM relationships SQLAlchemy does not know that secrets
        # and sessions referencing the user must be inserted after it. A unique violation
        # (a double-clicked sign-up) surfaces here, so it is mapped here too.
        self.session.add(user)
        try:
            self.session.flush()
        except IntegrityError as exc:
            self.session.rollback()
            raise _conflict(exc) from exc

    def _one(self, condition: Any) -> User | None:
        return self.session.scalars(sa.select(User).where(condition)).one_or_none()

    def get(self, user_id: uuid.UUID) -> User | None:
        return self._one(orm.users.c.id == user_id)

    def get_by_email(self, email: str) -> User | None:
        return self._one(orm.users.c.email == email)

    def get_by_phone(self, phone: str) -> User | None:
        return self._one(orm.users.c.phone == phone)

    def count_admins(self) -> int:
        # Roles are a JSON list; admins are few, so reading the candidates is cheap and
        # portable across SQLite and PostgreSQL. The rows are locked on PostgreSQL, so two
        # admins demoting each other at once cannot both pass.
        query = sa.select(User).where(sa.cast(orm.users.c.roles, sa.String).like('%"admin"%'))
        return sum("admin" in user.roles for user in self.session.scalars(query.with_for_update()))

    def find(self, query: ports.UserQuery, after: Position | None, limit: int) -> list[User]:
        table = orm.users
        statement = sa.select(User)
        if query.user_id is not None:
            statement = statement.where(table.c.id == query.user_id)
        if query.email is not None:
            statement = statement.where(table.c.email == query.email)
        if query.phone is not None:
            statement = statement.where(table.c.phone == query.phone)
        if query.email_prefix:
            # Escaped, so "_" and "%" in an address match themselves; on PostgreSQL the
            # varchar_pattern_ops index (migration 0004) serves this prefix scan.
            pattern = _escape_like(query.email_prefix) + "%"
            statement = statement.where(table.c.email.like(pattern, escape="\\"))
        keys = (table.c.created_at, table.c.id)
        return list(self.session.scalars(_newest_first(statement, keys, after, limit)))

    def count_created_since(self, since: datetime) -> int:
        query = sa.select(sa.func.count()).where(orm.users.c.created_at >= since)
        return int(self.session.execute(query).scalar_one())

    def release_phone(self, phone: str) -> None:
        table = orm.users
        # The holder first: its cached view changes too. The number is unique, so it is one
        # account; one that takes it meanwhile is its own write, invalidated by its own commit.
        holders = self.session.scalars(sa.select(table.c.id).where(table.c.phone == phone)).all()
        if not holders:
            return
        self.session.execute(
            sa.update(table)
            .where(table.c.id.in_(holders))
            .values(phone=None, phone_verified=False)
            .execution_options(synchronize_session="fetch", **view_changes.touching(holders))
        )

    def list(self, user_ids: Sequence[uuid.UUID]) -> list[User]:
        if not user_ids:
            return []
        return list(self.session.scalars(sa.select(User).where(orm.users.c.id.in_(user_ids))))


class SqlAlchemySessionRepository(ports.SessionRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, session: LoginSession) -> None:
        self.session.add(session)
        self.session.flush()  # before its refresh tokens, as for users

    def get(self, session_id: uuid.UUID) -> LoginSession | None:
        query = sa.select(LoginSession).where(orm.login_sessions.c.id == session_id)
        return self.session.scalars(query).one_or_none()

    def active_for_user(self, user_id: uuid.UUID) -> list[LoginSession]:
        table = orm.login_sessions
        query = sa.select(LoginSession).where(
            table.c.user_id == user_id, table.c.revoked_at.is_(None)
        )
        return list(self.session.scalars(query))


class SqlAlchemyRefreshTokenRepository(ports.RefreshTokenRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: RefreshToken) -> None:
        self.session.add(token)

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        query = sa.select(RefreshToken).where(orm.refresh_tokens.c.token_hash == token_hash)
        return self.session.scalars(query).one_or_none()

    def spend(self, token: RefreshToken, now: datetime) -> bool:
        table = orm.refresh_tokens
        key = table.c.token_hash == token.token_hash
        return _use_once(self.session, token, table, key, "spent_at", now)


class SqlAlchemyOneTimeSecretRepository(ports.OneTimeSecretRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, secret: OneTimeSecret) -> None:
        self.session.add(secret)

    def consume(self, secret: OneTimeSecret, now: datetime) -> bool:
        table = orm.one_time_secrets
        return _use_once(self.session, secret, table, table.c.id == secret.id, "used_at", now)

    def get(self, secret_id: uuid.UUID) -> OneTimeSecret | None:
        query = sa.select(OneTimeSecret).where(orm.one_time_secrets.c.id == secret_id)
        return self.session.scalars(query).one_or_none()

    def latest(self, purpose: SecretPurpose, user_id: uuid.UUID) -> OneTimeSecret | None:
        table = orm.one_time_secrets
        query = (
            sa.select(OneTimeSecret)
            .where(table.c.purpose == purpose, table.c.user_id == user_id)
            .order_by(table.c.created_at.desc(), table.c.pk.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()


class SqlAlchemyAuditLog(ports.AuditLog):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    def find(
        self,
        *,
        user_id: uuid.UUID | None,
        actor_id: uuid.UUID | None,
        after: Position | None,
        limit: int,
    ) -> list[AuditEntry]:
        table = orm.audit_log
        statement = sa.select(AuditEntry)
        if user_id is not None:
            statement = statement.where(table.c.user_id == user_id)
        if actor_id is not None:
            statement = statement.where(table.c.actor_id == actor_id)
        keys = (table.c.occurred_at, table.c.id)
        return list(self.session.scalars(_newest_first(statement, keys, after, limit)))


def _newest_first(statement: Any, keys: tuple[Any, Any], after: Position | None, limit: int) -> Any:
    """Keyset pagination: a row-value comparison the (time, id) indexes answer directly."""
    if after is not None:
        statement = statement.where(sa.tuple_(*keys) < sa.tuple_(after.created_at, after.id))
    return statement.order_by(keys[0].desc(), keys[1].desc()).limit(limit)


def _use_once(
    session: Session, entity: Any, table: sa.Table, key: Any, column: str, now: datetime
) -> bool:
    """Mark a single-use row used: ``True`` for exactly one of any number of concurrent
    callers. A conditional UPDATE (``column IS NULL`` in the WHERE): PostgreSQL re-checks it
    after taking the row lock, SQLite serialises writers. The loaded ``entity`` is updated
    without marking it dirty, so the flush does not write the column a second time."""
    result = session.execute(
        sa.update(table)
        .where(key, table.c[column].is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    set_committed_value(entity, column, now)
    return True


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlAlchemyExportRepository(ports.ExportRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, export: Export) -> None:
        self.session.add(export)

    def get(self, export_id: uuid.UUID) -> Export | None:
        query = sa.select(Export).where(orm.exports.c.id == export_id)
        return self.session.scalars(query).one_or_none()

    def requested_since(self, user_id: uuid.UUID, since: datetime) -> list[Export]:
        table = orm.exports
        query = (
            sa.select(Export)
            .where(table.c.user_id == user_id, table.c.requested_at >= since)
            .order_by(table.c.requested_at)
        )
        return list(self.session.scalars(query))

    def by_token_hash(self, token_hash: str) -> Export | None:
        query = sa.select(Export).where(orm.exports.c.token_hash == token_hash)
        return self.session.scalars(query).one_or_none()

    def spend(self, export: Export, now: datetime) -> bool:
        table = orm.exports
        return _use_once(self.session, export, table, table.c.id == export.id, "downloaded_at", now)


class SqlAlchemyErasureRepository(ports.ErasureRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, erasure: Erasure) -> None:
        self.session.add(erasure)

    def for_user(self, user_id: uuid.UUID, *, lock: bool = False) -> Erasure | None:
        query = sa.select(Erasure).where(orm.erasures.c.user_id == user_id)
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()


class SqlAlchemyPersonalData(ports.PersonalData):
    def __init__(self, session: Session) -> None:
        self.session = session

    def forget_user(self, user_id: uuid.UUID) -> None:
        sessions = sa.select(orm.login_sessions.c.id).where(orm.login_sessions.c.user_id == user_id)
        # Named to the views: their cached copies of this account are scrubbed, not only
        # left behind a replaced generation until they expire.
        session_ids = list(self.session.scalars(sessions))
        # Everything keyed by the user, the account row last (the others refer to it): second
        # factors, passkeys, linked identities and data exports go with the credentials.
        owned = (
            orm.login_sessions,
            orm.one_time_secrets,
            orm.totp_factors,
            orm.recovery_codes,
            orm.mfa_challenges,
            orm.passkeys,
            orm.webauthn_challenges,
            orm.identities,
            orm.exports,
        )
        statements = [
            sa.delete(orm.refresh_tokens).where(orm.refresh_tokens.c.session_id.in_(sessions)),
            *(sa.delete(table).where(table.c.user_id == user_id) for table in owned),
            sa.delete(orm.users).where(orm.users.c.id == user_id),
        ]
        touched = view_changes.touching([user_id], session_ids)
        options = {"synchronize_session": False, **touched}
        for statement in statements:
            self.session.execute(statement.execution_options(**options))
        # The loaded user is gone from the table: it must not be flushed again.
        for loaded in list(self.session.identity_map.values()):
            if isinstance(loaded, User) and loaded.id == user_id:
                self.session.expunge(loaded)

    def forget_published_events(self, user_id: uuid.UUID, addresses: Sequence[str]) -> int:
        table = orm.outbox
        naming = [table.c.payload.contains(v, autoescape=True) for v in (str(user_id), *addresses)]
        statement = sa.delete(table).where(table.c.published_at.is_not(None), sa.or_(*naming))
        result = self.session.execute(statement.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0))

    def pseudonymize_audit(self, user_id: uuid.UUID, identifiers: Sequence[str]) -> int:
        table = orm.audit_log
        # JSON details are matched as text: portable, and erasures are rare.
        naming = [sa.cast(table.c.details, sa.String).contains(i) for i in identifiers]
        query = sa.select(AuditEntry).where(
            sa.or_(table.c.user_id == user_id, table.c.actor_id == user_id, *naming)
        )
        entries = list(self.session.scalars(query))
        return sum(pseudonymize_audit_entry(entry, identifiers) for entry in entries)


class SqlAlchemyAuthUnitOfWork(SqlAlchemyUnitOfWork, ports.UnitOfWork):
    """keel_common's unit of work (events staged in the outbox at commit) with our repos;
    after each commit, the account views forget the users it changed (``view_changes``)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox: sa.Table | None,
        views: AccountViews | None = None,
    ) -> None:
        # ``session_factory`` is watched (``view_changes.watch``) once, in bootstrap: not
        # per unit of work, which every request builds.
        super().__init__(session_factory, source="keel-auth", outbox=outbox)
        self._views = views

    def __enter__(self) -> Self:
        super().__enter__()
        self.users = SqlAlchemyUserRepository(self.session)
        self.sessions = SqlAlchemySessionRepository(self.session)
        self.refresh_tokens = SqlAlchemyRefreshTokenRepository(self.session)
        self.secrets = SqlAlchemyOneTimeSecretRepository(self.session)
        self.audit = SqlAlchemyAuditLog(self.session)
        self.identities = SqlAlchemyIdentityRepository(self.session)
        self.oidc_states = SqlAlchemyOidcStateRepository(self.session)
        self.mfa = SqlAlchemyMfaRepository(self.session)
        self.passkeys = SqlAlchemyPasskeyRepository(self.session)
        self.erasures = SqlAlchemyErasureRepository(self.session)
        self.exports = SqlAlchemyExportRepository(self.session)
        self.personal_data = SqlAlchemyPersonalData(self.session)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        # Detach first, so entities a use case returns stay readable: a rollback would
        # expire them, and a read-only unit of work always ends in one.
        self.session.expunge_all()
        super().__exit__(*exc_info)

    def commit(self) -> None:
        try:
            SqlAlchemyUnitOfWork.commit(self)
        except IntegrityError as exc:
            self.rollback()
            raise _conflict(exc) from exc
        changed = view_changes.changed_users(self.session)
        if changed and self._views is not None:
            # After the commit, never before: a reader between the two would fill the old
            # row under the new generation.
            self._views.forget(changed, view_changes.changed_sessions(self.session))
        view_changes.clear(self.session)


def _conflict(exc: IntegrityError) -> Exception:
    """A unique-constraint race (two sign-ups at once) as the domain error it stands for."""
    message = str(exc.orig)
    if "users_email" in message or "users.email" in message:
        return EmailTaken("an account with this email already exists")
    if "users_phone" in message or "users.phone" in message:
        return PhoneTaken("an account with this phone number already exists")
    return exc
