"""A world of fakes for the auth use cases: no database, no sockets, a clock we control."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from keel_auth.adapters.fakes import (
    FakeAccessTokens,
    FakeOtpSmsMeter,
    FakePasswordHasher,
    FakeThrottle,
    FakeUnitOfWork,
)
from keel_auth.domain.commands import LogIn, Origin, SignUp
from keel_auth.domain.model import User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer import accounts, sessions
from keel_auth.service_layer.steps import TokenPair
from keel_common.auth import InMemoryRevocationList

PASSWORD = "correct horse battery staple"
ORIGIN = Origin(ip="203.0.113.7", user_agent="pytest")


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

    def sign_up(self, email: str = "ada@example.com", phone: str | None = None) -> User:
        cmd = SignUp(email=email, password=PASSWORD, name="Ada", phone=phone)
        return accounts.sign_up(cmd, ORIGIN, self.uow, self.hasher, self.policy, self.clock)

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
