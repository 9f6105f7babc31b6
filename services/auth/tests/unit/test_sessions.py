import uuid
from datetime import timedelta

import pytest

from keel_auth.domain.commands import LogOut, RefreshSession
from keel_auth.domain.errors import InvalidRefreshToken, Unauthenticated
from keel_auth.domain.events import SessionRevoked, TokenReuseDetected
from keel_auth.domain.model import AuditAction
from keel_auth.service_layer import sessions
from keel_auth.service_layer.steps import TokenPair
from keel_common.auth import Principal

from .conftest import ORIGIN, World, current_user


def refresh(world: World, token: str) -> TokenPair:
    return sessions.refresh_session(
        RefreshSession(token),
        ORIGIN,
        world.uow,
        world.tokens,
        world.revocations,
        world.policy,
        world.clock,
    )


def principal_of(world: World, pair: TokenPair) -> Principal:
    claims = world.tokens.decode(pair.access_token)
    return Principal(uuid.UUID(claims["sub"]), frozenset(claims["roles"]), uuid.UUID(claims["sid"]))


def log_out(world: World, pair: TokenPair, refresh_token: str | None = None) -> None:
    sessions.log_out(
        principal_of(world, pair),
        LogOut(refresh_token),
        ORIGIN,
        world.uow,
        world.revocations,
        world.policy,
        world.clock,
    )


def test_refresh_rotates_within_the_same_session(world: World) -> None:
    world.sign_up()
    first = world.log_in()

    second = refresh(world, first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert principal_of(world, second).session_id == principal_of(world, first).session_id


def test_an_unknown_refresh_token_is_refused(world: World) -> None:
    with pytest.raises(InvalidRefreshToken):
        refresh(world, "made-up")


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(world: World) -> None:
    user = world.sign_up()
    first = world.log_in()
    second = refresh(world, first.refresh_token)
    session_id = principal_of(world, first).session_id

    with pytest.raises(InvalidRefreshToken):
        refresh(world, first.refresh_token)

    with pytest.raises(InvalidRefreshToken):
        refresh(world, second.refresh_token)  # the newest one stopped working too
    assert world.revocations.is_revoked(session_id)  # and its access tokens, everywhere
    [reuse] = world.events_of(TokenReuseDetected)
    assert (reuse.user_id, reuse.email, reuse.session_id) == (user.id, user.email, session_id)
    [revoked] = world.events_of(SessionRevoked)
    assert revoked.reason == "refresh_token_reuse"
    assert AuditAction.TOKEN_REUSE_DETECTED in [e.action for e in world.uow.audit.entries]
    with pytest.raises(Unauthenticated):
        current_user(principal_of(world, second), world.views)


def test_reuse_does_not_touch_the_users_other_sessions(world: World) -> None:
    world.sign_up()
    phone_login = world.log_in()
    laptop_login = world.log_in()
    refresh(world, phone_login.refresh_token)

    with pytest.raises(InvalidRefreshToken):
        refresh(world, phone_login.refresh_token)

    assert refresh(world, laptop_login.refresh_token).access_token


def test_an_expired_refresh_token_is_refused_without_revoking(world: World) -> None:
    world.sign_up()
    pair = world.log_in()
    world.clock.advance(timedelta(days=30))

    with pytest.raises(InvalidRefreshToken):
        refresh(world, pair.refresh_token)
    assert world.events_of(TokenReuseDetected) == []


def test_logout_revokes_the_session_and_its_tokens(world: World) -> None:
    world.sign_up()
    pair = world.log_in()
    principal = principal_of(world, pair)

    log_out(world, pair)

    assert world.revocations.is_revoked(principal.session_id)
    [event] = world.events_of(SessionRevoked)
    assert event.tokens_expire_at == world.clock.now + timedelta(minutes=15, seconds=30)
    with pytest.raises(InvalidRefreshToken):
        refresh(world, pair.refresh_token)
    with pytest.raises(Unauthenticated):
        current_user(principal, world.views)
    assert world.uow.audit.entries[-1].action is AuditAction.LOGOUT


def test_logout_twice_is_unauthenticated(world: World) -> None:
    world.sign_up()
    pair = world.log_in()
    log_out(world, pair)
    with pytest.raises(Unauthenticated):
        log_out(world, pair)


def test_logout_with_the_refresh_token_of_another_own_session_ends_both(world: World) -> None:
    world.sign_up()
    here, there = world.log_in(), world.log_in()

    log_out(world, here, refresh_token=there.refresh_token)

    assert world.revocations.is_revoked(principal_of(world, there).session_id)


def test_logout_ignores_the_refresh_token_of_someone_else(world: World) -> None:
    world.sign_up()
    world.sign_up(email="bob@example.com")
    mine, bobs = world.log_in(), world.log_in(email="bob@example.com")

    log_out(world, mine, refresh_token=bobs.refresh_token)

    assert not world.revocations.is_revoked(principal_of(world, bobs).session_id)
    assert refresh(world, bobs.refresh_token).access_token


def test_current_user_is_the_tokens_user(world: World) -> None:
    user = world.sign_up()
    assert current_user(principal_of(world, world.log_in()), world.views)["id"] == str(user.id)


def test_introspection_reports_live_tokens_only(world: World) -> None:
    world.sign_up()
    pair = world.log_in()
    assert sessions.introspect(pair.access_token, world.uow, world.tokens) is not None

    log_out(world, pair)

    assert sessions.introspect(pair.access_token, world.uow, world.tokens) is None
    assert sessions.introspect("garbage", world.uow, world.tokens) is None


def test_refreshing_does_not_extend_a_session_past_its_absolute_lifetime(world: World) -> None:
    world.sign_up()
    pair = world.log_in()
    for _ in range(3):  # a client refreshing every 29 days keeps going until day 90
        world.clock.advance(timedelta(days=29))
        pair = refresh(world, pair.refresh_token)
    world.clock.advance(timedelta(days=3))  # day 90

    with pytest.raises(InvalidRefreshToken):
        refresh(world, pair.refresh_token)
    sid = uuid.UUID(world.tokens.decode(pair.access_token)["sid"])
    assert world.uow.sessions.rows[sid].revoke_reason == "max_age"


def test_the_last_refresh_token_expires_with_the_session(world: World) -> None:
    world.sign_up()
    pair = world.log_in()
    for days in (29, 29, 22):  # day 80: a full 30-day token would outlive the session
        world.clock.advance(timedelta(days=days))
        pair = refresh(world, pair.refresh_token)
    sid = uuid.UUID(world.tokens.decode(pair.access_token)["sid"])
    [token] = [
        t for t in world.uow.refresh_tokens.rows.values() if t.session_id == sid and not t.spent_at
    ]
    assert token.expires_at == world.uow.sessions.rows[sid].created_at + timedelta(days=90)
