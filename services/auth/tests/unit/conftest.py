"""A world of fakes for the auth use cases: no database, no sockets, a clock we control."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel_auth.adapters.fakes import (
    FakeAccessTokens,
    FakeOtpSmsMeter,
    FakePasswordHasher,
    FakeThrottle,
    FakeUnitOfWork,
)
from keel_auth.adapters.fakes_views import FakeAccountViews
from keel_auth.domain.commands import AddPhone, LogIn, Origin, SignUp, VerifyEmail, VerifyPhone
from keel_auth.domain.events import PhoneVerificationRequested, UserRegistered
from keel_auth.domain.model import User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.entrypoints.schemas import UserOut
from keel_auth.service_layer import accounts, phones, sessions, verification
from keel_auth.service_layer.steps import TokenPair
from keel_auth.service_layer.views import AccountView, AccountViews
from keel_common.auth import InMemoryRevocationList, Principal

PASSWORD = "correct horse battery staple"
ORIGIN = Origin(ip="203.0.113.7", user_agent="pytest")


def rendered(view: AccountView) -> bytes:
    """``GET /me``'s document of ``view``, as plain JSON (the route's rendering needs Flask)."""
    return json.dumps(UserOut.document(view)).encode()


def current_user(principal: Principal, views: AccountViews) -> dict[str, Any]:
    """``sessions.current_user``'s answer, read back."""
    return json.loads(sessions.current_user(principal, views, rendered))  # type: ignore[no-any-return]


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class World:
    uow: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)
    hasher: FakePasswordHasher = field(default_factory=FakePasswordHasher)
    tokens: FakeAccessTokens = field(default_factory=FakeAccessTokens)
    throttle: FakeThrottle = field(default_factory=FakeThrottle)
    revocations: InMemoryRevocationList = field(default_factory=InMemoryRevocationList)
    meter: FakeOtpSmsMeter = field(default_factory=FakeOtpSmsMeter)
    policy: AuthPolicy = field(default_factory=AuthPolicy)
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def views(self) -> FakeAccountViews:
        return FakeAccountViews(self.uow)

    def sign_up(
        self,
        email: str = "ada@example.com",
        phone: str | None = None,
        *,
        verified: bool = True,
        password: str = PASSWORD,
    ) -> User:
        """Sign up, then (unless ``verified`` is False) follow the welcome email's link and,
        with a ``phone``, prove it with the texted code, as a client would."""
        cmd = SignUp(email=email, password=password, name="Ada", phone=phone)
        accounts.sign_up(cmd, ORIGIN, self.uow, self.hasher, self.throttle, self.policy, self.clock)
        user = self.uow.users.get_by_email(email.lower())
        assert user is not None
        if verified:
            token = self.events_of(UserRegistered)[-1].verification_token
            verification.verify_email(
                VerifyEmail(token), ORIGIN, self.uow, self.tokens, self.policy, self.clock
            )
            if phone is not None:
                self.prove_phone(user, phone)
        return self.stored(user)

    def principal(self, user: User) -> Principal:
        session = self.uow.sessions.active_for_user(user.id)[0]
        return Principal(user.id, frozenset(user.roles), session.id)

    def prove_phone(self, user: User, phone: str) -> User:
        principal = self.principal(user)
        phones.request_phone_code(
            principal, AddPhone(phone), ORIGIN, self.uow, self.throttle, self.meter,
            self.policy, self.clock,
        )  # fmt: skip
        code = self.events_of(PhoneVerificationRequested)[-1].code
        return phones.verify_phone(
            principal, VerifyPhone(phone, code), ORIGIN, self.uow, self.throttle, self.policy,
            self.clock,
        )  # fmt: skip

    def log_in(self, email: str = "ada@example.com", password: str = PASSWORD) -> TokenPair:
        return sessions.log_in(
            LogIn(email, password),
            ORIGIN,
            self.uow,
            self.hasher,
            self.tokens,
            self.throttle,
            self.policy,
            self.clock,
        )

    def stored(self, user: User) -> User:
        """The user as committed (what a use case returned is a copy, as with a database)."""
        stored = self.uow.users.get(user.id)
        assert stored is not None
        return stored

    def events_of(self, kind: type) -> list:
        return [event for event in self.uow.events if isinstance(event, kind)]


@pytest.fixture
def world() -> World:
    # The in-memory revocation list compares with the wall clock; our clock is in 2030,
    # so revocations written "until 2030" stay in force for the whole test.
    return World()
