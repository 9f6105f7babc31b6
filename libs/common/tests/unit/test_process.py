"""``process_id`` is ``os.getpid()`` in this process and in a child forked from it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from keel_common.process import process_id

CHILD = textwrap.dedent(
    """
    import os
    from keel_common.process import process_id

    parent = process_id()
    child = os.fork()
    if child == 0:
        os._exit(0 if process_id() == os.getpid() != parent else 1)
    _, status = os.waitpid(child, 0)
    raise SystemExit(os.waitstatus_to_exitcode(status))
    """
)


def test_it_is_this_processs_id() -> None:
    assert process_id() == os.getpid()


def test_a_forked_child_gets_its_own() -> None:
    # In a fresh interpreter: forking this threaded test worker could deadlock.
    assert subprocess.run([sys.executable, "-c", CHILD], timeout=60).returncode == 0
