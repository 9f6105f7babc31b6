"""The identity providers over HTTP: discovery, JWKS (cached, refetched on an unknown key id
at most once per interval), ID-token verification, authorization URLs and code redemption.

Verification pins what RFC 8725 asks: an allowlist of asymmetric algorithms (never ``none``,
never HMAC, so a public key cannot be used as a shared secret), the key's own ``alg`` when it
names one, the configured issuers and audiences, and ``exp``/``iat`` with a small leeway."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

from keel_auth.adapters.oidc_config import ProviderConfig
from keel_auth.domain.oidc import (
    IdentityClaims,
    InvalidIdToken,
    ProviderUnavailable,
    UnknownProvider,
)
from keel_auth.service_layer.oidc_ports import IdentityProviders

ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
LEEWAY_SECONDS = 60
DISCOVERY_TTL_SECONDS = 3600.0
APPLE_SECRET_TTL_SECONDS = 300
TIMEOUT = 5.0


class JwksCache:
    """One provider's signing keys by ``kid``; an unknown ``kid`` refetches them, but not
    more often than ``min_refresh`` seconds."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        min_refresh: float,
        monotonic: Callable[[], float],
    ) -> None:
        self._fetch = fetch
        self._min_refresh = min_refresh
        self._monotonic = monotonic
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def get(self, kid: str | None) -> dict[str, Any] | None:
        """The key named ``kid``; without a ``kid`` (RFC 7515 allows it) only a sole key."""
        with self._lock:
            if (kid is None and self._fetched_at is None) or (
                kid is not None and kid not in self._keys and self._may_refresh()
            ):
                self._fetched_at = self._monotonic()
                self._keys = {
                    str(key.get("kid")): key
                    for key in self._fetch().get("keys", [])
                    if isinstance(key, dict)
                }
            if kid is None:
                return next(iter(self._keys.values())) if len(self._keys) == 1 else None
            return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or (
            self._monotonic() - self._fetched_at >= self._min_refresh
        )


class HttpIdentityProviders(IdentityProviders):
    def __init__(
        self,
        configs: dict[str, ProviderConfig],
        callback_base_url: str,
        min_jwks_refresh: float,
        http: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configs = configs
        self._callback_base = callback_base_url.rstrip("/")
        self._min_refresh = min_jwks_refresh
        self._http = http or requests.Session()
        self._monotonic = monotonic
        self._discovery: dict[str, tuple[float, dict[str, Any]]] = {}
        self._jwks: dict[str, JwksCache] = {}
        self._lock = threading.Lock()

    def config(self, provider: str) -> ProviderConfig:
        try:
            return self._configs[provider]
        except KeyError:
            raise UnknownProvider(f"no provider named {provider!r}") from None

    def nonce_hashed(self, provider: str) -> bool:
        return self.config(provider).nonce_hashed

    def redirect_allowed(self, provider: str, redirect_uri: str) -> bool:
        return redirect_uri in self.config(provider).redirect_uris

    def callback_url(self, provider: str) -> str:
        return f"{self._callback_base}/v1/auth/oidc/{provider}/callback"

    def verify_id_token(self, provider: str, id_token: str) -> IdentityClaims:
        config = self.config(provider)
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise InvalidIdToken("not a signed JWT") from exc
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS or not isinstance(kid, str | None):
            raise InvalidIdToken("unsupported algorithm")
        jwk = self._keys(config).get(kid)
        if jwk is None or jwk.get("alg", algorithm) != algorithm:
            raise InvalidIdToken("unknown signing key")
        try:  # a key the algorithm cannot use is refused like a bad signature
            claims = jwt.decode(
                id_token,
                jwt.PyJWK(jwk, algorithm=algorithm).key,
                algorithms=[algorithm],
                audience=list(config.client_ids),
                issuer=list(config.accepted_issuers),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidIdToken(f"ID token refused: {type(exc).__name__}") from exc
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        return IdentityClaims.of(provider, claims, expires_at)

    def authorization_url(self, provider: str, state: str, nonce: str, code_challenge: str) -> str:
        config = self.config(provider)
        query = {
            "response_type": "code",
            "client_id": config.web_client_id,
            "redirect_uri": self.callback_url(provider),
            "scope": config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            **({"response_mode": config.response_mode} if config.response_mode else {}),
        }
        endpoint = str(self._document(config)["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}"

    def redeem_code(self, provider: str, code: str, code_verifier: str) -> str:
        config = self.config(provider)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback_url(provider),
            "code_verifier": code_verifier,
        }
        basic = None
        if config.token_auth == "client_secret_basic":  # noqa: S105 - a method name
            basic = (config.web_client_id, config.client_secret or "")
        else:
            form["client_id"] = config.web_client_id
        if config.token_auth == "client_secret_post":  # noqa: S105
            form["client_secret"] = config.client_secret or ""
        elif config.token_auth == "apple_jwt":  # noqa: S105
            form["client_secret"] = apple_client_secret(config, int(time.time()))
        endpoint = str(self._document(config)["token_endpoint"])
        response = self._http.post(endpoint, data=form, auth=basic, timeout=TIMEOUT)
        id_token = response.json().get("id_token") if response.ok else None
        if not isinstance(id_token, str):
            raise InvalidIdToken(f"the provider refused the code ({response.status_code})")
        return id_token

    def _document(self, config: ProviderConfig) -> dict[str, Any]:
        with self._lock:
            cached = self._discovery.get(config.name)
            if cached and self._monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
                return cached[1]
        document = self._get_json(config.discovery_url)
        if document.get("issuer", "").rstrip("/") not in config.accepted_issuers:
            raise ProviderUnavailable("the discovery document names another issuer")
        with self._lock:
            self._discovery[config.name] = (self._monotonic(), document)
        return document

    def _keys(self, config: ProviderConfig) -> JwksCache:
        with self._lock:
            cache = self._jwks.get(config.name)
        if cache is None:
            cache = JwksCache(
                lambda: self._get_json(str(self._document(config)["jwks_uri"])),
                self._min_refresh,
                self._monotonic,
            )
            with self._lock:
                cache = self._jwks.setdefault(config.name, cache)
        return cache

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable("the provider cannot be reached") from exc
        if not isinstance(document, dict):
            raise ProviderUnavailable("the provider answered something else than JSON")
        return document


def apple_client_secret(config: ProviderConfig, now: int) -> str:
    """Apple's client secret: a short-lived ES256 JWT signed with the team's key."""
    claims = {
        "iss": config.apple_team_id,
        "iat": now,
        "exp": now + APPLE_SECRET_TTL_SECONDS,
        "aud": config.issuer,
        "sub": config.web_client_id,
    }
    headers = {"kid": config.apple_key_id}
    return jwt.encode(claims, config.apple_private_key or "", algorithm="ES256", headers=headers)
