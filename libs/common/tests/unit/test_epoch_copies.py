"""Copies coherent across one host's processes by a shared epoch (``keel_common.cache.epoch``):
a write anywhere ends every copy, a fill that raced a write is never kept, writers in
different processes never lose each other's moves, and a forked child maps its own."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from keel_common.cache import GenerationalCache, SharedEpochCopies, SqliteStore

TIMES = 5_000  # each; enough for four processes' read-add-writes to interleave unlocked


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.cache.epoch"


def test_a_copy_answers_until_any_process_announces(path: Path) -> None:
    reader, writer = SharedEpochCopies(path), SharedEpochCopies(path)  # two mappings
    reader.keep(reader.mark(), "k", b"v1", ())
    assert reader.get("k") == b"v1"
    writer.announce(["some other key"])  # one epoch for everything
    assert reader.get("k") is None


def test_a_fill_that_raced_a_write_is_not_kept(path: Path) -> None:
    reader, writer = SharedEpochCopies(path), SharedEpochCopies(path)
    mark = reader.mark()  # before the read of the old value...
    writer.announce(["k"])  # ...a write commits and moves the epoch...
    reader.keep(mark, "k", b"old", ())  # ...then the old value comes back
    assert reader.get("k") is None
    reader.keep(reader.mark(), "k", b"new", ())
    assert reader.get("k") == b"new"


def test_an_invalidation_the_store_did_not_take_still_ends_the_copies(path: Path) -> None:
    reader, writer = SharedEpochCopies(path), SharedEpochCopies(path)
    reader.keep(reader.mark(), "k", b"v", ())
    writer.unannounced(["k"])
    assert reader.get("k") is None


def test_copies_expire_with_the_ttl(path: Path) -> None:
    copies = SharedEpochCopies(path, ttl=0.0)
    copies.keep(copies.mark(), "k", b"v", ())
    assert copies.get("k") is None


def _announce_many(path: str, times: int, go: Any) -> None:
    copies = SharedEpochCopies(path)
    copies.mark()  # mapped before the start, so the writers overlap
    go.wait(10)
    for _ in range(times):
        copies.announce(["k"])


def test_writers_in_different_processes_never_lose_a_move(path: Path) -> None:
    context = multiprocessing.get_context("fork")
    go = context.Event()
    workers = [
        context.Process(target=_announce_many, args=(str(path), TIMES, go)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    go.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert SharedEpochCopies(path).mark() == 4 * TIMES


def test_a_forked_child_keeps_its_own_copies_and_its_writes_reach_the_parent(path: Path) -> None:
    copies = SharedEpochCopies(path)
    copies.keep(copies.mark(), "k", b"parent's", ())
    pid = os.fork()
    if pid == 0:  # the child: none of the parent's copies, its own lock and mapping
        status = 0 if copies.get("k") is None else 1
        copies.announce(["k"])
        os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert copies.get("k") is None


def test_the_generational_cache_answers_hits_from_copies_and_drops_them_on_write(
    tmp_path: Path, path: Path
) -> None:
    results: list[str] = []
    store = SqliteStore(tmp_path / "db.cache")

    def cache() -> GenerationalCache:  # a process of its own, as far as the copies go
        near = SharedEpochCopies(path)
        return GenerationalCache(store, on_read=lambda _, result: results.append(result), near=near)

    reader, writer = cache(), cache()
    entry = reader.read("product", "p", "p:gen")
    reader.fill("p", entry.generation, b"v1")
    assert reader.read("product", "p", "p:gen").payload == b"v1"  # a hit, copied
    assert reader.read("product", "p", "p:gen").payload == b"v1"
    assert results == ["miss", "hit", "near_hit"]
    writer.invalidate(["p:gen"])
    assert reader.read("product", "p", "p:gen").payload is None
    assert results[-1] == "miss"


def test_a_forked_child_whose_first_call_is_keep_maps_its_own(path: Path) -> None:
    """``keep`` maps the file before it takes the lock ``_open`` takes too."""
    copies = SharedEpochCopies(path)
    mark = copies.mark()
    pid = os.fork()
    if pid == 0:
        copies.keep(mark, "k", b"child's", ())
        os._exit(0 if copies.get("k") == b"child's" else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
