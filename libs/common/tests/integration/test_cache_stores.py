"""The caches' Redis store against a real Redis: its reads use a connection of the
calling thread's own, outside the client's pool, so what the pool did for them (replace a
connection the server dropped, fail on a server that is down) is checked here."""

from __future__ import annotations

import threading

import pytest
import redis

from keel_common.cache import CacheUnavailable, RedisStore
from keel_common.testing import free_port


def _drop_store_connections(url: str) -> int:
    """Close, server side, every connection to this test's database but the caller's own."""
    client = redis.Redis.from_url(url)
    database = client.connection_pool.connection_kwargs.get("db", 0)
    own = client.client_id()
    dropped = 0
    for connection in client.client_list():
        if int(connection["db"]) == database and int(connection["id"]) != own:
            dropped += client.client_kill_filter(_id=connection["id"])
    client.close()
    return dropped


def test_reads_answer_what_writes_stored(redis_url: str) -> None:
    store = RedisStore(redis_url)
    store.set_many({"k1": b"one", "k2": b"two"}, ttl=60)
    assert store.get_many(["k1", "missing", "k2"]) == [b"one", None, b"two"]
    assert store.setdefault("k1", b"other", ttl=60) == b"one"


def test_a_read_after_the_server_dropped_its_connection_is_answered(redis_url: str) -> None:
    store = RedisStore(redis_url)
    store.set_many({"k": b"v"}, ttl=60)
    assert store.get_many(["k"]) == [b"v"]  # the reading connection now exists
    assert _drop_store_connections(redis_url) >= 1
    assert store.get_many(["k"]) == [b"v"]


def test_each_thread_reads_on_its_own_connection(redis_url: str) -> None:
    store = RedisStore(redis_url)
    store.set_many({"k": b"v"}, ttl=60)
    answers: list[list[bytes | None]] = []
    threads = [
        threading.Thread(target=lambda: answers.extend(store.get_many(["k"]) for _ in range(50)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [[b"v"]] * 200


def test_a_server_that_is_down_is_cache_unavailable() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(CacheUnavailable):
        store.get_many(["k"])
    with pytest.raises(CacheUnavailable):
        store.set_many({"k": b"v"}, ttl=60)
