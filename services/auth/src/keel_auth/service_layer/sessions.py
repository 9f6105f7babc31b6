"""Use cases of signing in and out: password login, refresh rotation, logout, who am I."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from keel_auth.domain.commands import LogIn, LogOut, Origin, RefreshSession
from keel_auth.domain.errors import (
    EmailNotVerified,
    InvalidCredentials,
    InvalidInput,
    InvalidRefreshToken,
    Unauthenticated,
)
from keel_auth.domain.events import TokenReuseDetected
from keel_auth.domain.mfa import PASSWORD
from keel_auth.domain.model import AuditAction, LoginSession, User, hash_secret
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_email
from keel_auth.service_layer.ports import (
    AccessTokens,
    PasswordHasher,
    RevocationList,
    Throttle,
    UnitOfWork,
)
from keel_auth.service_layer.steps import (
    MfaRequired,
    TokenPair,
    audit,
    end_session,
    finish_sign_in,
    issue_pair,
)
from keel_auth.service_layer.views import AccountView, AccountViews
from keel_common.auth.principal import InvalidToken, Principal
from keel_common.clock import Clock


def log_in(
    cmd: LogIn,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    tokens: AccessTokens,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair | MfaRequired:
    """Password login. Every attempt takes a slot of the per-account budget *before* argon2
    runs (an atomic reservation: parallel guesses cannot all pass a check made earlier);
    past the budget even the right password is refused until the window passes, so
    guessing stops without a lockout. A reset through the emailed link clears the budget.
    The right password of an account whose email was never verified gets a 403: whoever
    registered the address first may not be its owner."""
    try:
        email = normalize_email(cmd.email)
    except InvalidInput:
        email = cmd.email.strip().lower()  # cannot exist; fails below like any wrong login
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    throttle.hit("login-failures", email, policy.login_failures_per_account)
    with uow:
        user = uow.users.get_by_email(email)
        if not hasher.verify(user.password_hash if user else None, cmd.password) or user is None:
            audit(uow, AuditAction.LOGIN_FAILED, origin, clock(), user=user, email=email)
            uow.commit()
            raise InvalidCredentials("wrong email or password")
        if not user.email_verified:
            raise EmailNotVerified(
                "verify your email address first: follow the link we sent, or ask for a new"
                " one at /v1/auth/email/resend"
            )
        if hasher.needs_rehash(user.password_hash or ""):
            user.password_hash = hasher.hash(cmd.password)
        now = clock()
        pair = finish_sign_in(uow, tokens, user, origin, policy, now, amr=[PASSWORD])
        action = AuditAction.LOGIN_SUCCEEDED if isinstance(pair, TokenPair) else None
        audit(uow, action or AuditAction.MFA_CHALLENGED, origin, now, user=user, method="password")
        uow.commit()
        return pair


def refresh_session(
    cmd: RefreshSession,
    origin: Origin,
    uow: UnitOfWork,
    tokens: AccessTokens,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new pair issued. A spent token
    presented again means it was stolen or replayed: the whole session is revoked."""
    now = clock()
    with uow:
        token = uow.refresh_tokens.get_by_hash(hash_secret(cmd.refresh_token))
        session = uow.sessions.get(token.session_id) if token else None
        user = uow.users.get(session.user_id) if session else None
        if token is None or session is None or user is None or not session.is_active:
            raise InvalidRefreshToken("unknown or revoked refresh token")
        if now >= session.created_at + policy.session_max_age:
            end_session(uow, revocations, session, "max_age", policy, now)
            uow.commit()
            raise InvalidRefreshToken("the session is too old; sign in again")
        if token.spent_at is None and token.is_expired(now):
            raise InvalidRefreshToken("expired refresh token")
        if token.spent_at is not None or not uow.refresh_tokens.spend(token, now):
            _revoke_family(uow, revocations, user, session, origin, policy, now)
            uow.commit()
            raise InvalidRefreshToken("refresh token reused; session revoked")
        pair = issue_pair(uow, tokens, user, session, policy, now)
        uow.commit()
        return pair


def _revoke_family(
    uow: UnitOfWork,
    revocations: RevocationList,
    user: User,
    session: LoginSession,
    origin: Origin,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    end_session(uow, revocations, session, "refresh_token_reuse", policy, now)
    uow.publish(
        TokenReuseDetected(
            user_id=user.id,
            email=user.email,
            name=user.name,
            session_id=session.id,
            locale=user.locale,
        )
    )
    audit(uow, AuditAction.TOKEN_REUSE_DETECTED, origin, now, user=user, session=str(session.id))


def log_out(
    principal: Principal,
    cmd: LogOut,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """End the caller's session (and the one of ``refresh_token``, if it is the caller's)."""
    now = clock()
    with uow:
        session = _active_session(uow, principal)
        ending = [session]
        if cmd.refresh_token:
            token = uow.refresh_tokens.get_by_hash(hash_secret(cmd.refresh_token))
            other = uow.sessions.get(token.session_id) if token else None
            if other is not None and other.user_id == principal.user_id and other is not session:
                ending.append(other)
        for each in ending:
            end_session(uow, revocations, each, "logout", policy, now)
        user = uow.users.get(principal.user_id)
        audit(uow, AuditAction.LOGOUT, origin, now, user=user, session=str(session.id))
        uow.commit()


def current_user(
    principal: Principal, views: AccountViews, render: Callable[[AccountView], bytes]
) -> bytes:
    """The caller's account as ``render`` writes it (``GET /v1/auth/me``'s body); the session
    is checked here too, auth being its source of truth."""
    document = views.document_of_live_session(principal.session_id, principal.user_id, render)
    if document is None:
        raise Unauthenticated("the session has ended or the account no longer exists")
    return document


def introspect(token: str, uow: UnitOfWork, tokens: AccessTokens) -> dict[str, Any] | None:
    """The claims of an access token that is valid and whose session is live, else None."""
    try:
        claims = tokens.decode(token)
    except InvalidToken:
        return None
    session_id = _uuid(claims.get("sid"))
    with uow:
        session = uow.sessions.get(session_id) if session_id else None
        if session is None or not session.is_active or str(session.user_id) != claims.get("sub"):
            return None
    return claims


def _active_session(uow: UnitOfWork, principal: Principal) -> LoginSession:
    session = uow.sessions.get(principal.session_id)
    if session is None or not session.is_active or session.user_id != principal.user_id:
        raise Unauthenticated("the session has ended")
    return session


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
