"""Wait until the machine is quiet (1-minute load average under a threshold) before a benchmark.

    uv run python bench/quiet.py                 # load average < 1.0, waits at most 5 minutes
    uv run python bench/quiet.py --below 0.5 --wait 600

Figures taken while other jobs run measure the other jobs as much as Keel, so ``make bench``
runs this before each script. Exits 0 once quiet; after ``--wait`` seconds it says the
machine never got quiet and exits 1 (``--anyway``: exit 0, the script then states the load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--below", type=float, default=1.0, help="1-minute load average")
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait at most")
    parser.add_argument("--anyway", action="store_true", help="exit 0 even if never quiet")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while (load := os.getloadavg()[0]) >= args.below:
        if time.monotonic() > deadline:
            print(f"quiet: load average still {load:.2f} after {args.wait:.0f} s", flush=True)
            return 0 if args.anyway else 1
        time.sleep(5)
    print(f"quiet: load average {load:.2f} (< {args.below})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
