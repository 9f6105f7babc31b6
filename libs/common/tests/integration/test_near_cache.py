"""Leased copies in the process (``keel_common.cache.near``) against a real Redis, with the
holders in processes of their own: a write must not answer while any live holder could
still answer the old copy, and a holder that dies or goes silent must not hold writes for
longer than its lease, nor answer from its copies once the lease is over."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from keel_common.cache import GenerationalCache, LeasedCopies, RedisStore
from keel_common.testing import eventually

from .relays import FreezingRelay

HOLDER = str(Path(__file__).with_name("near_holder.py"))


class Holder:
    """``near_holder.py`` in a process of its own."""

    def __init__(self, url: str, name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, HOLDER, url, name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def ask(self, *command: str) -> list[str]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(" ".join(command) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().split()

    def read(self, key: str) -> list[str]:
        return self.ask("read", key, key + ":gen")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe:
                pipe.close()


@pytest.fixture
def name() -> str:
    """The copies' key and channel prefix, this test's own."""
    return "keel:test:" + secrets.token_hex(4)


@pytest.fixture
def holders(redis_url: str) -> Iterator[list[Holder]]:
    """Holders started by the test (after its Redis database was emptied), killed after it."""
    started: list[Holder] = []
    yield started
    for holder in started:
        holder.kill()


_STARTED: list[LeasedCopies] = []


@pytest.fixture(autouse=True)
def _stop_holders_of_this_process() -> Iterator[None]:
    yield
    while _STARTED:
        _STARTED.pop().stop()


def _writer(url: str, name: str) -> tuple[GenerationalCache, list[str]]:
    """A cache in this process (it holds copies too, once it has read)."""
    results: list[str] = []
    _STARTED.append(near := LeasedCopies(url, name))
    return GenerationalCache(RedisStore(url), on_invalidation=results.append, near=near), results


def _fill(cache: GenerationalCache, key: str, payload: bytes) -> None:
    entry = cache.read("test", key, key + ":gen")
    cache.fill(key, entry.generation, payload)


@pytest.fixture
def relayed_holder(
    redis_url: str, name: str, holders: list[Holder]
) -> Iterator[tuple[Holder, FreezingRelay]]:
    """A holder that reaches Redis through a ``FreezingRelay``, once it holds a copy of
    ``k`` ("old") filled by this process."""
    kwargs = redis.Redis.from_url(redis_url).connection_pool.connection_kwargs
    with FreezingRelay("127.0.0.1", kwargs["port"]) as relay:
        relayed = Holder(f"redis://127.0.0.1:{relay.port}/{kwargs.get('db', 0)}", name)
        yield _holding_old(_writer(redis_url, name)[0], holders, relayed), relay


def _holding_old(writer: GenerationalCache, holders: list[Holder], holder: Holder) -> Holder:
    """``holder`` (now in ``holders``) once it holds a copy of ``k``, "old", that
    ``writer`` filled."""
    holders.append(holder)
    _fill(writer, "k", b"old")
    eventually(lambda: _holds(holder, "k", "old"), "the holder's copy")
    return holder


def _holds(holder: Holder, key: str, payload: str) -> bool:
    return holder.read(key) == ["near_hit", payload]


def test_a_hit_is_copied_and_answered_without_a_round_trip(redis_url: str, name: str) -> None:
    results: list[str] = []
    _STARTED.append(near := LeasedCopies(redis_url, name))
    cache = GenerationalCache(
        RedisStore(redis_url), on_read=lambda kind, result: results.append(result), near=near
    )
    _fill(cache, "k", b"one")
    eventually(lambda: cache.read("test", "k", "k:gen").payload == b"one" and
               results[-1] == "near_hit", "a copy answered from the process")  # fmt: skip
    del results[:]
    assert [cache.read("test", "k", "k:gen").payload for _ in range(20)] == [b"one"] * 20
    assert results == ["near_hit"] * 20  # no MGET: "hit" is counted only after one


def test_a_hit_read_with_extra_keys_is_copied_only_while_they_are_absent(
    redis_url: str, name: str
) -> None:
    """An ``also`` key (auth's denylist) read with the value: a copy is kept only while the
    key is absent, answers it as absent, and is dropped when the key is announced."""
    results: list[str] = []
    _STARTED.append(near := LeasedCopies(redis_url, name))
    cache = GenerationalCache(
        RedisStore(redis_url), on_read=lambda kind, result: results.append(result), near=near
    )
    client = redis.Redis.from_url(redis_url)

    def read(key: str) -> tuple[bytes | None, tuple[bytes | None, ...]]:
        entry = cache.read("test", key, key + ":gen", key + ":denied")
        if entry.payload is None:
            cache.fill(key, entry.generation, b"view")
        return entry.payload, entry.also

    client.set("a:denied", b"1")  # present from the start: never copied
    for key in ("a", "b"):
        read(key)
    eventually(lambda: read("b") == (b"view", (None,)) and results[-1] == "near_hit", "a copy")
    assert [read("a") for _ in range(5)] == [(b"view", (b"1",))] * 5
    assert "near_hit" not in results[-5:]  # every read of "a" was a round trip

    client.set("b:denied", b"1")
    near.announce(["b:denied"])  # what the denylist's writer does once it wrote the key
    assert read("b") == (b"view", (b"1",))
    assert results[-1] == "hit"  # read from Redis again, with the key now present


def test_a_write_answers_only_after_every_holder_dropped_its_copy(
    redis_url: str, name: str, holders: list[Holder]
) -> None:
    writer, invalidations = _writer(redis_url, name)
    holders += [Holder(redis_url, name), Holder(redis_url, name)]
    for n in range(3):
        _fill(writer, "k", b"v%d" % n)
        for holder in holders:
            eventually(lambda: _holds(holder, "k", f"v{n}"), "the holder's copy")  # noqa: B023
            # Its thread now takes its time over each invalidation, as one starved of the
            # GIL would: the write must wait for it, not answer first.
            assert holder.ask("slow", "0.3") == ["ok"]
        writer.invalidate(["k:gen"])
        assert invalidations[-1] == "done"
        for holder in holders:
            assert holder.read("k") == ["miss", "-"]


def test_a_killed_holder_holds_writes_for_one_lease_only(
    redis_url: str, name: str, holders: list[Holder]
) -> None:
    writer, invalidations = _writer(redis_url, name)
    _holding_old(writer, holders, Holder(redis_url, name)).kill()
    writer.invalidate(["k:gen"])  # returns once the dead holder's lease is over
    assert invalidations == ["done"]  # not "failed": the wait for acknowledgements ended


def test_a_holder_whose_channel_goes_silent_stops_answering_its_copies(
    redis_url: str, name: str, relayed_holder: tuple[Holder, FreezingRelay]
) -> None:
    holder, relay = relayed_holder
    writer, invalidations = _writer(redis_url, name)
    relay.freeze()  # nothing passes, nothing is closed: no error reaches the holder
    writer.invalidate(["k:gen"])
    assert invalidations == ["done"]
    assert holder.read("k") != ["near_hit", "old"]
    relay.thaw()
    eventually(lambda: holder.read("k") == ["miss", "-"], "the holder reading through")


def test_a_holder_whose_lease_ended_drops_its_copies_when_it_renews(
    redis_url: str, name: str, holders: list[Holder]
) -> None:
    writer, _ = _writer(redis_url, name)
    holder = _holding_old(writer, holders, Holder(redis_url, name))
    # As if its thread had stalled past the lease: writers no longer wait for it.
    redis.Redis.from_url(redis_url).delete(f"{name}:leases")
    eventually(lambda: holder.read("k") == ["hit", "old"], "the copy dropped at renewal")


def test_a_write_redis_cannot_take_answers_after_every_lease_could_end(
    name: str, relayed_holder: tuple[Holder, FreezingRelay]
) -> None:
    holder, relay = relayed_holder
    # Redis is unreachable for everyone; the holder has not noticed yet (nothing closed).
    relay.freeze()
    cut_off, invalidations = _writer("redis://127.0.0.1:1/0", name)
    cut_off.invalidate(["k:gen"])
    assert invalidations == ["failed"]
    assert holder.read("k") != ["near_hit", "old"]
