"""This process's id, read without a system call.

A connection, SQLite handle or metrics file made before a fork belongs to the parent: code
that keeps one per thread compares the id it was made under with ``process_id()`` on every
use. ``os.getpid()`` is a system call each time (glibc no longer caches it); this is the
same number, kept up to date by an at-fork hook.
"""

from __future__ import annotations

import os

_process_id = os.getpid()


def _forked() -> None:
    global _process_id
    _process_id = os.getpid()


os.register_at_fork(after_in_child=_forked)


def process_id() -> int:
    """What ``os.getpid()`` answers."""
    return _process_id
