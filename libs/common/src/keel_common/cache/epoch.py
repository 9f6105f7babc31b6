"""Copies of cache hits kept in the process, coherent across the processes of one host by an
epoch in shared memory: the embedded default's counterpart of ``near.LeasedCopies``.

On the embedded default (``make run``) the processes that must agree are exactly the ones
sharing a SQLite file: one host by construction. There a copy needs no lease and no channel.
A file next to the database holds one 64-bit counter, the *epoch*, mapped into every process
(``mmap``, ``MAP_SHARED``): a write that changes anything cached adds one to it after its
commit and before it answers, and a copy is answered only while the epoch still reads what it
read when the copy was made. Reading it is a load from memory, with no system call and no
release of the GIL, which is what a hit on the SQLite store (one ``SELECT`` in SQLite's C code,
the GIL given up and fought for again) cost.

- **One epoch for everything.** Any write drops every copy in every process. A local platform
  is read far more than written; a per-key table would buy little for its hashing.
- **Fills.** ``mark`` reads the epoch before the store (or database) read, ``keep`` copies only
  if it has not moved since: the slow reader that read before a write cannot bring the old
  value back. Writers add to the epoch only after their commit, so a reader that read the new
  state may keep it; one that read the old state sees the epoch moved, or keeps a copy the
  next ``get`` refuses.
- **Writers.** The read-add-write runs under ``flock`` on the file (and a thread lock: a
  process's threads share one open file), so two writers in different processes never both
  write the same next value.
- **Failures.** A write whose store invalidation failed still moves the epoch
  (``unannounced``): every copy goes, and the store's own replay (``GenerationalCache``)
  does the rest. A process that dies between its commit and its addition leaves copies made
  before the commit until they expire (the cache's TTL), the window a lost invalidation of
  the store itself has.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Collection, Iterator
from pathlib import Path

from keel_common.cache.stores import CacheUnavailable
from keel_common.process import process_id

log = logging.getLogger(__name__)

MAX_COPIES = 10_000
_EPOCH = struct.Struct("<Q")  # at offset 0; one aligned word


class SharedEpochCopies:
    """Per-process copies, valid while the epoch in the file at ``path`` is unchanged."""

    def __init__(self, path: str | Path, ttl: float = 300.0) -> None:
        self.path = str(path)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._fd = -1
        self._copies: dict[str, tuple[bytes, float]] = {}  # payload, expiry
        self._held = -1  # the epoch every copy in ``_copies`` was made at

    def _open(self) -> None:
        """Map the epoch file (again in a forked child: the lock must be its own open file)."""
        with self._lock:
            if self._pid == process_id():
                return
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                with _locked(fd):
                    if os.fstat(fd).st_size < _EPOCH.size:
                        os.ftruncate(fd, _EPOCH.size)  # zeros: epoch 0
                memory = mmap.mmap(fd, _EPOCH.size)
            except OSError:
                os.close(fd)
                raise
            self._fd, self._map, self._copies, self._held = fd, memory, {}, -1
            self._pid = process_id()

    def _mapped(self) -> mmap.mmap:
        """The epoch's mapping in this process (``_open`` takes the lock: call it outside)."""
        if self._pid != process_id():
            self._open()
        return self._map

    def _epoch(self) -> int:
        epoch: int = _EPOCH.unpack_from(self._mapped())[0]
        return epoch

    # -- readers -------------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The copy of ``key`` if one was made at the current epoch and has not expired."""
        if self._epoch() != self._held:  # ``keep`` replaces ``_copies`` before ``_held``
            return None
        copy = self._copies.get(key)
        if copy is None or time.monotonic() >= copy[1]:
            return None
        return copy[0]

    def mark(self) -> int:
        """Taken before the read that may be kept (see ``keep``)."""
        return self._epoch()

    def keep(self, mark: int, key: str, payload: bytes, dropped_by: Collection[str]) -> None:
        """Copy a value read since ``mark`` unless a write moved the epoch meanwhile. Every
        write drops every copy, so ``dropped_by`` (``LeasedCopies``' finer filing) is moot."""
        memory = self._mapped()
        with self._lock:
            (epoch,) = _EPOCH.unpack_from(memory)
            if epoch != mark:
                return
            if epoch != self._held or len(self._copies) >= MAX_COPIES:
                self._copies, self._held = {}, epoch  # older epochs' copies are dead weight
            self._copies[key] = (payload, time.monotonic() + self.ttl)

    # -- writers -------------------------------------------------------------------------

    def announce(self, keys: Collection[str]) -> None:
        """After a commit that changed ``keys``: move the epoch, so no process answers a
        copy made before it. Raises ``CacheUnavailable`` if the file cannot be written."""
        try:
            memory = self._mapped()
            with self._lock, _locked(self._fd):
                (epoch,) = _EPOCH.unpack_from(memory)
                _EPOCH.pack_into(memory, 0, (epoch + 1) % 2**64)
        except OSError as exc:
            raise CacheUnavailable(str(exc)) from exc

    def unannounced(self, keys: Collection[str]) -> None:
        """The store could not take an invalidation: move the epoch all the same."""
        try:
            self.announce(keys)
        except CacheUnavailable as exc:
            # Only this process's copies can still go; the others expire with the TTL.
            log.warning("copies' epoch not moved", extra={"error": exc})
            self._copies, self._held = {}, -1

    def stop(self) -> None:
        """Forget this process's copies; the next read maps the file again."""
        with self._lock:
            if self._pid == process_id():
                self._map.close()
                os.close(self._fd)
            self._pid, self._copies, self._held = None, {}, -1


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
