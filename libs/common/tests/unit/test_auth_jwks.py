"""The shared token verifier refuses every forged, misaddressed, stale or revoked token."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keel_common.auth import (
    DEFAULT_LEEWAY,
    InMemoryRevocationList,
    InvalidToken,
    JwksTokenVerifier,
    VerifiedTokens,
    decode_access_token,
)
from keel_common.auth.testing import SigningKeys, StaticJwksClient


@pytest.fixture
def keys() -> SigningKeys:
    return SigningKeys()


@pytest.fixture
def revocations() -> InMemoryRevocationList:
    return InMemoryRevocationList()


@pytest.fixture
def jwks(keys: SigningKeys) -> StaticJwksClient:
    return StaticJwksClient(keys, cooldown_duration=5)


@pytest.fixture
def verifier(jwks: StaticJwksClient, revocations: InMemoryRevocationList) -> JwksTokenVerifier:
    return JwksTokenVerifier("http://unused", "keel-auth", "keel", revocations, jwks_client=jwks)


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_valid_token_gives_its_principal(keys: SigningKeys, verifier: JwksTokenVerifier) -> None:
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    token = keys.token(user_id=user_id, roles=["admin", "user"], session_id=session_id)

    principal = verifier.verify(token)

    assert principal.user_id == user_id
    assert principal.session_id == session_id
    assert principal.roles == {"admin", "user"}
    assert principal.is_admin


def test_alg_none_is_refused(keys: SigningKeys, verifier: JwksTokenVerifier) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": keys.current_kid}
    token = f"{b64(header)}.{b64(keys.claims())}."
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier
) -> None:
    """Algorithm confusion: the attacker knows the public key and uses it as an HMAC secret."""
    public_x = keys.jwks()["keys"][0]["x"]
    header = {"alg": "HS256", "typ": "JWT", "kid": keys.current_kid}
    signing_input = f"{b64(header)}.{b64(keys.claims(roles=['admin']))}"
    for secret in (public_x.encode(), base64.urlsafe_b64decode(public_x + "=")):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        with pytest.raises(InvalidToken):
            verifier.verify(f"{signing_input}.{b64(mac)}")


def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier
) -> None:
    forger = SigningKeys()
    token = jwt.encode(
        keys.claims(), forger.keys[forger.current_kid], algorithm="EdDSA",
        headers={"kid": keys.current_kid, "typ": "at+jwt"},
    )  # fmt: skip
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_token_not_typed_at_jwt_is_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier
) -> None:
    """RFC 8725 3.11: another JWT signed with the same keys cannot pass for an access token."""
    kid = keys.current_kid
    token = jwt.encode(keys.claims(), keys.keys[kid], algorithm="EdDSA", headers={"kid": kid})
    assert jwt.get_unverified_header(token)["typ"] == "JWT"
    with pytest.raises(InvalidToken):
        verifier.verify(token)
    assert verifier.verify(keys.token())  # the same claims typed at+jwt pass


def test_a_tampered_payload_is_refused(keys: SigningKeys, verifier: JwksTokenVerifier) -> None:
    header, _, signature = keys.token().split(".")
    promoted = b64(keys.claims(roles=["admin"]))
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{promoted}.{signature}")


def test_an_unknown_kid_is_refused(keys: SigningKeys, verifier: JwksTokenVerifier) -> None:
    forger = SigningKeys()
    with pytest.raises(InvalidToken):
        verifier.verify(forger.token())


@pytest.mark.parametrize(("claim", "value"), [("iss", "someone-else"), ("aud", "another-audience")])
def test_wrong_issuer_or_audience_is_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier, claim: str, value: str
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(keys.sign({**keys.claims(), claim: value}))


@pytest.mark.parametrize("claim", ["exp", "sub", "sid", "iss", "aud", "jti", "iat"])
def test_a_token_missing_a_required_claim_is_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier, claim: str
) -> None:
    claims = keys.claims()
    del claims[claim]
    with pytest.raises(InvalidToken):
        verifier.verify(keys.sign(claims))


def test_an_expired_token_is_refused(keys: SigningKeys, verifier: JwksTokenVerifier) -> None:
    claims = {**keys.claims(), "exp": int(time.time()) - 60}
    with pytest.raises(InvalidToken):
        verifier.verify(keys.sign(claims))


def test_a_small_clock_skew_is_tolerated(keys: SigningKeys, verifier: JwksTokenVerifier) -> None:
    claims = {**keys.claims(), "exp": int(time.time()) - 5}
    assert verifier.verify(keys.sign(claims))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z", "é.é.é"])
def test_garbage_is_refused(verifier: JwksTokenVerifier, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(garbage)


@pytest.mark.parametrize(
    ("claim", "value"), [("sub", "not-a-uuid"), ("sid", 42), ("roles", "admin")]
)
def test_malformed_claims_are_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier, claim: str, value: object
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(keys.sign({**keys.claims(), claim: value}))


def test_a_revoked_session_is_refused(
    keys: SigningKeys, verifier: JwksTokenVerifier, revocations: InMemoryRevocationList
) -> None:
    session_id = uuid.uuid4()
    token = keys.token(session_id=session_id)
    verifier.verify(token)

    revocations.revoke(session_id, datetime.now(UTC) + timedelta(minutes=16))

    with pytest.raises(InvalidToken):
        verifier.verify(token)
    assert verifier.verify(keys.token())  # other sessions are unaffected


def test_after_rotation_old_and_new_keys_verify(
    keys: SigningKeys, verifier: JwksTokenVerifier, jwks: StaticJwksClient
) -> None:
    old_token = keys.token()
    verifier.verify(old_token)  # JWKS now cached with the old key only
    jwks._last_successful_fetch = time.monotonic() - 10  # the refetch cooldown has passed

    keys.rotate()
    new_token = keys.token()

    assert verifier.verify(new_token)  # unknown kid: the JWKS was fetched again
    assert verifier.verify(old_token)
    assert jwks.fetches == 2


def test_unknown_kids_cannot_force_a_download_per_request(
    keys: SigningKeys, verifier: JwksTokenVerifier, jwks: StaticJwksClient
) -> None:
    verifier.verify(keys.token())
    for _ in range(20):
        with pytest.raises(InvalidToken):
            verifier.verify(SigningKeys().token())
    assert jwks.fetches == 1


def test_a_token_verified_once_is_not_parsed_or_checked_again(
    keys: SigningKeys, verifier: JwksTokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = keys.token()
    first = verifier.verify(token)
    decoded = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append(1) or decode(*a, **k))

    assert verifier.verify(token) == first
    assert decoded == []
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):  # only the exact token is remembered
        verifier.verify(tampered)
    assert decoded == [1]


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    keys, now = SigningKeys(), [time.time()]
    verified = VerifiedTokens(clock=lambda: now[0])
    token = keys.sign({**keys.claims(), "exp": int(now[0]) + 60})
    key_for = keys.keys[keys.current_kid].public_key
    args = {"issuer": "keel-auth", "audience": "keel", "verified": verified}
    assert decode_access_token(token, lambda _: key_for(), **args)["exp"] == int(now[0]) + 60

    now[0] += 60 + DEFAULT_LEEWAY.total_seconds()

    assert verified.get(token, lambda _: key_for(), DEFAULT_LEEWAY) is None


def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(keys: SigningKeys) -> None:
    verified = VerifiedTokens()
    token = keys.token()
    public = keys.keys[keys.current_kid].public_key()
    args = {"issuer": "keel-auth", "audience": "keel", "verified": verified}
    assert decode_access_token(token, lambda _: public, **args)

    with pytest.raises(InvalidToken):
        decode_access_token(token, lambda _: None, **args)
    with pytest.raises(InvalidToken):  # a different key under the same kid
        decode_access_token(token, lambda _: Ed25519PrivateKey.generate().public_key(), **args)


def test_a_remembered_tokens_principal_is_built_once(
    keys: SigningKeys, verifier: JwksTokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keel_common.auth import jwks as module

    token = keys.token(roles=["seller"])
    built = []
    build = module.principal_from_claims
    monkeypatch.setattr(module, "principal_from_claims", lambda c: built.append(1) or build(c))

    first = verifier.verify(token)
    assert [verifier.verify(token) for _ in range(3)] == [first] * 3
    assert built == [1]
    assert first.roles == {"seller"}


def test_a_remembered_principal_is_refused_once_its_token_expires() -> None:
    keys, now = SigningKeys(), [time.time()]
    verified = VerifiedTokens(clock=lambda: now[0])
    token = keys.sign({**keys.claims(), "exp": int(now[0]) + 60})
    key = keys.keys[keys.current_kid].public_key()
    decode_access_token(
        token, lambda _: key, issuer="keel-auth", audience="keel", verified=verified
    )
    assert verified.principal(token, lambda _: key, DEFAULT_LEEWAY) is not None

    now[0] += 60 + DEFAULT_LEEWAY.total_seconds()

    assert verified.principal(token, lambda _: key, DEFAULT_LEEWAY) is None


def test_a_remembered_principal_is_refused_once_its_key_is_withdrawn(keys: SigningKeys) -> None:
    verified = VerifiedTokens()
    token = keys.token()
    key = keys.keys[keys.current_kid].public_key()
    decode_access_token(
        token, lambda _: key, issuer="keel-auth", audience="keel", verified=verified
    )
    assert verified.principal(token, lambda _: key, DEFAULT_LEEWAY) is not None

    other = Ed25519PrivateKey.generate().public_key()
    assert verified.principal(token, lambda _: other, DEFAULT_LEEWAY) is None
    assert verified.principal(token, lambda _: key, DEFAULT_LEEWAY) is None  # forgotten


def test_a_remembered_token_with_malformed_roles_is_refused_every_time(keys: SigningKeys) -> None:
    verified = VerifiedTokens()
    token = keys.sign({**keys.claims(), "roles": "admin"})
    key = keys.keys[keys.current_kid].public_key()
    decode_access_token(
        token, lambda _: key, issuer="keel-auth", audience="keel", verified=verified
    )
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verified.principal(token, lambda _: key, DEFAULT_LEEWAY)
