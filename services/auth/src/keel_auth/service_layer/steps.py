"""Shared steps of the use cases: finishing a sign-in (the second-factor gate), starting and
ending login sessions, auditing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from keel_auth.domain.commands import Origin
from keel_auth.domain.errors import AccountDisabled, InvalidOneTimeToken, Unauthenticated
from keel_auth.domain.events import SessionRevoked
from keel_auth.domain.mfa import MfaChallenge
from keel_auth.domain.model import (
    AuditAction,
    AuditEntry,
    LoginSession,
    OneTimeSecret,
    RefreshToken,
    SecretPurpose,
    User,
    split_emailed_token,
)
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import AccessTokens, RevocationList, UnitOfWork
from keel_common.auth.principal import Principal


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True)
class MfaRequired:
    """A first factor was right but the account has a second one: the client answers
    ``POST /v1/auth/mfa/challenge`` with this token and a code to get the token pair."""

    mfa_token: str


def issue_pair(
    uow: UnitOfWork,
    tokens: AccessTokens,
    user: User,
    session: LoginSession,
    policy: AuthPolicy,
    now: datetime,
) -> TokenPair:
    """A fresh access token and the next refresh token of ``session``. Every way of signing in
    and refreshing passes here, so a disabled account gets no token from any of them."""
    if user.is_disabled:
        raise AccountDisabled("this account is disabled; contact support")
    # Never past the session's absolute end: refreshing does not extend it forever.
    ends = min(now + policy.refresh_ttl, _aware(session.created_at) + policy.session_max_age)
    session.last_seen_at = now  # a pair is issued at sign-in and at each refresh only
    refresh = RefreshToken(session.id, now, ends)
    uow.refresh_tokens.add(refresh)
    access = tokens.issue(user, session.id, now, amr=session.amr or ())
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.raw,
        expires_in=math.ceil((access.expires_at - now).total_seconds()),
    )


def finish_sign_in(
    uow: UnitOfWork,
    tokens: AccessTokens,
    user: User,
    origin: Origin,
    policy: AuthPolicy,
    now: datetime,
    *,
    amr: Sequence[str],
) -> TokenPair | MfaRequired:
    """The end of every first-factor sign-in (password, SMS code, emailed link, OIDC): a
    session, or, when the account has two-factor on, an ``mfa_token`` to answer first."""
    factor = uow.mfa.totp_for(user.id)
    if factor is None or not factor.is_confirmed:
        return start_session(uow, tokens, user, origin, policy, now, amr=amr)
    challenge = MfaChallenge(user.id, amr, now, now + policy.mfa_token_ttl)
    uow.mfa.add_challenge(challenge)
    return MfaRequired(challenge.raw)


def start_session(
    uow: UnitOfWork,
    tokens: AccessTokens,
    user: User,
    origin: Origin,
    policy: AuthPolicy,
    now: datetime,
    *,
    amr: Sequence[str],
) -> TokenPair:
    """A new login session; sign-in use cases call ``finish_sign_in`` instead, which
    asks for the second factor first when there is one."""
    session = LoginSession(user.id, now, ip=origin.ip, user_agent=origin.user_agent, amr=amr)
    uow.sessions.add(session)
    return issue_pair(uow, tokens, user, session, policy, now)


def end_session(
    uow: UnitOfWork,
    revocations: RevocationList,
    session: LoginSession,
    reason: str,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    """Revoke the session here and, before the commit, on the shared denylist every verifier
    reads: if the commit then fails the tokens are denied anyway, which is the safe side."""
    _end(uow, revocations, [session], reason, policy, now)


def end_all_sessions(
    uow: UnitOfWork,
    revocations: RevocationList,
    user: User,
    reason: str,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    """``end_session`` for every live session of ``user``, the denylist written in one go
    (an account signed in on many devices is one round trip, not one per session)."""
    _end(uow, revocations, uow.sessions.active_for_user(user.id), reason, policy, now)


def _end(
    uow: UnitOfWork,
    revocations: RevocationList,
    sessions: Iterable[LoginSession],
    reason: str,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    ended = [session for session in sessions if session.revoke(reason, now)]
    if not ended:
        return
    until = now + policy.revocation_ttl
    revocations.revoke_many([session.id for session in ended], until)
    for session in ended:
        uow.publish(
            SessionRevoked(
                session_id=session.id,
                user_id=session.user_id,
                reason=reason,
                tokens_expire_at=until,
            )
        )


def disable_account(
    uow: UnitOfWork,
    revocations: RevocationList,
    user: User,
    reason: str,
    policy: AuthPolicy,
    now: datetime,
) -> bool:
    """Disable ``user`` and end every session at once (the denylist is written before the
    commit, so its tokens stop working at every service); False if it already was disabled."""
    changed = user.disable(reason, now)
    end_all_sessions(uow, revocations, user, "account_disabled", policy, now)
    return changed


def audit(
    uow: UnitOfWork,
    action: AuditAction,
    origin: Origin,
    now: datetime,
    *,
    user: User | None,
    actor: User | None = None,
    **details: object,
) -> None:
    """Record a security event; the actor defaults to the user it is about."""
    actor = actor or user
    uow.audit.add(
        AuditEntry(
            action,
            now,
            user_id=user.id if user else None,
            actor_id=actor.id if actor else None,
            ip=origin.ip,
            user_agent=origin.user_agent,
            details=dict(details),
        )
    )


def emailed_secret(
    uow: UnitOfWork,
    token: str,
    purpose: SecretPurpose,
    now: datetime,
    *,
    what: str,
    newest_only: bool = False,
) -> tuple[OneTimeSecret, User]:
    """The live secret of ``purpose`` an emailed link's ``token`` names, and its user. One
    answer (``InvalidOneTimeToken``, "invalid, expired or used <what>") for an unknown,
    malformed, expired or used token, another purpose's, or, with ``newest_only``, one a
    newer link of the same purpose replaced. Inside the caller's unit of work; spend it with
    ``spend_secret`` once the rest of the request is checked."""
    secret_id, raw = split_emailed_token(token)
    secret = uow.secrets.get(secret_id)
    user = uow.users.get(secret.user_id) if secret else None
    if secret is None or user is None or secret.purpose is not purpose:
        raise InvalidOneTimeToken(f"invalid, expired or used {what}")
    if newest_only:
        latest = uow.secrets.latest(purpose, user.id)
        if latest is None or latest.id != secret.id:
            raise InvalidOneTimeToken(f"invalid, expired or used {what}")
    if not secret.matches(raw, now):
        raise InvalidOneTimeToken(f"invalid, expired or used {what}")
    return secret, user


def spend_secret(uow: UnitOfWork, secret: OneTimeSecret, now: datetime, *, what: str) -> None:
    """Use ``secret`` up; of concurrent requests with one link, only one gets past this."""
    if not uow.secrets.consume(secret, now):
        raise InvalidOneTimeToken(f"invalid, expired or used {what}")


def signed_in_user(uow: UnitOfWork, principal: Principal) -> User:
    """The caller's account, if the session of the token is still live."""
    session = uow.sessions.get(principal.session_id)
    user = uow.users.get(principal.user_id)
    if session is None or not session.is_active or user is None or session.user_id != user.id:
        raise Unauthenticated("the session has ended")
    return user


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC values."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
