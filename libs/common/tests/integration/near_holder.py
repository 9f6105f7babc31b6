"""A process that holds leased copies, driven over stdin for ``test_near_cache``.

Commands, one per line, each answered with one line: ``read <key> <generation key>``
answers the read's result and payload (``near_hit desk``), ``slow <seconds>`` delays the
handling of every invalidation message from then on (a holder thread starved of the GIL).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from keel_common.cache import GenerationalCache, LeasedCopies, RedisStore


def main(url: str, name: str) -> None:
    results: list[str] = []
    near = LeasedCopies(url, name)
    cache = GenerationalCache(
        RedisStore(url), on_read=lambda kind, result: results.append(result), near=near
    )
    handle = near._handle

    for line in sys.stdin:
        command, *args = line.split()
        if command == "read":
            entry = cache.read("test", args[0], args[1])
            payload = entry.payload.decode() if entry.payload is not None else "-"
            print(results[-1], payload, flush=True)
        elif command == "slow":
            delay = float(args[0])

            def slow_handle(message: dict[str, Any], delay: float = delay) -> None:
                time.sleep(delay)
                handle(message)

            near._handle = slow_handle  # type: ignore[method-assign]
            print("ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
