"""Token signing keys (Ed25519) kept in the auth database, and the JWTs they sign.

Rotation: ``rotate`` adds a key that starts signing ``publish_ahead`` later, so every
verifier's cached JWKS already holds it when the first token signed with it arrives. A key
stays in the JWKS until the last token it signed has expired, then ``prune`` deletes it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import zip_longest
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy.engine import Engine

from keel_auth.adapters.orm import signing_keys
from keel_auth.domain.model import User
from keel_auth.service_layer import ports
from keel_common.auth import (
    ACCESS_TOKEN_TYPE,
    ALGORITHM,
    DEFAULT_LEEWAY,
    InvalidToken,
    Principal,
    RevocationList,
    TokenVerifier,
    VerifiedTokens,
    decode_access_token,
)
from keel_common.clock import Clock
from keel_common.db import write_lock_on_sqlite


def _lock_signing_keys(conn: sa.Connection) -> None:
    """Hold the table's write lock until the transaction ends (on SQLite, the database's:
    Python's sqlite3 would only take it at the first write, after the check)."""
    if conn.dialect.name == "postgresql":
        # Conflicts with itself and with writers, not with readers (a JWKS read goes on).
        conn.execute(sa.text("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE"))
    write_lock_on_sqlite(conn)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    signs_from: datetime
    #: Derived once when the key is loaded: every verification asks for it.
    public_key: Ed25519PublicKey
    #: When it leaves the JWKS: once its successor signs, its tokens live one lifetime more.
    #: None for the newest key. Set by ``SigningKeyStore`` as it loads the keys in order.
    retires_at: datetime | None = None


class SigningKeyStore:
    """The keys in the database, cached in memory and re-read every ``refresh_seconds``."""

    def __init__(
        self,
        engine: Engine,
        passphrase: bytes | None,
        clock: Clock,
        token_lifetime: timedelta,
        refresh_seconds: float = 30.0,
    ) -> None:
        self._engine = engine
        self._passphrase = passphrase
        self._clock = clock
        # How long after it stops signing a key must still verify (and be published).
        self._lifetime = token_lifetime + DEFAULT_LEEWAY
        self._refresh_seconds = refresh_seconds
        self._keys: list[SigningKey] = []
        self._by_kid: dict[str, SigningKey] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def ensure_key(self) -> None:
        """Create the first key if there is none (a new installation).

        Every web worker and gRPC server calls this as it starts, all at once on a fresh
        database. Unserialized, each created a key of its own, and a process that had
        loaded the keys before another's commit left that key out of its JWKS until its
        next refresh: tokens signed with it were refused by verifiers that fetched there
        meanwhile. The check and the insert therefore run under one table lock."""
        if self._load(force=True):
            return
        with self._engine.begin() as conn:
            _lock_signing_keys(conn)
            if conn.execute(sa.select(signing_keys.c.pk).limit(1)).first() is None:
                self._insert(conn, self._clock())
        self._load(force=True)

    def add_key(self, signs_from: datetime) -> str:
        with self._engine.begin() as conn:
            kid = self._insert(conn, signs_from)
        self._load(force=True)
        return kid

    def _insert(self, conn: sa.Connection, signs_from: datetime) -> str:
        key = Ed25519PrivateKey.generate()
        kid = uuid.uuid4().hex
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(self._passphrase)
            if self._passphrase
            else serialization.NoEncryption()
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        conn.execute(
            sa.insert(signing_keys).values(
                id=uuid.uuid4(),
                kid=kid,
                private_key_pem=pem.decode(),
                signs_from=signs_from,
                created_at=self._clock(),
                updated_at=self._clock(),
            )
        )
        return kid

    def rotate(self, publish_ahead: timedelta = timedelta(minutes=10)) -> str:
        return self.add_key(self._clock() + publish_ahead)

    def prune(self) -> int:
        """Delete keys no unexpired token can have been signed with; returns how many."""
        now = self._clock()
        retired = [k.kid for k in self._load(force=True) if not self._published(k, now)]
        if retired:
            with self._engine.begin() as conn:
                conn.execute(sa.delete(signing_keys).where(signing_keys.c.kid.in_(retired)))
            self._load(force=True)
        return len(retired)

    def current(self) -> SigningKey:
        now = self._clock()
        active = [k for k in self._load() if k.signs_from <= now]
        if not active:
            raise RuntimeError("no signing key: run `keel-auth migrate` then start the service")
        return active[-1]

    def public_key(self, kid: str) -> Any:
        key = self._find(kid)
        if key is None and time.monotonic() - self._loaded_at > 1.0:
            # A key another process just added; at most one extra read per second, so random
            # kids in forged tokens cannot turn into a database query each.
            self._load(force=True)
            key = self._find(kid)
        return key.public_key if key else None

    def _find(self, kid: str) -> SigningKey | None:
        self._load()
        key = self._by_kid.get(kid)
        return key if key is not None and self._published(key, self._clock()) else None

    def jwks(self) -> dict[str, Any]:
        now = self._clock()
        keys = []
        for key in self._load():
            if self._published(key, now):
                jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key))
                keys.append({**jwk, "kid": key.kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": keys}

    def _published(self, key: SigningKey, now: datetime) -> bool:
        """Signing now or soon, or stopped signing (a successor took over) recently enough
        that tokens it signed may still be alive."""
        return key.retires_at is None or now < key.retires_at

    def _load(self, force: bool = False) -> list[SigningKey]:
        if not force and time.monotonic() - self._loaded_at <= self._refresh_seconds:
            return self._keys  # every verification passes here: no lock while fresh
        with self._lock:
            if force or time.monotonic() - self._loaded_at > self._refresh_seconds:
                with self._engine.connect() as conn:
                    rows = conn.execute(
                        sa.select(signing_keys).order_by(
                            signing_keys.c.signs_from, signing_keys.c.pk
                        )
                    ).all()
                keys = [self._decrypt(row) for row in rows]
                # In signing order, a key's successor is the next one: it retires a
                # lifetime after that one starts (and is published until then).
                self._keys = [
                    replace(key, retires_at=after.signs_from + self._lifetime if after else None)
                    for key, after in zip_longest(keys, keys[1:])
                ]
                self._by_kid = {key.kid: key for key in self._keys}
                self._loaded_at = time.monotonic()
            return self._keys

    def _decrypt(self, row: Any) -> SigningKey:
        key = serialization.load_pem_private_key(
            row.private_key_pem.encode(), password=self._passphrase
        )
        if not isinstance(key, Ed25519PrivateKey):
            raise TypeError(f"signing key {row.kid} is not Ed25519")
        return SigningKey(row.kid, key, row.signs_from, key.public_key())


class JwtAccessTokens(ports.AccessTokens):
    """Access tokens: EdDSA JWTs with kid, iss, aud, sub, sid, roles, amr, iat, exp, jti."""

    def __init__(self, keys: SigningKeyStore, issuer: str, audience: str, ttl: timedelta):
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._verified = VerifiedTokens()

    def issue(
        self, user: User, session_id: uuid.UUID, now: datetime, amr: Sequence[str] = ()
    ) -> ports.IssuedAccessToken:
        key = self._keys.current()
        expires_at = now.replace(microsecond=0) + self._ttl
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user.id),
            "sid": str(session_id),
            "roles": list(user.roles),
            "amr": list(amr),  # RFC 8176: how the session was signed in
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}  # RFC 9068 / RFC 8725
        token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)
        return ports.IssuedAccessToken(token, expires_at)

    def decode(self, token: str) -> dict[str, Any]:
        return decode_access_token(
            token,
            self._keys.public_key,
            issuer=self._issuer,
            audience=self._audience,
            verified=self._verified,
        )

    def principal(self, token: str) -> Principal:
        # Built once per remembered token (``VerifiedTokens.principal``), not on every call.
        return self._verified.principal_or_decode(
            token, self._keys.public_key, DEFAULT_LEEWAY, self.decode
        )


class LocalTokenVerifier(TokenVerifier):
    """Auth verifies its own tokens with the keys it holds, plus the shared denylist unless
    ``revocations`` is None (for a use case that reads the session's row itself)."""

    def __init__(self, tokens: ports.AccessTokens, revocations: RevocationList | None) -> None:
        self._tokens = tokens
        self._revocations = revocations

    def verify(self, token: str) -> Principal:
        principal = self._tokens.principal(token)
        if self._revocations is not None and self._revocations.is_revoked(principal.session_id):
            raise InvalidToken("session revoked")
        return principal
