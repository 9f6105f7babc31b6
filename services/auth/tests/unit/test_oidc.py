"""Sign-in with OpenID Connect, with fakes: the JWKS refresh bound, the claims rules, Apple's
client secret, the provider settings. No sockets."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from keel_auth.adapters.oidc import JwksCache, apple_client_secret
from keel_auth.adapters.oidc_config import provider_configs
from keel_auth.config import AuthSettings
from keel_auth.domain.oidc import IdentityClaims, apple_name, nonce_matches
from keel_common.settings import ConfigError
from keel_common.testing import ManualClock

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


def test_an_unknown_kid_refetches_the_jwks_at_most_once_per_interval() -> None:
    fetches: list[int] = []
    clock = ManualClock()

    def fetch() -> dict[str, Any]:
        fetches.append(1)
        return {"keys": [{"kid": "a", "kty": "RSA"}] + ([{"kid": "b"}] if len(fetches) > 2 else [])}

    cache = JwksCache(fetch, min_refresh=60, monotonic=clock)
    assert cache.get("a") == {"kid": "a", "kty": "RSA"}
    for _ in range(50):  # forged kids
        assert cache.get("forged") is None
    assert len(fetches) == 1
    clock.now += 60
    assert cache.get("forged") is None and len(fetches) == 2
    clock.now += 60
    assert cache.get("b") == {"kid": "b"} and len(fetches) == 3
    assert cache.get("a") is not None and len(fetches) == 3


def test_a_token_without_kid_uses_only_a_sole_key() -> None:
    one = JwksCache(lambda: {"keys": [{"kid": "a"}]}, 60, ManualClock())
    two = JwksCache(lambda: {"keys": [{"kid": "a"}, {"kid": "b"}]}, 60, ManualClock())
    assert one.get(None) == {"kid": "a"}
    assert two.get(None) is None


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),
        ({"email_verified": "TRUE"}, True),
        ({"email_verified": False}, False),
        ({"email_verified": "false"}, False),
        ({"email_verified": 1}, False),
        ({}, False),
        ({"is_private_email": "true"}, True),
        ({"is_private_email": True, "email_verified": "false"}, True),
    ],
)
def test_only_a_vouched_email_counts_as_verified(claims: dict[str, Any], verified: bool) -> None:
    parsed = IdentityClaims.of("p", {"sub": "s", "email": "A@Example.com", **claims}, EXPIRES)
    assert parsed.email_verified is verified
    assert parsed.email == "a@example.com"


def test_apple_nonce_is_the_sha256_of_the_apps_nonce() -> None:
    hashed = hashlib.sha256(b"raw-nonce").hexdigest()
    apple = IdentityClaims.of("apple", {"sub": "s", "nonce": hashed}, EXPIRES)
    plain = IdentityClaims.of("p", {"sub": "s", "nonce": "raw-nonce"}, EXPIRES)
    assert nonce_matches(apple, "raw-nonce", hashed=True)
    assert not nonce_matches(apple, "raw-nonce", hashed=False)
    assert nonce_matches(plain, "raw-nonce", hashed=False)
    assert not nonce_matches(plain, "raw-nonce", hashed=True)
    assert not nonce_matches(IdentityClaims.of("p", {"sub": "s"}, EXPIRES), "", hashed=False)


def test_apples_first_sign_in_name_is_read_from_its_user_field() -> None:
    user = json.dumps({"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": "x@y.z"})
    assert apple_name(user) == "Ada Lovelace"
    assert apple_name("not json") is None
    assert apple_name(None) is None


def _apple_settings(key_pem: str | None) -> AuthSettings:
    providers = {"apple": {"client_ids": ["com.example.web"], "team_id": "T", "key_id": "K"}}
    return AuthSettings(
        oidc_providers=json.dumps(providers),
        oidc_apple_private_key=key_pem,
        oidc_redirect_uris="https://app.example.com/a, https://app.example.com/b",
    )


def test_apple_client_secret_is_a_short_lived_es256_jwt_of_the_team_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    config = provider_configs(_apple_settings(pem))["apple"]
    assert config.issuer == "https://appleid.apple.com" and config.nonce_hashed
    assert config.redirect_uris == {"https://app.example.com/a", "https://app.example.com/b"}
    assert pem not in repr(config)

    secret = apple_client_secret(config, 1_800_000_000)

    assert jwt.get_unverified_header(secret) == {"alg": "ES256", "kid": "K", "typ": "JWT"}
    claims = jwt.decode(
        secret,
        key.public_key(),
        algorithms=["ES256"],
        audience="https://appleid.apple.com",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert (claims["iss"], claims["sub"], claims["exp"] - claims["iat"]) == (
        "T",
        "com.example.web",
        300,
    )


def test_apple_without_its_key_and_a_provider_without_client_ids_are_refused() -> None:
    with pytest.raises(ConfigError, match="OIDC_APPLE_PRIVATE_KEY"):
        provider_configs(_apple_settings(None))
    with pytest.raises(ConfigError, match="OIDC_PROVIDERS"):
        provider_configs(AuthSettings(oidc_providers='{"corp": {"issuer": "https://x"}}'))
    with pytest.raises(ConfigError, match="OIDC_CLIENT_SECRETS"):
        provider_configs(AuthSettings(oidc_client_secrets="not json"))
