"""In-memory implementations of the auth ports, for unit tests (no sockets, no database)."""

from __future__ import annotations

import builtins
import copy
import hashlib
import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Self

from keel_auth.adapters.fakes_mfa import FakeMfaRepository, FakePasskeyRepository
from keel_auth.adapters.fakes_oidc import FakeIdentityRepository
from keel_auth.domain.erasure import Erasure, pseudonymize_audit_entry
from keel_auth.domain.errors import Throttled
from keel_auth.domain.events import AuthEvent
from keel_auth.domain.export import Export
from keel_auth.domain.model import (
    AuditEntry,
    LoginSession,
    OneTimeSecret,
    RefreshToken,
    SecretPurpose,
    User,
)
from keel_auth.domain.oidc import Identity
from keel_auth.domain.policy import Limit
from keel_auth.service_layer import ports
from keel_auth.service_layer.views import AccountViews
from keel_common.auth import InvalidToken, Principal, principal_from_claims
from keel_common.pagination import Position


class FakeUserRepository(ports.UserRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, User] = {}

    def add(self, user: User) -> None:
        self.rows[user.id] = user

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.rows.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        return next((u for u in self.rows.values() if u.email == email), None)

    def get_by_phone(self, phone: str) -> User | None:
        return next((u for u in self.rows.values() if u.phone == phone), None)

    def list(self, user_ids: Sequence[uuid.UUID]) -> list[User]:
        return [self.rows[i] for i in user_ids if i in self.rows]

    def count_admins(self) -> int:
        return sum("admin" in user.roles for user in self.rows.values())

    def find(
        self, query: ports.UserQuery, after: Position | None, limit: int
    ) -> builtins.list[User]:
        def matches(u: User) -> bool:
            return (
                query.user_id in (None, u.id)
                and query.email in (None, u.email)
                and query.phone in (None, u.phone)
                and u.email.startswith(query.email_prefix or "")
            )

        found = [(u.created_at, u.id, u) for u in self.rows.values() if matches(u)]
        return [u for _, _, u in _newest_first(found, after, limit)]

    def count_created_since(self, since: datetime) -> int:
        return sum(user.created_at >= since for user in self.rows.values())

    def release_phone(self, phone: str) -> None:
        for user in self.rows.values():
            if user.phone == phone:
                user.phone, user.phone_verified = None, False


class FakeSessionRepository(ports.SessionRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, LoginSession] = {}

    def add(self, session: LoginSession) -> None:
        self.rows[session.id] = session

    def get(self, session_id: uuid.UUID) -> LoginSession | None:
        return self.rows.get(session_id)

    def active_for_user(self, user_id: uuid.UUID) -> list[LoginSession]:
        return [s for s in self.rows.values() if s.user_id == user_id and s.is_active]


class FakeRefreshTokenRepository(ports.RefreshTokenRepository):
    def __init__(self) -> None:
        self.rows: dict[str, RefreshToken] = {}

    def add(self, token: RefreshToken) -> None:
        self.rows[token.token_hash] = token

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        return self.rows.get(token_hash)

    def spend(self, token: RefreshToken, now: datetime) -> bool:
        if token.spent_at is not None:
            return False
        token.spent_at = now
        return True


class FakeOneTimeSecretRepository(ports.OneTimeSecretRepository):
    def __init__(self) -> None:
        self.rows: list[OneTimeSecret] = []

    def add(self, secret: OneTimeSecret) -> None:
        self.rows.append(secret)

    def consume(self, secret: OneTimeSecret, now: datetime) -> bool:
        if secret.used_at is not None:
            return False
        secret.use(now)
        return True

    def get(self, secret_id: uuid.UUID) -> OneTimeSecret | None:
        return next((s for s in self.rows if s.id == secret_id), None)

    def latest(self, purpose: SecretPurpose, user_id: uuid.UUID) -> OneTimeSecret | None:
        mine = [s for s in self.rows if s.purpose is purpose and s.user_id == user_id]
        return mine[-1] if mine else None


class FakeAuditLog(ports.AuditLog):
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def find(
        self,
        *,
        user_id: uuid.UUID | None,
        actor_id: uuid.UUID | None,
        after: Position | None,
        limit: int,
    ) -> list[AuditEntry]:
        found = [
            (e.occurred_at, e.id, e)
            for e in self.entries
            if user_id in (None, e.user_id) and actor_id in (None, e.actor_id)
        ]
        return [e for _, _, e in _newest_first(found, after, limit)]


def _newest_first(
    rows: list[tuple[datetime, uuid.UUID, Any]], after: Position | None, limit: int
) -> list[tuple[datetime, uuid.UUID, Any]]:
    if after is not None:
        rows = [r for r in rows if (r[0], r[1]) < (after.created_at, after.id)]
    return sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)[:limit]


class FakeErasureRepository(ports.ErasureRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Erasure] = {}

    def add(self, erasure: Erasure) -> None:
        self.rows[erasure.user_id] = erasure

    def for_user(self, user_id: uuid.UUID, *, lock: bool = False) -> Erasure | None:
        return self.rows.get(user_id)


class FakeExportRepository(ports.ExportRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Export] = {}

    def add(self, export: Export) -> None:
        self.rows[export.id] = export

    def get(self, export_id: uuid.UUID) -> Export | None:
        return self.rows.get(export_id)

    def requested_since(self, user_id: uuid.UUID, since: datetime) -> list[Export]:
        mine = [e for e in self.rows.values() if e.user_id == user_id and e.requested_at >= since]
        return sorted(mine, key=lambda e: e.requested_at)

    def by_token_hash(self, token_hash: str) -> Export | None:
        return next((e for e in self.rows.values() if e.token_hash == token_hash), None)

    def spend(self, export: Export, now: datetime) -> bool:
        stored = self.rows.get(export.id)
        if stored is None or stored.downloaded_at is not None:
            return False
        stored.downloaded_at = export.downloaded_at = now
        return True


class FakePersonalData(ports.PersonalData):
    """Forgets from the other fake repositories of the same unit of work."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def forget_user(self, user_id: uuid.UUID) -> None:
        uow = self.uow
        sessions = {s.id for s in uow.sessions.rows.values() if s.user_id == user_id}
        uow.sessions.rows = {k: v for k, v in uow.sessions.rows.items() if k not in sessions}
        uow.refresh_tokens.rows = {
            k: v for k, v in uow.refresh_tokens.rows.items() if v.session_id not in sessions
        }
        uow.secrets.rows = [s for s in uow.secrets.rows if s.user_id != user_id]
        uow.identities.rows = [i for i in uow.identities.rows if i.user_id != user_id]
        uow.users.rows.pop(user_id, None)

    def forget_published_events(self, user_id: uuid.UUID, addresses: Sequence[str]) -> int:
        return 0  # the fake keeps no outbox: ``uow.events`` is what tests read

    def pseudonymize_audit(self, user_id: uuid.UUID, identifiers: Sequence[str]) -> int:
        changed = 0
        for entry in self.uow.audit.entries:
            about = user_id in (entry.user_id, entry.actor_id)
            if about or any(i in str(entry.details) for i in identifiers):
                changed += pseudonymize_audit_entry(entry, identifiers)
        return changed


class FakeUnitOfWork(ports.UnitOfWork):
    """Behaves like a transaction: ``with`` starts from the committed state and leaving the
    block without ``commit`` (or calling ``rollback``) puts the committed state back, so
    uncommitted changes leave no trace, as in the database. The repositories stay readable
    between blocks (tests look at them); ``events`` holds what committed work published."""

    users: FakeUserRepository
    sessions: FakeSessionRepository
    refresh_tokens: FakeRefreshTokenRepository
    secrets: FakeOneTimeSecretRepository
    audit: FakeAuditLog
    mfa: FakeMfaRepository
    passkeys: FakePasskeyRepository
    erasures: FakeErasureRepository
    exports: FakeExportRepository
    identities: FakeIdentityRepository
    personal_data: FakePersonalData

    def __init__(self) -> None:
        self.users = FakeUserRepository()
        self.sessions = FakeSessionRepository()
        self.refresh_tokens = FakeRefreshTokenRepository()
        self.secrets = FakeOneTimeSecretRepository()
        self.audit = FakeAuditLog()
        self.mfa = FakeMfaRepository()
        self.passkeys = FakePasskeyRepository()
        self.erasures = FakeErasureRepository()
        self.exports = FakeExportRepository()
        self.identities = FakeIdentityRepository()
        self.personal_data = FakePersonalData(self)
        self.events: list[AuthEvent] = []
        self.commits = 0
        self._pending: list[AuthEvent] = []
        self._committed = self._copy_state()
        #: Told the users each commit changed, as ``SqlAlchemyAuthUnitOfWork`` tells its views.
        self.views: AccountViews | None = None

    def __enter__(self) -> Self:
        self._committed = self._copy_state()
        self._pending = []
        return self

    def publish(self, event: AuthEvent) -> None:
        self._pending.append(event)

    def commit(self) -> None:
        before, self._committed = self._committed, self._copy_state()
        if self.views is not None:
            users, sessions = _changed(before, self._committed)
            self.views.forget(users, sessions)
        self.events.extend(self._pending)
        self._pending = []
        self.commits += 1

    def rollback(self) -> None:
        # A copy, so a later rollback still finds the committed state untouched.
        state = copy.deepcopy(self._committed)
        users, sessions, tokens, secrets, audit, mfa, passkeys, erasures, exports, ids = state
        self.users.rows = users
        self.sessions.rows = sessions
        self.refresh_tokens.rows = tokens
        self.secrets.rows = secrets
        self.audit.entries = audit
        self.mfa.restore(mfa)
        self.passkeys.restore(passkeys)
        self.erasures.rows = erasures
        self.exports.rows = exports
        self.identities.rows = ids
        self._pending = []

    def _copy_state(self) -> _State:
        # One deepcopy for all repositories keeps objects they share shared in the copy.
        return copy.deepcopy(
            (
                self.users.rows,
                self.sessions.rows,
                self.refresh_tokens.rows,
                self.secrets.rows,
                self.audit.entries,
                self.mfa.state(),
                self.passkeys.state(),
                self.erasures.rows,
                self.exports.rows,
                self.identities.rows,
            )
        )


def _changed(before: _State, after: _State) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The users whose row or login sessions differ between two states (by value), and
    those login sessions."""
    changed = {
        user_id
        for user_id in before[0].keys() | after[0].keys()
        if _fields(before[0].get(user_id)) != _fields(after[0].get(user_id))
    }
    sessions = set()
    for session_id in before[1].keys() | after[1].keys():
        old, new = before[1].get(session_id), after[1].get(session_id)
        if _fields(old) != _fields(new):
            changed.update(s.user_id for s in (old, new) if s is not None)
            sessions.add(session_id)
    return changed, sessions


def _fields(row: Any) -> dict[str, Any] | None:
    return None if row is None else vars(row)


_State = tuple[
    dict[uuid.UUID, User],
    dict[uuid.UUID, LoginSession],
    dict[str, RefreshToken],
    list[OneTimeSecret],
    list[AuditEntry],
    tuple[Any, ...],
    tuple[Any, ...],
    dict[uuid.UUID, Erasure],
    dict[uuid.UUID, Export],
    list[Identity],
]


class FakePasswordHasher(ports.PasswordHasher):
    """Fast and obviously fake; ``version`` stands for the argon2 parameters in force."""

    def __init__(self, version: int = 1) -> None:
        self.version = version

    def hash(self, password: str) -> str:
        return f"fake:v{self.version}:{hashlib.sha256(password.encode()).hexdigest()}"

    def verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            return False
        digest = password_hash.rsplit(":", 1)[-1]
        return digest == hashlib.sha256(password.encode()).hexdigest()

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake:v{self.version}:")


class FakeAccessTokens(ports.AccessTokens):
    def __init__(self) -> None:
        self.claims: dict[str, dict[str, Any]] = {}
        self._counter = itertools.count(1)

    def issue(
        self, user: User, session_id: uuid.UUID, now: datetime, amr: Sequence[str] = ()
    ) -> ports.IssuedAccessToken:
        token = f"access-{next(self._counter)}"
        expires_at = now + timedelta(minutes=15)
        self.claims[token] = {
            "sub": str(user.id),
            "sid": str(session_id),
            "roles": list(user.roles),
            "amr": list(amr),
            "exp": int(expires_at.timestamp()),
        }
        return ports.IssuedAccessToken(token, expires_at)

    def decode(self, token: str) -> dict[str, Any]:
        if token not in self.claims:
            raise InvalidToken("unknown token")
        return self.claims[token]

    def principal(self, token: str) -> Principal:
        return principal_from_claims(self.decode(token))


class FakeThrottle(ports.Throttle):
    """Counts forever (no window); enough to prove a limit is applied to the right key."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def hit(self, name: str, key: str, limit: Limit) -> None:
        self.check(name, key, limit)
        self.counts[name, key] += 1

    def check(self, name: str, key: str, limit: Limit) -> None:
        if self.counts[name, key] >= limit.amount:
            raise Throttled(limit.seconds)

    def remaining(self, name: str, key: str, limit: Limit) -> int:
        return max(0, limit.amount - self.counts[name, key])

    def clear(self, name: str, key: str, limit: Limit) -> None:
        self.counts.pop((name, key), None)


class FakeOtpSmsMeter(ports.OtpSmsMeter):
    def __init__(self) -> None:
        self.sent_to: list[str] = []
        self.remaining_today: int | None = None
        self.refusals: list[str] = []

    def sent(self, region: str, remaining_today: int) -> None:
        self.sent_to.append(region)
        self.remaining_today = remaining_today

    def refused(self, reason: str) -> None:
        self.refusals.append(reason)
