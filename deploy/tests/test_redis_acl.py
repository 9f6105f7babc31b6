"""The Redis users Terraform gives each service, applied to a real ``redis-server``: what the
services do with Redis must be allowed, and no more than their own prefixes.

ElastiCache takes Redis ACL access strings; this reads the one ``terraform/modules/redis``
builds and the prefixes ``terraform/modules/platform`` gives core, applies them with
``ACL SETUSER`` on a server of the test's own, and runs core's product cache and auth's
account view cache, copies in the process and their leases included, as those users.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from keel_auth.adapters.metrics import ACCOUNT_VIEW_CACHE_READS
from keel_auth.adapters.throttle import LimitsThrottle, create_storage
from keel_auth.adapters.view_cache import NEAR_PREFIX as VIEW_COPIES
from keel_auth.adapters.view_cache import AnnouncedRevocations, CachedAccountViews
from keel_auth.domain.errors import Throttled
from keel_auth.domain.policy import Limit
from keel_auth.service_layer.views import AccountView, AccountViews
from keel_common.auth.revocation import RedisRevocationList
from keel_common.cache import GenerationalCache, LeasedCopies, RedisStore
from keel_common.testing import eventually
from keel_common.testing.replicas import own_redis_server
from keel_core.adapters.product_cache import NEAR_PREFIX, PAGE_GENERATION

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform" / "modules"
SERVICES = ("auth", "core", "notification", "search")
FOR_PREFIX = re.compile(r'\[for prefix in each\.value\.(\w+) : "([^"]*)"\]')


def service_keys(service: str) -> dict[str, list[str]]:
    """``redis_service_keys[service]`` of the platform module, for one service."""
    text = (TERRAFORM / "platform" / "main.tf").read_text()
    read_write = re.search(r"read_write = (\[.*\])", text)
    read_only = re.search(r'read_only\s*=\s*contains\(\["auth"\], svc\) \? \[\] : (\[.*\])', text)
    assert read_write and read_only, "platform/main.tf: redis_service_keys changed shape"
    own = json.loads(read_write.group(1).replace("${svc}", service))
    return {
        "read_write": own,
        "read_only": [] if service == "auth" else json.loads(read_only.group(1)),
    }


def access_string(service: str) -> str:
    """The ``access_string`` of ``aws_elasticache_user.service`` for ``service``."""
    text = (TERRAFORM / "redis" / "main.tf").read_text()
    body = re.search(r'access_string = join\(" ", concat\(\n(.*?)\n  \)\)', text, re.S)
    assert body, "redis/main.tf: the access string changed shape"
    keys, rules = service_keys(service), []
    for line in body.group(1).splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("#") or not line:
            continue
        if each := FOR_PREFIX.fullmatch(line):
            rules += [each.group(2).replace("${prefix}", p) for p in keys[each.group(1)]]
        else:
            rules += json.loads(line)
    return " ".join(rules)


@pytest.fixture
def users(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A ``redis-server`` of this test's own with every service's user: its URL per service."""
    with own_redis_server(tmp_path) as server:
        admin = redis.Redis.from_url(server.url)
        for service in SERVICES:
            rules = access_string(service).split()
            admin.execute_command("ACL", "SETUSER", service, *rules, f">{service}-secret")
        admin.close()
        yield {s: f"redis://{s}:{s}-secret@127.0.0.1:{server.port}/0" for s in SERVICES}


@pytest.fixture
def as_core(users: dict[str, str]) -> str:
    return users["core"]


def test_core_runs_its_product_cache_with_copies_as_its_own_user(as_core: str) -> None:
    near = LeasedCopies(as_core, NEAR_PREFIX)
    reads: list[str] = []
    invalidations: list[str] = []
    cache = GenerationalCache(
        RedisStore(as_core), on_read=lambda kind, result: reads.append(result),
        on_invalidation=invalidations.append, near=near,
    )  # fmt: skip
    try:
        key = "keel:core:first-page:20"
        entry = cache.read("first_page", key, PAGE_GENERATION)
        cache.fill(key, entry.generation, b"[]")
        eventually(lambda: cache.read("first_page", key, PAGE_GENERATION).payload == b"[]"
                   and reads[-1] == "near_hit", "a copy answered in the process")  # fmt: skip
        cache.invalidate([PAGE_GENERATION])
        assert invalidations == ["done"]
        assert cache.read("first_page", key, PAGE_GENERATION).payload is None
    finally:
        near.stop()


def test_core_may_not_use_another_services_keys_or_channels(as_core: str) -> None:
    client = redis.Redis.from_url(as_core)
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.set("keel:auth:revoked-session:x", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.publish("keel:auth:anything", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.flushall()
    assert client.get("keel:auth:revoked-session:x") is None  # read-only: allowed
    client.close()


def test_auth_throttles_and_revokes_and_the_others_read_its_revocations(
    users: dict[str, str],
) -> None:
    throttle = LimitsThrottle(create_storage(users["auth"], Path("unused")), b"k" * 32)
    limit = Limit(2, 60)
    throttle.hit("login", "ada@example.com", limit)
    throttle.hit("login", "ada@example.com", limit)
    with pytest.raises(Throttled):
        throttle.check("login", "ada@example.com", limit)
    throttle.clear("login", "ada@example.com", limit)
    assert throttle.remaining("login", "ada@example.com", limit) == 2

    session = uuid.uuid4()
    RedisRevocationList.from_url(users["auth"]).revoke(
        session, datetime.now(UTC) + timedelta(hours=1)
    )
    for service in ("core", "notification", "search"):
        assert RedisRevocationList.from_url(users[service]).is_revoked(session), service
        with pytest.raises(redis.exceptions.NoPermissionError):
            RedisRevocationList.from_url(users[service]).revoke(
                uuid.uuid4(), datetime.now(UTC) + timedelta(hours=1)
            )


class OneAccount(AccountViews):
    """The database's answer, the same account for any live session."""

    def __init__(self) -> None:
        self.view = AccountView(
            uuid.uuid4(), "ada@example.com", None, None, False, None, [], True, None,
            datetime.now(UTC),
        )  # fmt: skip

    def of_live_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> AccountView | None:
        return self.view


def test_auth_runs_its_account_views_with_copies_and_announces_revocations_as_its_own_user(
    users: dict[str, str],
) -> None:
    near = LeasedCopies(users["auth"], VIEW_COPIES)
    revocations = AnnouncedRevocations(
        RedisRevocationList.from_url(users["auth"]), near, RedisRevocationList.key
    )
    database = OneAccount()
    views = CachedAccountViews(
        database, RedisStore(users["auth"]), revoked_key=RedisRevocationList.key, near=near
    )
    session, user, copied = uuid.uuid4(), database.view.id, ACCOUNT_VIEW_CACHE_READS.labels

    def read() -> bytes | None:
        return views.document_of_live_session(session, user, lambda view: view.email.encode())

    try:
        before = copied("near_hit")._value.get()
        eventually(lambda: read() == b"ada@example.com" and
                   copied("near_hit")._value.get() > before, "a copy answered")  # fmt: skip
        views.forget([user], [session])
        assert read() == b"ada@example.com"
        revocations.revoke(session, datetime.now(UTC) + timedelta(hours=1))
        assert read() is None
    finally:
        near.stop()
