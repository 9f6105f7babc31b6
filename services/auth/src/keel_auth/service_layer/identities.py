"""Identities: which Keel account a provider's subject signs into, and the caller's own
linked providers (list, link with proof, unlink without locking themself out).

No takeover: an identity whose email matches a *verified* account is not linked to it on
sign-in (409); its owner signs in and links it (``link_identity``). An *unverified* account
of that email is taken over like a password reset of a never-verified account does: no
credential set before keeps working (password, phones, sessions)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from keel_auth.domain.commands import Origin
from keel_auth.domain.errors import InvalidInput, Unauthenticated
from keel_auth.domain.model import AuditAction, User
from keel_auth.domain.oidc import (
    AccountExists,
    Identity,
    IdentityClaims,
    IdentityEmailNotVerified,
    IdentityNotFound,
    InvalidIdToken,
    LastSignInMethod,
    SignInWithIdToken,
    nonce_matches,
)
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_email
from keel_auth.service_layer.oidc_ports import IdentityProviders
from keel_auth.service_layer.ports import RevocationList, Throttle, UnitOfWork
from keel_auth.service_layer.steps import audit, end_all_sessions
from keel_common.auth.principal import Principal
from keel_common.clock import Clock

# A spent nonce is remembered a little past its token's expiry (the verifier's leeway).
NONCE_MEMORY_PAST_EXPIRY = timedelta(minutes=5)


def verified_claims(
    providers: IdentityProviders,
    provider: str,
    id_token: str,
    nonce: str,
    origin: Origin,
    uow: UnitOfWork,
    clock: Clock,
    *,
    need_email: bool = True,
) -> IdentityClaims:
    """The claims of a valid, fresh ID token for ``nonce`` whose nonce was not spent before
    (it is spent now, in its own transaction, so a refused sign-in cannot be replayed)."""
    claims = providers.verify_id_token(provider, id_token)
    if not nonce_matches(claims, nonce, providers.nonce_hashed(provider)):
        raise InvalidIdToken("the nonce does not match")
    if need_email and (not claims.email or not claims.email_verified):
        raise IdentityEmailNotVerified("the provider does not vouch for an email address")
    nonce_hash = hashlib.sha256((claims.nonce or "").encode()).hexdigest()
    with uow:
        spent = uow.oidc_states.claim_nonce(
            provider, nonce_hash, claims.expires_at + NONCE_MEMORY_PAST_EXPIRY
        )
        if not spent:
            audit(uow, AuditAction.LOGIN_FAILED, origin, clock(), user=None, reason="replay")
        uow.commit()
    if not spent:
        raise InvalidIdToken("this ID token was used before")
    return claims


def resolve(
    uow: UnitOfWork,
    claims: IdentityClaims,
    name: str | None,
    origin: Origin,
    revocations: RevocationList,
    policy: AuthPolicy,
    now: datetime,
) -> User:
    """The account ``claims`` sign into, linked or created as needed (see the module)."""
    identity = uow.identities.get_by_subject(claims.provider, claims.subject)
    user = uow.users.get(identity.user_id) if identity else None
    if user is not None:
        user.name = user.name or name
        return user
    email = _email(claims)
    user = uow.users.get_by_email(email)
    if user is not None and user.email_verified:
        audit(
            uow, AuditAction.IDENTITY_LINK_REFUSED, origin, now, user=user, provider=claims.provider
        )
        uow.commit()
        raise AccountExists(
            "an account with this email exists: sign in to it, then link this provider at"
            " POST /v1/auth/identities"
        )
    if user is None:
        user = User(email, None, now, name=name or claims.name)
        user.email_verified = True
        uow.users.add(user)
        audit(uow, AuditAction.SIGNUP, origin, now, user=user, method="oidc")
    else:
        _take_over(uow, user, name or claims.name, revocations, policy, now)
        audit(uow, AuditAction.ACCOUNT_TAKEN_OVER, origin, now, user=user, provider=claims.provider)
    _link(uow, user, claims, origin, now)
    return user


def _take_over(
    uow: UnitOfWork,
    user: User,
    name: str | None,
    revocations: RevocationList,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    """Whoever registered the address first may not be its owner: nothing they set stays."""
    user.password_hash = None
    user.drop_phones()
    user.name = name
    user.email_verified = True
    end_all_sessions(uow, revocations, user, "account_taken_over", policy, now)


def _link(
    uow: UnitOfWork, user: User, claims: IdentityClaims, origin: Origin, now: datetime
) -> Identity:
    identity = Identity(claims.provider, claims.subject, user.id, claims.email, now)
    uow.identities.add(identity)
    audit(uow, AuditAction.IDENTITY_LINKED, origin, now, user=user, provider=claims.provider)
    return identity


def _email(claims: IdentityClaims) -> str:
    try:
        return normalize_email(claims.email or "")
    except InvalidInput as exc:
        raise InvalidIdToken("the ID token's email is not an address") from exc


def link_identity(
    principal: Principal,
    cmd: SignInWithIdToken,
    origin: Origin,
    uow: UnitOfWork,
    providers: IdentityProviders,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> Identity:
    """Link a provider to the signed-in caller (the proof of control a verified account
    needs); the ID token proves the other side."""
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    claims = verified_claims(
        providers, cmd.provider, cmd.id_token, cmd.nonce, origin, uow, clock, need_email=False
    )
    now = clock()
    with uow:
        user = _caller(uow, principal)
        existing = uow.identities.get_by_subject(claims.provider, claims.subject)
        if existing is not None and existing.user_id == user.id:
            return existing
        if existing is not None:
            raise AccountExists("this identity is linked to another account")
        identity = _link(uow, user, claims, origin, now)
        uow.commit()
        return identity


def list_identities(principal: Principal, uow: UnitOfWork) -> list[Identity]:
    with uow:
        return uow.identities.for_user(_caller(uow, principal).id)


def unlink_identity(
    principal: Principal, identity_id: uuid.UUID, origin: Origin, uow: UnitOfWork, clock: Clock
) -> None:
    """Unlink one provider; refused (409) when nothing else could sign the user in."""
    now = clock()
    with uow:
        user = _caller(uow, principal)
        identity = uow.identities.get(identity_id)
        if identity is None or identity.user_id != user.id:
            raise IdentityNotFound("no such identity on your account")
        others = [each for each in uow.identities.for_user(user.id) if each.id != identity.id]
        if not others and not _other_credentials(user):
            raise LastSignInMethod("this is the last way to sign in to the account")
        uow.identities.remove(identity)
        audit(
            uow, AuditAction.IDENTITY_UNLINKED, origin, now, user=user, provider=identity.provider
        )
        uow.commit()


def _other_credentials(user: User) -> bool:
    """A password, or a proved phone (login codes)."""
    return user.password_hash is not None or (user.phone is not None and user.phone_verified)


def _caller(uow: UnitOfWork, principal: Principal) -> User:
    session = uow.sessions.get(principal.session_id)
    user = uow.users.get(principal.user_id)
    if session is None or not session.is_active or user is None or session.user_id != user.id:
        raise Unauthenticated("the session has ended")
    return user
