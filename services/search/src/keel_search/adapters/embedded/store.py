"""The on-disk layout of the embedded index and the file locks that coordinate processes.

::

    <root>/CURRENT           name of the live generation; replaced atomically on a swap
    <root>/gen-<ms>-<hex>/   one tantivy index per generation
    <root>/rebuild.lock      flock held by the process rebuilding, for the whole rebuild
    <root>/journal.lock      flock around the short steps that must not interleave
    <root>/rebuild.journal   changes the live writer applied while a rebuild ran (JSON lines)

Readers (web, gRPC) follow ``CURRENT``; one writer (the worker) applies events to the live
generation; a rebuild fills a new generation, replays the journal into it and swaps
``CURRENT`` under ``journal.lock``. flock is released by the kernel when a process dies, so
a crashed rebuild never leaves the index locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from keel_search.domain.errors import RebuildInProgress

GENERATION_PREFIX = "gen-"
_CHUNK = 1 << 16


class IndexDirectory:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._current = self.root / "CURRENT"
        self._current_path = str(self._current)
        self._journal = self.root / "rebuild.journal"

    def current(self) -> str | None:
        """The live generation's name, or None before the first write."""
        content = read_file(self._current_path)
        return (content.decode().strip() or None) if content is not None else None

    def path(self, generation: str) -> Path:
        return self.root / generation

    def new_generation(self) -> str:
        name = f"{GENERATION_PREFIX}{time.time_ns() // 1_000_000}-{secrets.token_hex(3)}"
        self.path(name).mkdir()
        return name

    def publish(self, generation: str) -> None:
        """Make ``generation`` the live one in one atomic rename, durable once this returns."""
        tmp = self.root / f"CURRENT.{secrets.token_hex(4)}"
        with tmp.open("w") as handle:
            handle.write(generation)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self._current)
        _fsync_dir(self.root)

    def remove_generations(self, keep: set[str]) -> None:
        """Delete generations not in ``keep``; readers that still map their files keep
        reading them (POSIX unlink semantics) until they follow ``CURRENT``."""
        for entry in self.root.iterdir():
            if entry.name.startswith(GENERATION_PREFIX) and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    @contextlib.contextmanager
    def journal_lock(self) -> Iterator[None]:
        with self._flock("journal.lock", blocking=True):
            yield

    def take_rebuild_lock(self) -> BinaryIO:
        """Hold the rebuild lock until the returned file is closed; ``RebuildInProgress`` if
        another process (or another handle in this one) holds it."""
        handle = (self.root / "rebuild.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise RebuildInProgress() from None
        return handle

    def rebuild_in_progress(self) -> bool:
        """Call under ``journal_lock``, which a starting rebuild also holds, so this probe
        never makes a rebuild that starts at the same moment fail."""
        try:
            self.take_rebuild_lock().close()
        except RebuildInProgress:
            return True
        return False

    def reset_journal(self) -> None:
        self._journal.unlink(missing_ok=True)

    def append_journal(self, entries: list[dict[str, Any]]) -> None:
        with self._journal.open("a") as handle:
            handle.writelines(json.dumps(entry) + "\n" for entry in entries)
            handle.flush()
            os.fsync(handle.fileno())

    def read_journal(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Entries appended after byte ``offset``, and the offset to read from next time."""
        try:
            with self._journal.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return [], offset
        complete = data[: data.rfind(b"\n") + 1]
        entries = [json.loads(line) for line in complete.splitlines() if line]
        return entries, offset + len(complete)

    @contextlib.contextmanager
    def _flock(self, name: str, *, blocking: bool) -> Iterator[None]:
        with (self.root / name).open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path: str) -> bytes | None:
    """A file's content, or None when it does not exist. Bare system calls: the index reads
    ``CURRENT`` and ``meta.json`` on every search, and ``open()`` costs twice as much."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        chunks = [os.read(fd, _CHUNK)]
        while len(chunks[-1]) == _CHUNK:  # a short read of a regular file is its end
            chunks.append(os.read(fd, _CHUNK))
        return b"".join(chunks)
    finally:
        os.close(fd)
