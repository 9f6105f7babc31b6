"""Use cases of signing in with an OpenID Connect provider: native apps post the ID token
their SDK got; web apps go through authorize -> provider -> callback -> exchange.

Every successful sign-in becomes a session in ``finish_sign_in`` only (the one place a
second-factor gate belongs). Which account an identity signs into is ``identities.resolve``."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from keel_auth.domain.commands import Origin
from keel_auth.domain.model import (
    AuditAction,
    OneTimeSecret,
    SecretPurpose,
    User,
    hash_secret,
)
from keel_auth.domain.oidc import (
    AccountExists,
    BeginWebSignIn,
    FinishWebSignIn,
    IdentityEmailNotVerified,
    InvalidIdToken,
    InvalidSignInState,
    OidcState,
    RedirectUriNotAllowed,
    SignInWithIdToken,
    apple_name,
    derived,
    expected_nonce,
    pkce_challenge,
)
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.identities import resolve, verified_claims
from keel_auth.service_layer.oidc_ports import IdentityProviders
from keel_auth.service_layer.ports import AccessTokens, RevocationList, Throttle, UnitOfWork
from keel_auth.service_layer.steps import (
    MfaRequired,
    TokenPair,
    audit,
    emailed_secret,
    spend_secret,
)
from keel_auth.service_layer.steps import finish_sign_in as finish_first_factor
from keel_common.clock import Clock

STATE_TTL = timedelta(minutes=10)
EXCHANGE_CODE_TTL = timedelta(seconds=60)


def finish_sign_in(
    uow: UnitOfWork,
    tokens: AccessTokens,
    user: User,
    origin: Origin,
    policy: AuthPolicy,
    now: datetime,
    via: str,
) -> TokenPair | MfaRequired:
    """The one step where an OIDC sign-in becomes a session, as password login's does
    (``via``: the provider of a native sign-in, or "web_exchange")."""
    # "fed": a federated identity provider vouched for the user (a first factor only: an
    # account with two-factor on is asked for its code, as after a password).
    pair = finish_first_factor(uow, tokens, user, origin, policy, now, amr=["fed"])
    audit(uow, AuditAction.LOGIN_SUCCEEDED, origin, now, user=user, method="oidc", via=via)
    return pair


def sign_in_with_id_token(
    cmd: SignInWithIdToken,
    origin: Origin,
    uow: UnitOfWork,
    providers: IdentityProviders,
    tokens: AccessTokens,
    revocations: RevocationList,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair | MfaRequired:
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    claims = verified_claims(providers, cmd.provider, cmd.id_token, cmd.nonce, origin, uow, clock)
    now = clock()
    with uow:
        user = resolve(uow, claims, cmd.name, origin, revocations, policy, now)
        pair = finish_sign_in(uow, tokens, user, origin, policy, now, cmd.provider)
        uow.commit()
        return pair


def begin_web_sign_in(
    cmd: BeginWebSignIn,
    origin: Origin,
    uow: UnitOfWork,
    providers: IdentityProviders,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> str:
    """Where to send the browser. The state is stored hashed; the PKCE verifier and the
    nonce are derived from it, so the database holds nothing that completes a sign-in."""
    if not providers.redirect_allowed(cmd.provider, cmd.redirect_uri):
        raise RedirectUriNotAllowed("redirect_uri is not registered")
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    state = secrets.token_urlsafe(32)
    now = clock()
    with uow:
        uow.oidc_states.add(
            OidcState(cmd.provider, cmd.redirect_uri, hash_secret(state), now, now + STATE_TTL)
        )
        uow.commit()
    nonce = expected_nonce(derived(state, "nonce"), providers.nonce_hashed(cmd.provider))
    challenge = pkce_challenge(derived(state, "pkce"))
    return providers.authorization_url(cmd.provider, state, nonce, challenge)


def finish_web_sign_in(
    cmd: FinishWebSignIn,
    origin: Origin,
    uow: UnitOfWork,
    providers: IdentityProviders,
    revocations: RevocationList,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> str:
    """The provider's callback: the app's registered address with a single-use 60-second
    ``code`` (or an ``error``). An unknown, used or expired state is refused without
    redirecting anywhere."""
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    redirect_uri = _spend_state(cmd, uow, providers, clock)
    if cmd.error or not cmd.code:
        return _with_query(redirect_uri, error="access_denied")
    try:
        id_token = providers.redeem_code(cmd.provider, cmd.code, derived(cmd.state, "pkce"))
        nonce = derived(cmd.state, "nonce")
        claims = verified_claims(providers, cmd.provider, id_token, nonce, origin, uow, clock)
        now = clock()
        with uow:
            name = apple_name(cmd.apple_user)
            user = resolve(uow, claims, name, origin, revocations, policy, now)
            code = OneTimeSecret(SecretPurpose.OIDC_EXCHANGE, user.id, now, now + EXCHANGE_CODE_TTL)
            uow.secrets.add(code)
            uow.commit()
    except AccountExists:
        return _with_query(redirect_uri, error="account_exists")
    except IdentityEmailNotVerified:
        return _with_query(redirect_uri, error="email_not_verified")
    except InvalidIdToken:
        return _with_query(redirect_uri, error="invalid_id_token")
    return _with_query(redirect_uri, code=code.raw)


def exchange_code(
    code: str,
    origin: Origin,
    uow: UnitOfWork,
    tokens: AccessTokens,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair | MfaRequired:
    """Trade the callback's code for the token pair (the code works once, for 60 s)."""
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    now = clock()
    with uow:
        secret, user = emailed_secret(uow, code, SecretPurpose.OIDC_EXCHANGE, now, what="code")
        spend_secret(uow, secret, now, what="code")
        pair = finish_sign_in(uow, tokens, user, origin, policy, now, "web_exchange")
        uow.commit()
        return pair


def _spend_state(
    cmd: FinishWebSignIn, uow: UnitOfWork, providers: IdentityProviders, clock: Clock
) -> str:
    now = clock()
    with uow:
        state = uow.oidc_states.get_by_hash(hash_secret(cmd.state))
        if (
            state is None
            or state.provider != cmd.provider
            or now >= _aware(state.expires_at)
            or not uow.oidc_states.use(state, now)
        ):
            raise InvalidSignInState("unknown, used or expired sign-in state")
        uow.commit()
    # Checked again: the allowlist may have shrunk since the sign-in began.
    if not providers.redirect_allowed(cmd.provider, state.redirect_uri):
        raise RedirectUriNotAllowed("redirect_uri is no longer registered")
    return state.redirect_uri


def _with_query(uri: str, **params: str) -> str:
    parts = urlsplit(uri)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC values."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
