"""Who is calling: the Principal a verified access token stands for, and the verifier port.

Every service authenticates requests the same way: a ``TokenVerifier`` turns the bearer
token into a ``Principal`` or raises ``InvalidToken``. Production code uses
``JwksTokenVerifier``; unit tests use ``FakeTokenVerifier`` and open no sockets.
"""

from __future__ import annotations

import abc
import secrets
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or revoked.

    The message is for logs and never contains the token itself; callers answer with one
    undifferentiated 401 / UNAUTHENTICATED so an attacker learns nothing from the reason.
    """


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the user's public id, roles and login session, and how the
    session was signed in (``amr``, RFC 8176 method names; ``"mfa"`` when two factors)."""

    user_id: uuid.UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    session_id: uuid.UUID = field(default_factory=uuid.uuid4)
    amr: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class TokenVerifier(abc.ABC):
    """Checks a bearer access token and says who it belongs to."""

    @abc.abstractmethod
    def verify(self, token: str) -> Principal:
        """Return the token's Principal, or raise ``InvalidToken``.

        Implementations must reject forged, expired, wrongly addressed and revoked tokens.
        """


class FakeTokenVerifier(TokenVerifier):
    """In-memory verifier for unit tests: tokens are random strings mapped to principals."""

    def __init__(self) -> None:
        self._principals: dict[str, Principal] = {}
        self._revoked_sessions: set[uuid.UUID] = set()

    def issue(
        self,
        user_id: uuid.UUID | None = None,
        roles: Iterable[str] = (),
        session_id: uuid.UUID | None = None,
        amr: Iterable[str] = (),
    ) -> str:
        """A new token that verifies to a Principal with these values (random ids if omitted)."""
        principal = Principal(
            user_id=user_id or uuid.uuid4(),
            roles=frozenset(roles),
            session_id=session_id or uuid.uuid4(),
            amr=frozenset(amr),
        )
        token = secrets.token_urlsafe(16)
        self._principals[token] = principal
        return token

    def revoke(self, session_id: uuid.UUID) -> None:
        """Make every token of this session fail from now on."""
        self._revoked_sessions.add(session_id)

    def verify(self, token: str) -> Principal:
        principal = self._principals.get(token)
        if principal is None:
            raise InvalidToken("unknown token")
        if principal.session_id in self._revoked_sessions:
            raise InvalidToken("session revoked")
        return principal


class RevocationList(abc.ABC):
    """Sessions whose tokens must stop working before they expire."""

    @abc.abstractmethod
    def revoke(self, session_id: uuid.UUID, until: datetime) -> None:
        """Deny the session's tokens until ``until`` (when its last access token expires)."""

    def revoke_many(self, session_ids: Collection[uuid.UUID], until: datetime) -> None:
        """``revoke`` each of them ("sign out everywhere" ends every session of an account):
        a list on a server writes them all in one round trip."""
        for session_id in session_ids:
            self.revoke(session_id, until)

    @abc.abstractmethod
    def is_revoked(self, session_id: uuid.UUID) -> bool:
        """True when the session was revoked and the entry has not expired."""
