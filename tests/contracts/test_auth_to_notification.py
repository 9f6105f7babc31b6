"""Auth's real use cases produce every event notification consumes; notification's real
handler turns each, as auth serialized it into its outbox, into a delivery to the right
address on the right channel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from keel_auth.adapters.fakes_export import FakeUserDataSource
from keel_auth.bootstrap import Auth
from keel_auth.domain.commands import (
    AddPhone,
    ChangeEmail,
    ConfirmEmailChange,
    ForgotPassword,
    LogIn,
    RefreshSession,
    RequestOtp,
    ResendVerification,
    ResetPassword,
    SignUp,
    UpdateProfile,
    VerifyEmail,
    VerifyPhone,
)
from keel_auth.domain.errors import InvalidRefreshToken
from keel_auth.service_layer import (
    account,
    accounts,
    email_change,
    export,
    otp,
    passwords,
    phones,
    sessions,
    verification,
)
from keel_auth.service_layer.steps import TokenPair
from keel_common.auth.principal import Principal
from keel_common.messaging import DUPLICATE, Envelope
from keel_events.auth import (
    AccountErased,
    AccountErasureRequested,
    EmailChanged,
    EmailChangeRequested,
    EmailVerificationRequested,
    OtpRequested,
    PasswordChanged,
    PasswordResetRequested,
    PhoneVerificationRequested,
    SignUpAttempted,
    TokenReuseDetected,
    UserExportReady,
    UserExportRequested,
    UserProfileUpdated,
    UserRegistered,
)
from keel_notification.bootstrap import DECLARATION as NOTIFICATION
from keel_notification.bootstrap import Notifications
from keel_notification.domain.model import Status

from .conftest import (
    EMAIL,
    ORIGIN,
    PASSWORD,
    PHONE,
    deliveries,
    message_text,
    only,
    outbox_envelopes,
    sign_up,
)

NEW_PASSWORD = "another horse, another staple"
NEW_EMAIL = "ada@new.example"


def staged(auth: Auth, event_type: str) -> dict[str, Any]:
    """The data of the one ``event_type`` event in auth's outbox."""
    return only(outbox_envelopes(auth), event_type).data


def sign_up_again(auth: Auth) -> None:
    """Someone signs up with Ada's address: same answer, and Ada is told by email."""
    accounts.sign_up(
        SignUp(EMAIL, "someone else's long passphrase"), ORIGIN, auth.uow(), hasher=auth.hasher,
        throttle=auth.throttle, policy=auth.policy, clock=auth.clock,
    )  # fmt: skip


def ask_for_a_new_link(auth: Auth) -> None:
    verification.resend_verification(
        ResendVerification(EMAIL), ORIGIN, auth.uow(), throttle=auth.throttle,
        policy=auth.policy, clock=auth.clock,
    )  # fmt: skip


def verify_the_email(auth: Auth) -> TokenPair:
    """Follow the welcome email's link: the address is verified and Ada signed in."""
    token = staged(auth, UserRegistered.type)["verification_token"]
    return verification.verify_email(
        VerifyEmail(token), ORIGIN, auth.uow(), tokens=auth.tokens, policy=auth.policy,
        clock=auth.clock,
    )  # fmt: skip


def prove_the_phone(auth: Auth, pair: TokenPair) -> None:
    """Signed in, ask for a code to the pending phone of sign-up, then type it back."""
    claims = auth.tokens.decode(pair.access_token)
    principal = Principal(
        uuid.UUID(claims["sub"]), frozenset(claims["roles"]), uuid.UUID(claims["sid"])
    )
    phones.request_phone_code(
        principal, AddPhone(PHONE), ORIGIN, auth.uow(), throttle=auth.throttle,
        meter=auth.meter, policy=auth.policy, clock=auth.clock,
    )  # fmt: skip
    code = staged(auth, PhoneVerificationRequested.type)["code"]
    phones.verify_phone(
        principal, VerifyPhone(PHONE, code), ORIGIN, auth.uow(), throttle=auth.throttle,
        policy=auth.policy, clock=auth.clock,
    )  # fmt: skip


def reuse_a_refresh_token(auth: Auth) -> None:
    """Log in, rotate the refresh token, then present the spent one again."""
    pair = sessions.log_in(
        LogIn(EMAIL, PASSWORD), ORIGIN, auth.uow(), hasher=auth.hasher, tokens=auth.tokens,
        throttle=auth.throttle, policy=auth.policy, clock=auth.clock,
    )  # fmt: skip
    for _ in range(2):
        try:
            sessions.refresh_session(
                RefreshSession(pair.refresh_token), ORIGIN, auth.uow(), tokens=auth.tokens,
                revocations=auth.revocations, policy=auth.policy, clock=auth.clock,
            )  # fmt: skip
        except InvalidRefreshToken:
            return
    raise AssertionError("a spent refresh token was accepted again")


def request_a_login_code(auth: Auth) -> None:
    otp.request_otp(
        RequestOtp(PHONE), ORIGIN, auth.uow(), throttle=auth.throttle, meter=auth.meter,
        policy=auth.policy, clock=auth.clock,
    )  # fmt: skip


def reset_the_password(auth: Auth) -> None:
    """Forget the password, then set a new one with the token auth put in the event."""
    passwords.forgot_password(
        ForgotPassword(EMAIL), ORIGIN, auth.uow(), throttle=auth.throttle, policy=auth.policy,
        clock=auth.clock,
    )  # fmt: skip
    token = staged(auth, PasswordResetRequested.type)["reset_token"]
    passwords.reset_password(
        ResetPassword(token, NEW_PASSWORD), ORIGIN, auth.uow(), hasher=auth.hasher,
        revocations=auth.revocations, throttle=auth.throttle, policy=auth.policy,
        clock=auth.clock,
    )  # fmt: skip


def export_my_data(auth: Auth) -> None:
    """Signed in, Ada asks for her data; auth's worker assembles it (the other services
    faked) and stages the email with the download link (issue #14)."""
    pair = sessions.log_in(
        LogIn(EMAIL, NEW_PASSWORD), ORIGIN, auth.uow(), hasher=auth.hasher, tokens=auth.tokens,
        throttle=auth.throttle, policy=auth.policy, clock=auth.clock,
    )  # fmt: skip
    claims = auth.tokens.decode(pair.access_token)
    principal = Principal(
        uuid.UUID(claims["sub"]), frozenset(claims["roles"]), uuid.UUID(claims["sid"])
    )
    export_id = export.request_export(principal, auth.uow(), auth.policy, auth.clock)
    requested = UserExportRequested(user_id=principal.user_id, export_id=export_id)
    export.assemble_export(requested, auth.uow(), FakeUserDataSource(), auth.clock)


def move_to_a_new_address(auth: Auth) -> None:
    """Signed in again, Ada switches to French and moves her account to a new address,
    following the link sent there (issue #14)."""
    pair = sessions.log_in(
        LogIn(EMAIL, NEW_PASSWORD), ORIGIN, auth.uow(), hasher=auth.hasher, tokens=auth.tokens,
        throttle=auth.throttle, policy=auth.policy, clock=auth.clock,
    )  # fmt: skip
    claims = auth.tokens.decode(pair.access_token)
    principal = Principal(
        uuid.UUID(claims["sub"]), frozenset(claims["roles"]), uuid.UUID(claims["sid"])
    )
    account.update_profile(principal, UpdateProfile(locale="fr"), ORIGIN, auth.uow(), auth.clock)
    email_change.request_email_change(
        principal, ChangeEmail(NEW_EMAIL, NEW_PASSWORD), ORIGIN, auth.uow(), hasher=auth.hasher,
        throttle=auth.throttle, policy=auth.policy, clock=auth.clock,
    )  # fmt: skip
    token = staged(auth, EmailChangeRequested.type)["confirmation_token"]
    email_change.confirm_email_change(
        ConfirmEmailChange(token), ORIGIN, auth.uow(), revocations=auth.revocations,
        policy=auth.policy, clock=auth.clock,
    )  # fmt: skip


@pytest.fixture
def auth_events(auth: Auth) -> list[Envelope]:
    """Ada's story through auth's use cases, as auth's outbox holds it: sign up (and once
    more with her address), ask for a new link, verify the email, prove the phone, log in
    and replay a spent refresh token, log in by SMS code, reset the password, then switch
    to French and move to a new address."""
    sign_up(auth)
    sign_up_again(auth)
    ask_for_a_new_link(auth)
    prove_the_phone(auth, verify_the_email(auth))
    reuse_a_refresh_token(auth)
    request_a_login_code(auth)
    reset_the_password(auth)
    export_my_data(auth)
    move_to_a_new_address(auth)
    return outbox_envelopes(auth)


@dataclass(frozen=True)
class Expected:
    channel: str
    template: str
    recipient: str
    folder: str
    #: A field of the event whose value must reach the message (a code, a token).
    carried: str | None = None


EXPECTED = {
    UserRegistered.type: Expected("email", "welcome", EMAIL, "email", "verification_token"),
    SignUpAttempted.type: Expected("email", "signup_attempt", EMAIL, "email"),
    EmailVerificationRequested.type: Expected(
        "email", "welcome", EMAIL, "email", "verification_token"
    ),
    PhoneVerificationRequested.type: Expected("sms", "otp", PHONE, "sms", "code"),
    OtpRequested.type: Expected("sms", "otp", PHONE, "sms", "code"),
    PasswordResetRequested.type: Expected("email", "password_reset", EMAIL, "email", "reset_token"),
    PasswordChanged.type: Expected("email", "password_changed", EMAIL, "email"),
    TokenReuseDetected.type: Expected("email", "security_alert", EMAIL, "email"),
    UserExportReady.type: Expected("email", "export_ready", EMAIL, "email", "download_token"),
}


# One event, two messages: the link to the new address and the notice to the current one.
EMAIL_CHANGE = (
    Expected("email", "email_change_confirm", NEW_EMAIL, "email", "confirmation_token"),
    Expected("email", "email_change_notice", EMAIL, "email"),
)
# Events that only update the contact notification keeps: no message.
SILENT = {EmailChanged.type, UserProfileUpdated.type}
#: Erasure events have their own story: test_account_erasure.py.
ERASURE_TYPES = {AccountErasureRequested.type, AccountErased.type}


def auth_types_notification_consumes() -> set[str]:
    return {
        event.type
        for subscription in NOTIFICATION.consumes
        for event in subscription.events
        if event.producer == "auth" and event.type not in ERASURE_TYPES
    }


def test_every_auth_event_notification_consumes_is_covered_here() -> None:
    covered = set(EXPECTED) | {EmailChangeRequested.type} | SILENT
    assert covered == auth_types_notification_consumes()


def test_the_story_produces_every_auth_event_notification_consumes(
    auth_events: list[Envelope],
) -> None:
    produced = {envelope.type for envelope in auth_events}

    assert auth_types_notification_consumes() <= produced
    assert {envelope.source for envelope in auth_events} == {"keel-auth"}


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_notification_delivers_what_auth_published(
    event_type: str, auth_events: list[Envelope], notification: Notifications, consumer: Any
) -> None:
    envelope = only(auth_events, event_type)
    expected = EXPECTED[event_type]

    result = consumer(NOTIFICATION, notification)(envelope)

    assert result is None  # handled, not a duplicate
    [delivery] = deliveries(notification, envelope)
    assert (delivery.channel, delivery.template, delivery.recipient, delivery.status) == (
        expected.channel,
        expected.template,
        expected.recipient,
        Status.SENT,
    )
    assert delivery.path.parent.name == expected.folder and delivery.path.is_file()
    if expected.carried is not None:
        assert str(envelope.data[expected.carried]) in message_text(delivery.path)


def test_a_redelivered_auth_event_is_delivered_once(
    auth_events: list[Envelope], notification: Notifications, consumer: Any
) -> None:
    handle = consumer(NOTIFICATION, notification)
    envelope = only(auth_events, UserRegistered.type)

    handle(envelope)
    second = handle(envelope)

    assert second is DUPLICATE
    assert len(deliveries(notification, envelope)) == 1


def test_an_email_change_sends_the_link_and_the_notice_in_the_users_language(
    auth_events: list[Envelope], notification: Notifications, consumer: Any
) -> None:
    envelope = only(auth_events, EmailChangeRequested.type)

    assert consumer(NOTIFICATION, notification)(envelope) is None

    found = sorted(deliveries(notification, envelope), key=lambda d: d.template)
    assert len(found) == len(EMAIL_CHANGE)
    for delivery, expected in zip(found, EMAIL_CHANGE, strict=True):
        assert (delivery.channel, delivery.template, delivery.recipient, delivery.status) == (
            expected.channel,
            expected.template,
            expected.recipient,
            Status.SENT,
        )
        text = message_text(delivery.path)
        assert "Bonjour Ada" in text  # Ada chose French before asking
        if expected.carried is not None:
            assert str(envelope.data[expected.carried]) in text


def test_a_profile_update_and_a_confirmed_change_move_the_contact_silently(
    auth_events: list[Envelope], notification: Notifications, consumer: Any
) -> None:
    handle = consumer(NOTIFICATION, notification)
    handle(only(auth_events, UserRegistered.type))  # notification learns Ada's address
    silent = [only(auth_events, event_type) for event_type in sorted(SILENT)]

    for envelope in silent:
        assert handle(envelope) is None

    assert all(deliveries(notification, envelope) == [] for envelope in silent)
    with notification.uow() as uow:
        contact = uow.contacts.get(uuid.UUID(silent[0].data["user_id"]))
        assert contact is not None
        assert (contact.email, contact.locale) == (NEW_EMAIL, "fr")
