"""The generational cache protocol over an in-memory store: stale fills are never served,
an unreachable store is a miss that is not asked again at once, and an invalidation that
could not be stored is replayed before this process trusts the store again."""

from __future__ import annotations

import pytest

from keel_common.cache import CacheUnavailable, GenerationalCache, InMemoryStore


class CountingStore(InMemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        self.reads += 1
        return super().get_many(keys)


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def results() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def cache(store: CountingStore, results: list[tuple[str, str]]) -> GenerationalCache:
    return GenerationalCache(
        store,
        on_read=lambda kind, result: results.append((kind, result)),
        on_invalidation=lambda result: results.append(("invalidation", result)),
    )


def test_a_fill_is_served_until_its_generation_is_replaced(cache: GenerationalCache) -> None:
    miss = cache.read("k", "value", "gen")
    cache.fill("value", miss.generation, b"one")
    assert cache.read("k", "value", "gen").payload == b"one"

    cache.invalidate(["gen"])

    assert cache.read("k", "value", "gen").payload is None


def test_a_fill_from_a_read_older_than_a_write_is_never_served(cache: GenerationalCache) -> None:
    slow = cache.read("k", "value", "gen")  # a reader reads the generation, then the row...
    cache.invalidate(["gen"])  # ...a write commits and replaces the generation...
    cache.fill("value", slow.generation, b"old row")  # ...and the slow reader fills

    assert cache.read("k", "value", "gen").payload is None


def test_extra_keys_are_read_in_the_same_round_trip(
    cache: GenerationalCache, store: CountingStore
) -> None:
    store.values["denied"] = b"1"
    miss = cache.read("k", "value", "gen", "denied", "absent")
    cache.fill("value", miss.generation, b"one")
    before = store.reads

    hit = cache.read("k", "value", "gen", "denied", "absent")

    assert (hit.payload, hit.also, store.reads - before) == (b"one", (b"1", None), 1)


def test_an_unreachable_store_is_a_miss_not_asked_again_at_once(
    cache: GenerationalCache, store: CountingStore, results: list[tuple[str, str]]
) -> None:
    store.down = True
    first = cache.read("k", "value", "gen", "denied")
    asked = store.reads
    second = cache.read("k", "value", "gen", "denied")

    assert (first.payload, first.generation, first.also) == (None, None, (None,))
    assert second.generation is None and store.reads == asked  # backing off
    cache.fill("value", second.generation, b"never stored")
    assert results == [("k", "unavailable"), ("k", "unavailable")]


def test_a_lost_invalidation_is_replayed_before_the_store_is_trusted_again(
    cache: GenerationalCache, store: CountingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keel_common.cache.generations.RETRY_AFTER", 0.0)
    miss = cache.read("k", "value", "gen")
    cache.fill("value", miss.generation, b"old")
    store.down = True
    cache.invalidate(["gen"])  # lost: the store is down when the write commits
    store.down = False  # back, still holding the old value under the old generation

    assert cache.read("k", "value", "gen").payload is None


def test_a_replay_that_fails_again_keeps_the_store_untrusted(
    cache: GenerationalCache, store: CountingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keel_common.cache.generations.RETRY_AFTER", 0.0)
    store.down = True
    cache.invalidate(["gen"])

    assert cache.read("k", "value", "gen").generation is None
    assert store.reads == 0


def test_the_in_memory_store_fails_when_down(store: CountingStore) -> None:
    store.down = True
    with pytest.raises(CacheUnavailable):
        store.set_many({"k": b"v"}, ttl=1)
