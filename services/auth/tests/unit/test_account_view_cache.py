"""``GET /v1/auth/me``'s cache over fakes: a hit reads no database, every committed write to
the user or their sessions is seen by the next read, the denylist read with it refuses a
revoked session, and a store that is down is the database's answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel_auth.adapters.fakes_views import FakeAccountViews
from keel_auth.adapters.metrics import ACCOUNT_VIEW_CACHE_READS
from keel_auth.adapters.view_cache import (
    AnnouncedRevocations,
    CachedAccountViews,
    body_of,
    stored,
)
from keel_auth.domain.commands import ChangePassword, LogOut, UpdateProfile
from keel_auth.domain.errors import Unauthenticated
from keel_auth.domain.model import User
from keel_auth.service_layer import account, sessions
from keel_auth.service_layer.views import AccountView
from keel_common.auth import InMemoryRevocationList, Principal
from keel_common.cache import InMemoryStore

from .conftest import ORIGIN, PASSWORD, World, current_user, rendered


class CountingViews(FakeAccountViews):
    """The database: counts its reads."""

    reads = 0

    def of_live_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> AccountView | None:
        self.reads += 1
        return super().of_live_session(session_id, user_id)


def _revoked(session_id: uuid.UUID) -> str:
    return f"revoked:{session_id}"


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def database(world: World) -> CountingViews:
    return CountingViews(world.uow)


@pytest.fixture
def views(world: World, database: CountingViews, store: InMemoryStore) -> CachedAccountViews:
    cached = CachedAccountViews(database, store, revoked_key=_revoked)
    world.uow.views = cached
    return cached


@pytest.fixture
def ada(world: World, views: CachedAccountViews) -> User:
    return world.sign_up()


def _me(world: World, views: CachedAccountViews, user: User) -> dict[str, Any]:
    return current_user(world.principal(user), views)


def _reads(result: str) -> float:
    return ACCOUNT_VIEW_CACHE_READS.labels(result)._value.get()  # type: ignore[no-any-return]


def test_a_second_read_is_served_without_the_database(
    world: World, views: CachedAccountViews, database: CountingViews, ada: User
) -> None:
    hits = _reads("hit")
    first, second = _me(world, views, ada), _me(world, views, ada)

    assert first == second and second["name"] == "Ada"
    assert database.reads == 1
    assert _reads("hit") == hits + 1


def test_a_profile_change_is_read_at_once(
    world: World, views: CachedAccountViews, ada: User
) -> None:
    _me(world, views, ada)
    account.update_profile(
        world.principal(ada), UpdateProfile(name="Countess"), ORIGIN, world.uow, world.clock
    )
    assert _me(world, views, ada)["name"] == "Countess"


def test_a_logged_out_session_is_refused_at_once(
    world: World, views: CachedAccountViews, ada: User
) -> None:
    principal = world.principal(ada)
    current_user(principal, views)
    sessions.log_out(
        principal, LogOut(), ORIGIN, world.uow, world.revocations, world.policy, world.clock
    )
    with pytest.raises(Unauthenticated):
        current_user(principal, views)


def test_an_ended_session_leaves_no_copy_of_the_account_in_the_store(
    world: World, views: CachedAccountViews, store: InMemoryStore, ada: User
) -> None:
    """Not only a miss behind a replaced generation: the copy is overwritten, so an erased
    account's name and address do not wait for the cache's expiry."""
    principal = world.principal(ada)
    current_user(principal, views)
    assert any(ada.email.encode() in value for value in store.values.values())

    sessions.log_out(
        principal, LogOut(), ORIGIN, world.uow, world.revocations, world.policy, world.clock
    )
    assert not any(ada.email.encode() in value for value in store.values.values())


def test_a_password_change_ends_the_other_sessions_at_once(
    world: World, views: CachedAccountViews, ada: User
) -> None:
    world.log_in()
    this, other = world.uow.sessions.active_for_user(ada.id)
    principal_of = {s.id: Principal(ada.id, frozenset(ada.roles), s.id) for s in (this, other)}
    for principal in principal_of.values():
        current_user(principal, views)
    account.change_password(
        principal_of[this.id], ChangePassword(PASSWORD, "another long passphrase 42"), ORIGIN,
        world.uow, world.hasher, world.revocations, world.throttle, world.policy, world.clock,
    )  # fmt: skip
    assert current_user(principal_of[this.id], views)["id"] == str(ada.id)
    with pytest.raises(Unauthenticated):
        current_user(principal_of[other.id], views)


def test_a_denylisted_session_is_refused_even_on_a_hit(
    world: World, views: CachedAccountViews, store: InMemoryStore, ada: User
) -> None:
    principal = world.principal(ada)
    current_user(principal, views)
    store.values[_revoked(principal.session_id)] = b"1"  # revoked, generation not yet replaced

    with pytest.raises(Unauthenticated):
        current_user(principal, views)


def test_a_store_that_is_down_answers_from_the_database(
    world: World, views: CachedAccountViews, store: InMemoryStore, ada: User
) -> None:
    _me(world, views, ada)
    store.down = True
    account.update_profile(
        world.principal(ada), UpdateProfile(name="Countess"), ORIGIN, world.uow, world.clock
    )
    unavailable = _reads("unavailable")

    assert _me(world, views, ada)["name"] == "Countess"
    assert _reads("unavailable") == unavailable + 1


def test_a_cached_copy_is_only_ever_its_own_users(
    world: World, views: CachedAccountViews, store: InMemoryStore, ada: User
) -> None:
    body = sessions.current_user(world.principal(ada), views, rendered)
    copy = stored(ada.id, body)

    assert any(value.endswith(copy) for value in store.values.values())  # after its generation
    assert body_of(copy, ada.id) == body
    assert body_of(copy, uuid.uuid4()) is None


def test_a_hit_is_the_rendering_stored_not_rendered_again(
    world: World, views: CachedAccountViews, ada: User
) -> None:
    renders: list[AccountView] = []

    def counted(view: AccountView) -> bytes:
        renders.append(view)
        return rendered(view)

    principal = world.principal(ada)
    first = sessions.current_user(principal, views, counted)
    second = sessions.current_user(principal, views, counted)

    assert first == second and len(renders) == 1


class RecordingCopies:
    """A ``NearCopies`` that records what is announced."""

    def __init__(self) -> None:
        self.announced: list[list[str]] = []

    def announce(self, keys: Any) -> None:
        self.announced.append(list(keys))


def test_sessions_revoked_together_are_announced_together() -> None:
    """Signing an account out everywhere writes the denylist once and announces once: each
    announcement waits for every process holding copies, so one per session would make
    an account on many devices wait that many times."""
    near = RecordingCopies()
    revocations = AnnouncedRevocations(InMemoryRevocationList(), near, _revoked)  # type: ignore[arg-type]
    sessions_ = [uuid.uuid4() for _ in range(5)]
    revocations.revoke_many(sessions_, datetime.now(UTC) + timedelta(minutes=16))
    assert near.announced == [[_revoked(session_id) for session_id in sessions_]]
    assert all(revocations.is_revoked(session_id) for session_id in sessions_)
