"""Instruction counts per ``GET /v1/auth/me`` (valgrind's callgrind), on either shape.

    uv run python bench/http/callgrind_auth.py --shape production

Runs this script under ``valgrind --tool=callgrind`` twice, making ``--calls`` and then
``--calls + 1000`` requests after the same set-up, and prints the difference / 1000: the
instructions of one call in this process (the client side of PostgreSQL's and Redis's round
trips included, the servers' work not). Steadier than CPU time on a shared machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

EXTRA = 1000


def run_calls(shape: str, calls: int) -> None:
    """The measured child: set up auth as ``inproc_auth`` does, then ``calls`` requests."""
    import os

    import inproc
    import inproc_auth

    with tempfile.TemporaryDirectory(prefix="bench-callgrind-auth-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        os.chdir(workdir)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # access log lines
        with inproc_auth.auth_app(shape, workdir) as (app, headers):
            me = inproc.caller(app, "/v1/auth/me", headers)
            for _ in range(50):  # warm: caches filled, connections open
                assert me().startswith("200"), "GET /v1/auth/me failed"
            for _ in range(calls):
                me()


def instructions(shape: str, calls: int) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        child = [sys.executable, __file__, "--child", "--shape", shape, "--calls", str(calls)]
        command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", *child]
        subprocess.run(command, check=True, capture_output=True)
        summary = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        assert summary, "callgrind wrote no summary"
        return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=("embedded", "production"), default="embedded")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_calls(args.shape, args.calls)
        return
    base = instructions(args.shape, args.calls)
    more = instructions(args.shape, args.calls + EXTRA)
    print(f"GET /v1/auth/me ({args.shape}): {(more - base) / EXTRA:,.0f} instructions per call")


if __name__ == "__main__":
    main()
