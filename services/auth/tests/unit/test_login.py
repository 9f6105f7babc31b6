import uuid

import pytest

from keel_auth.domain.errors import EmailNotVerified, InvalidCredentials, Throttled
from keel_auth.domain.model import AuditAction, hash_secret

from .conftest import ORIGIN, World


def test_login_returns_a_bearer_pair_for_a_new_session(world: World) -> None:
    user = world.sign_up()

    pair = world.log_in()

    assert pair.token_type == "Bearer"
    assert pair.expires_in == 900
    claims = world.tokens.decode(pair.access_token)
    assert claims["sub"] == str(user.id)
    assert world.uow.sessions.rows[uuid.UUID(claims["sid"])].is_active
    assert len(pair.refresh_token) >= 43  # 256 bits, url-safe base64


def test_refresh_tokens_are_stored_only_hashed(world: World) -> None:
    world.sign_up()
    pair = world.log_in()

    assert hash_secret(pair.refresh_token) in world.uow.refresh_tokens.rows
    assert all(pair.refresh_token not in stored for stored in world.uow.refresh_tokens.rows)


def test_a_wrong_password_and_an_unknown_email_fail_the_same_way(world: World) -> None:
    world.sign_up()

    with pytest.raises(InvalidCredentials) as wrong_password:
        world.log_in(password="not the right password")
    with pytest.raises(InvalidCredentials) as unknown_email:
        world.log_in(email="nobody@example.com")

    assert str(wrong_password.value) == str(unknown_email.value)


def test_an_unknown_email_still_pays_for_a_password_check(world: World) -> None:
    calls: list[object] = []
    original = world.hasher.verify
    world.hasher.verify = lambda h, p: calls.append(h) or original(h, p)  # type: ignore[method-assign]

    with pytest.raises(InvalidCredentials):
        world.log_in(email="nobody@example.com")

    assert calls == [None]


def test_failures_are_audited_and_successes_too(world: World) -> None:
    world.sign_up()
    with pytest.raises(InvalidCredentials):
        world.log_in(password="not the right password")
    world.log_in()

    actions = [entry.action for entry in world.uow.audit.entries]
    assert actions[-2:] == [AuditAction.LOGIN_FAILED, AuditAction.LOGIN_SUCCEEDED]
    failed = world.uow.audit.entries[-2]
    assert (failed.ip, failed.user_agent) == (ORIGIN.ip, ORIGIN.user_agent)


def test_after_ten_failures_even_the_right_password_is_throttled(world: World) -> None:
    world.sign_up()
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            world.log_in(password="not the right password")

    with pytest.raises(Throttled) as caught:
        world.log_in()
    assert caught.value.retry_after == 600


def test_failures_on_one_account_do_not_throttle_another(world: World) -> None:
    world.sign_up()
    world.sign_up(email="bob@example.com")
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            world.log_in(password="not the right password")

    assert world.log_in(email="bob@example.com").access_token


def test_every_attempt_is_reserved_before_the_password_is_checked(world: World) -> None:
    """The budget is taken before argon2 runs, so it holds against parallel guesses (the
    integration test sends them concurrently); a success spends a slot as well."""
    world.sign_up()
    checked: list[object] = []
    original = world.hasher.verify
    world.hasher.verify = lambda h, p: checked.append(h) or original(h, p)  # type: ignore[method-assign]
    for _ in range(10):
        world.log_in()

    with pytest.raises(Throttled):
        world.log_in()
    assert len(checked) == 10


def test_the_right_password_of_an_unverified_account_is_refused(world: World) -> None:
    world.sign_up(verified=False)

    with pytest.raises(EmailNotVerified):
        world.log_in()
    with pytest.raises(InvalidCredentials):  # only the right password learns it
        world.log_in(password="not the right password")
    assert world.uow.sessions.rows == {}


def test_login_rehashes_a_password_hashed_with_old_parameters(world: World) -> None:
    user = world.sign_up()
    world.hasher.version = 2

    world.log_in()

    stored = world.stored(user)
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("fake:v2:")
    world.log_in()  # and the new hash still verifies
