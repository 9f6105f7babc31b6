"""Passkeys: registering one while signed in, signing in with one (no username: the
credential is discoverable and names its user), listing and removing them.

Each ceremony's challenge is kept server-side, hashed, single use, for a few minutes; the
browser's answer is matched to it through the challenge it signed. The authenticator must
verify the user (PIN, biometrics), so a passkey sign-in counts as two factors."""

from __future__ import annotations

import uuid
from typing import Any

from keel_auth.domain.commands import Origin, RegisterPasskey
from keel_auth.domain.errors import (
    InvalidCredentials,
    MfaConflict,
    PasskeyNotFound,
    PasskeyRejected,
)
from keel_auth.domain.mfa import (
    MULTIPLE_FACTORS,
    PASSKEY,
    CeremonyKind,
    Passkey,
    WebAuthnChallenge,
)
from keel_auth.domain.model import AuditAction, hash_secret
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import AccessTokens, Throttle, UnitOfWork, WebAuthn
from keel_auth.service_layer.steps import TokenPair, audit, signed_in_user, start_session
from keel_common.auth.principal import Principal
from keel_common.clock import Clock

PASSKEY_AMR = [*PASSKEY, MULTIPLE_FACTORS]


def registration_options(
    principal: Principal, uow: UnitOfWork, webauthn: WebAuthn, policy: AuthPolicy, clock: Clock
) -> dict[str, Any]:
    now = clock()
    with uow:
        user = signed_in_user(uow, principal)
        exclude = [passkey.credential_id for passkey in uow.passkeys.for_user(user.id)]
        options, challenge = webauthn.registration_options(user, exclude)
        uow.passkeys.add_challenge(
            WebAuthnChallenge(
                CeremonyKind.REGISTRATION,
                challenge,
                now,
                now + policy.webauthn_challenge_ttl,
                user_id=user.id,
            )
        )
        uow.commit()
    return options


def register(
    principal: Principal,
    cmd: RegisterPasskey,
    origin: Origin,
    uow: UnitOfWork,
    webauthn: WebAuthn,
    clock: Clock,
) -> Passkey:
    now = clock()
    with uow:
        user = signed_in_user(uow, principal)
        challenge = _take(uow, webauthn, CeremonyKind.REGISTRATION, cmd.credential, now)
        if challenge is None or challenge.user_id != user.id:
            raise PasskeyRejected("unknown, expired or used challenge; ask for new options")
        new = webauthn.verify_registration(cmd.credential, _challenge(webauthn, cmd.credential))
        if uow.passkeys.by_credential_id(new.credential_id) is not None:
            raise MfaConflict("this passkey is already registered")
        passkey = Passkey(
            user.id, new.credential_id, new.public_key, new.sign_count, now, name=cmd.name
        )
        uow.passkeys.add(passkey)
        audit(uow, AuditAction.PASSKEY_ADDED, origin, now, user=user, passkey=str(passkey.id))
        uow.commit()
        return passkey


def login_options(
    origin: Origin,
    uow: UnitOfWork,
    webauthn: WebAuthn,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> dict[str, Any]:
    throttle.hit("passkey-login-ip", origin.ip or "-", policy.passkey_login_per_ip)
    now = clock()
    options, challenge = webauthn.authentication_options()
    with uow:
        uow.passkeys.add_challenge(
            WebAuthnChallenge(
                CeremonyKind.AUTHENTICATION, challenge, now, now + policy.webauthn_challenge_ttl
            )
        )
        uow.commit()
    return options


def log_in(
    credential: dict[str, Any],
    origin: Origin,
    uow: UnitOfWork,
    tokens: AccessTokens,
    webauthn: WebAuthn,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair:
    """A session for the passkey's owner: two factors (possession, user verification)."""
    now = clock()
    with uow:
        challenge = _take(uow, webauthn, CeremonyKind.AUTHENTICATION, credential, now)
        credential_id = webauthn.credential_id_of(credential)
        passkey = uow.passkeys.by_credential_id(credential_id) if credential_id else None
        user = uow.users.get(passkey.user_id) if passkey else None
        if challenge is None or passkey is None or user is None:
            raise InvalidCredentials("unknown passkey, or an expired or used challenge")
        try:
            count = webauthn.verify_authentication(
                credential, _challenge(webauthn, credential), passkey
            )
        except PasskeyRejected as exc:
            audit(uow, AuditAction.LOGIN_FAILED, origin, now, user=user, method="passkey")
            uow.commit()
            raise InvalidCredentials("the passkey could not be verified") from exc
        passkey.used(count, now)
        pair = start_session(uow, tokens, user, origin, policy, now, amr=PASSKEY_AMR)
        audit(uow, AuditAction.LOGIN_SUCCEEDED, origin, now, user=user, method="passkey")
        uow.commit()
        return pair


def list_passkeys(principal: Principal, uow: UnitOfWork) -> list[Passkey]:
    with uow:
        user = signed_in_user(uow, principal)
        return uow.passkeys.for_user(user.id)


def remove(
    principal: Principal, passkey_id: uuid.UUID, origin: Origin, uow: UnitOfWork, clock: Clock
) -> None:
    """Someone else's passkey is 404 like a missing one: ids reveal nothing."""
    now = clock()
    with uow:
        user = signed_in_user(uow, principal)
        passkey = uow.passkeys.get(passkey_id)
        if passkey is None or passkey.user_id != user.id:
            raise PasskeyNotFound("no such passkey")
        uow.passkeys.remove(passkey)
        audit(uow, AuditAction.PASSKEY_REMOVED, origin, now, user=user, passkey=str(passkey_id))
        uow.commit()


def _take(
    uow: UnitOfWork,
    webauthn: WebAuthn,
    kind: CeremonyKind,
    credential: dict[str, Any],
    now: Any,
) -> WebAuthnChallenge | None:
    challenge = webauthn.challenge_of(credential)
    if challenge is None:
        return None
    return uow.passkeys.take_challenge(kind, hash_secret(challenge), now)


def _challenge(webauthn: WebAuthn, credential: dict[str, Any]) -> str:
    return webauthn.challenge_of(credential) or ""
