"""The token verifier every service uses: EdDSA JWTs checked against auth's JWKS.

The key set is fetched once and cached (``PyJWKClient``); an unknown ``kid`` triggers one
refetch, at most once per ``refetch_cooldown`` seconds so random ``kid`` values cannot turn
every request into a JWKS download. The algorithm, issuer and audience are pinned: ``none``,
HS256 signed with the public key, and any other algorithm are refused before a key is used.

A client sends the same access token with every call for its lifetime, so each verifier
remembers the tokens it verified (``VerifiedTokens``) and skips parsing, the signature and
building the Principal for them; revocation is still checked on every call, by the verifier.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt

from keel_common.auth.principal import InvalidToken, Principal, TokenVerifier
from keel_common.auth.revocation import RevocationList

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "sid", "jti")
DEFAULT_LEEWAY = timedelta(seconds=30)


class JwksTokenVerifier(TokenVerifier):
    """Verifies access tokens locally; one revocation lookup per token, no call to auth."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        revocations: RevocationList,
        *,
        leeway: timedelta = DEFAULT_LEEWAY,
        jwks_lifespan: float = 300.0,
        refetch_cooldown: float = 5.0,
        timeout: float = 5.0,
        jwks_client: jwt.PyJWKClient | None = None,
    ) -> None:
        self._jwks = jwks_client or jwt.PyJWKClient(
            jwks_url,
            lifespan=jwks_lifespan,
            cooldown_duration=refetch_cooldown,
            timeout=timeout,
        )
        self._issuer = issuer
        self._audience = audience
        self._revocations = revocations
        self._leeway = leeway
        self._verified = VerifiedTokens()

    def verify(self, token: str) -> Principal:
        principal = self._verified.principal_or_decode(
            token, self._key_for, self._leeway, self._decode
        )
        if self._revocations.is_revoked(principal.session_id):
            raise InvalidToken("session revoked")
        return principal

    def _decode(self, token: str) -> dict[str, Any]:
        return decode_access_token(
            token,
            self._key_for,
            issuer=self._issuer,
            audience=self._audience,
            leeway=self._leeway,
            verified=self._verified,
        )

    def _key_for(self, kid: str) -> Any:
        try:
            return self._jwks.get_signing_key(kid).key
        except jwt.PyJWKClientConnectionError:
            raise  # auth unreachable: a server-side failure, not the caller's fault
        except jwt.PyJWKClientError:
            return None


ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
ACCESS_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYPE, "application/at+jwt"})


class VerifiedTokens:
    """Tokens verified by this process and their claims, at most ``size`` (the oldest go
    first), the way Envoy's jwt_authn caches verified JWTs.

    Keyed by the whole token, signature included, so only the exact bytes that passed can
    hit. A hit is refused once ``exp`` has passed (the one check whose outcome changes with
    time: ``nbf`` and ``iat`` only get truer) or when ``key_for`` no longer returns the key
    that verified it (a withdrawn key stops its tokens at once). Revocation is not cached.
    """

    def __init__(self, size: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self._size = size
        self._clock = clock
        self._entries: dict[str, _Verified] = {}
        self._lock = threading.Lock()

    def get(
        self, token: str, key_for: Callable[[str], Any], leeway: timedelta
    ) -> dict[str, Any] | None:
        entry = self._entry(token, key_for, leeway)
        return None if entry is None else dict(entry.claims)

    def principal(
        self, token: str, key_for: Callable[[str], Any], leeway: timedelta
    ) -> Principal | None:
        """The Principal of a remembered token (``principal_from_claims``, built once: it
        is immutable), under the same checks as ``get``; None when ``get`` would be."""
        entry = self._entry(token, key_for, leeway)
        if entry is None:
            return None
        if entry.principal is None:
            entry.principal = principal_from_claims(entry.claims)
        return entry.principal

    def principal_or_decode(
        self,
        token: str,
        key_for: Callable[[str], Any],
        leeway: timedelta,
        decode: Callable[[str], dict[str, Any]],
    ) -> Principal:
        """``principal`` of a remembered token; otherwise ``decode`` verifies it (raising if
        it is not valid) and, as it remembers it, its Principal is built from there once."""
        remembered = self.principal(token, key_for, leeway)
        if remembered is None:
            claims = decode(token)
            remembered = self.principal(token, key_for, leeway) or principal_from_claims(claims)
        return remembered

    def put(self, token: str, kid: str, key: Any, claims: dict[str, Any]) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                del self._entries[next(iter(self._entries))]
            self._entries[token] = _Verified(kid, key, dict(claims))

    def _entry(
        self, token: str, key_for: Callable[[str], Any], leeway: timedelta
    ) -> _Verified | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry.exp <= self._clock() - leeway.total_seconds() or key_for(entry.kid) != entry.key:
            with self._lock:
                self._entries.pop(token, None)
            return None
        return entry


class _Verified:
    """A verified token's claims (never handed out: ``get`` copies them) and its Principal."""

    __slots__ = ("claims", "exp", "key", "kid", "principal")

    def __init__(self, kid: str, key: Any, claims: dict[str, Any]) -> None:
        self.kid, self.key, self.claims, self.exp = kid, key, claims, claims["exp"]
        self.principal: Principal | None = None


def decode_access_token(
    token: str,
    key_for: Callable[[str], Any],
    *,
    issuer: str,
    audience: str,
    leeway: timedelta = DEFAULT_LEEWAY,
    verified: VerifiedTokens | None = None,
) -> dict[str, Any]:
    """The verified claims of a keel-auth access token, or ``InvalidToken``.

    ``key_for(kid)`` returns the public key of ``kid`` or None. Only ``EdDSA`` is accepted,
    and checked before any key is looked up, so ``none`` and HMAC-with-the-public-key tokens
    never reach a verification routine. With ``verified``, a token verified before is
    answered from it (see ``VerifiedTokens``) and a newly verified one is added.
    """
    if verified is not None and (remembered := verified.get(token, key_for, leeway)) is not None:
        return remembered
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise InvalidToken("unexpected algorithm or missing kid")
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        # RFC 8725 section 3.11 / RFC 9068: only a token typed as an access token is one, so
        # no other JWT signed with these keys (an ID token, a link token) can pass for it.
        raise InvalidToken("not an access token (typ)")
    key = key_for(kid)
    if key is None:
        raise InvalidToken("unknown signing key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from exc
    if verified is not None:
        verified.put(token, kid, key, claims)
    return claims


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The Principal of already verified claims; malformed values make the token invalid."""
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("malformed roles claim")
    amr = claims.get("amr", [])
    if not isinstance(amr, list) or not all(isinstance(method, str) for method in amr):
        raise InvalidToken("malformed amr claim")
    try:
        return Principal(
            user_id=uuid.UUID(str(claims["sub"])),
            roles=frozenset(roles),
            session_id=uuid.UUID(str(claims["sid"])),
            amr=frozenset(amr),
        )
    except (KeyError, ValueError) as exc:
        raise InvalidToken("malformed subject or session claim") from exc
