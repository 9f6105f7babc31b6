"""Moving an account to a new email address: a link to the new address proves its inbox,
a notice to the old one tells the owner (issue #14)."""

from __future__ import annotations

from keel_auth.domain.commands import ChangeEmail, ConfirmEmailChange, Origin
from keel_auth.domain.errors import EmailTaken, InvalidInput, InvalidOneTimeToken
from keel_auth.domain.events import EmailChanged, EmailChangeRequested
from keel_auth.domain.model import (
    AuditAction,
    OneTimeSecret,
    SecretPurpose,
    User,
)
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_email
from keel_auth.service_layer.account import caller, prove_password
from keel_auth.service_layer.ports import PasswordHasher, RevocationList, Throttle, UnitOfWork
from keel_auth.service_layer.steps import audit, emailed_secret, end_all_sessions, spend_secret
from keel_common.auth.principal import Principal
from keel_common.clock import Clock


def request_email_change(
    principal: Principal,
    cmd: ChangeEmail,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Send a confirmation link to the new address and a notice to the current one.

    The answer must not tell whether another account has the new address, so both cases do
    the same work: a secret is stored (it supersedes any earlier link), the event and the
    audit entry are written and committed; only when the address is taken the event carries
    no token, so no link goes out and the stored secret is never usable."""
    try:
        new_email = normalize_email(cmd.new_email)
    except InvalidInput as exc:
        raise InvalidInput("new_email", exc.message) from exc
    now = clock()
    with uow:
        _, user = caller(uow, principal)
        if new_email == user.email:
            raise InvalidInput("new_email", "this is already the address of your account")
        prove_password(
            uow, user, cmd.password, AuditAction.EMAIL_CHANGE_FAILED, origin, hasher,
            throttle, policy, now,
        )  # fmt: skip
        taken = uow.users.get_by_email(new_email) is not None
        expires_at = now + policy.email_change_ttl
        secret = OneTimeSecret(
            SecretPurpose.EMAIL_CHANGE, user.id, now, expires_at, new_email=new_email
        )
        uow.secrets.add(secret)
        uow.publish(
            EmailChangeRequested(
                user_id=user.id,
                email=user.email,
                new_email=new_email,
                name=user.name,
                confirmation_token=None if taken else secret.raw,
                expires_at=expires_at,
                locale=user.locale,
            )
        )
        audit(uow, AuditAction.EMAIL_CHANGE_REQUESTED, origin, now, user=user)
        uow.commit()


def confirm_email_change(
    cmd: ConfirmEmailChange,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """The newest link of the user, unused and unexpired, makes its address the account's
    (verified: the link proved the inbox). Every session ends: there is no current one here,
    and whoever was signed in before the move should not stay so unnoticed.

    If another account took the address since the request, 409: only the inbox's owner holds
    the token, and that inbox received the other account's welcome email anyway."""
    now = clock()
    with uow:
        what, purpose = "email-change token", SecretPurpose.EMAIL_CHANGE
        secret, user = emailed_secret(uow, cmd.token, purpose, now, what=what, newest_only=True)
        if secret.new_email is None:
            raise InvalidOneTimeToken(f"invalid, expired or used {what}")
        if uow.users.get_by_email(secret.new_email) is not None:
            raise EmailTaken("another account uses this address now")
        spend_secret(uow, secret, now, what=what)
        previous, user.email, user.email_verified = user.email, secret.new_email, True
        end_all_sessions(uow, revocations, user, "email_changed", policy, now)
        uow.publish(
            EmailChanged(
                user_id=user.id,
                email=user.email,
                previous_email=previous,
                name=user.name,
                locale=user.locale,
            )
        )
        audit(uow, AuditAction.EMAIL_CHANGED, origin, now, user=user)
        uow.commit()  # a concurrent sign-up with the address fails it: EmailTaken
        return user
