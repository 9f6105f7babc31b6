"""The in-memory result cache: exact-version answers, bounds, least recently used first."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import REGISTRY

from keel_search.adapters.result_cache import ENTRY_OVERHEAD, InMemoryResultCache


def lookups(outcome: str, service: str = "search-test") -> float:
    labels = {"service": service, "outcome": outcome}
    return REGISTRY.get_sample_value("keel_search_result_cache_lookups_total", labels) or 0.0


def cache(entries: int = 10, max_bytes: int = 1_000_000) -> InMemoryResultCache:
    return InMemoryResultCache(entries, max_bytes, service="search-test")


def test_an_answer_is_served_only_for_the_version_it_was_made_at() -> None:
    answers = cache()
    answers.put(1, "lamp", b"one")
    assert answers.get(1, "lamp") == b"one"
    assert answers.get(2, "lamp") is None
    assert answers.get(1, "desk") is None


def test_a_newer_version_drops_every_older_answer_and_an_older_one_is_not_kept() -> None:
    answers = cache()
    answers.put(1, "lamp", b"one")
    answers.put(2, "desk", b"two")
    assert len(answers) == 1
    answers.put(1, "lamp", b"late")  # made from a state already replaced
    assert answers.get(1, "lamp") is None
    assert answers.get(2, "desk") == b"two"
    assert answers.get(3, "desk") is None and len(answers) == 0  # a lookup of a newer state
    assert answers.size_bytes == 0


def test_hits_and_misses_are_counted() -> None:
    hits, misses = lookups("hit"), lookups("miss")
    answers = cache()
    answers.get(1, "lamp")
    answers.put(1, "lamp", b"one")
    answers.get(1, "lamp")
    answers.get(1, "lamp")
    assert (lookups("hit") - hits, lookups("miss") - misses) == (2, 1)


def test_the_least_recently_used_answer_goes_first_past_the_entry_bound() -> None:
    answers = cache(entries=2)
    answers.put(1, "a", b"a")
    answers.put(1, "b", b"b")
    answers.get(1, "a")
    answers.put(1, "c", b"c")
    assert [answers.get(1, k) for k in "abc"] == [b"a", None, b"c"]


def test_the_byte_bound_holds_and_an_answer_larger_than_it_is_not_kept() -> None:
    answers = cache(max_bytes=2 * (ENTRY_OVERHEAD + 100))
    for key in "abc":
        answers.put(1, key, b"x" * 100)
    assert len(answers) == 2 and answers.get(1, "a") is None
    assert answers.size_bytes == 2 * (ENTRY_OVERHEAD + 100)
    answers.put(1, "big", b"x" * 2000)
    assert answers.get(1, "big") is None and len(answers) == 2


def test_replacing_an_answer_keeps_the_byte_count_right() -> None:
    answers = cache()
    answers.put(1, "a", b"x" * 100)
    answers.put(1, "a", b"x" * 10)
    assert answers.size_bytes == ENTRY_OVERHEAD + 10


def test_zero_bounds_are_refused_here_since_zero_means_no_cache_at_all() -> None:
    with pytest.raises(ValueError):
        InMemoryResultCache(0, 1000)


def test_threads_sharing_it_keep_its_bounds() -> None:
    answers = cache(entries=50, max_bytes=50 * (ENTRY_OVERHEAD + 64))

    def work(n: int) -> None:
        for i in range(2000):
            version = 1 + i // 500
            answers.put(version, (n, i % 80), bytes(64))
            answers.get(version, (n, (i + 1) % 80))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) <= 50
    assert answers.size_bytes == len(answers) * (ENTRY_OVERHEAD + 64)
