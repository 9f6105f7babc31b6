"""Instructions per request (callgrind) of hello-world, a trivial Keel route and each hot read.

    uv run python bench/http/instructions.py                     # every call, 200 requests each
    uv run python bench/http/instructions.py --calls 100 trivial me
    uv run python bench/http/instructions.py --calls 100 search_uncached

CPU time on a shared VM moves with the neighbours' load; the instructions a request executes
do not. Each call runs in its own ``valgrind --tool=callgrind`` process: the app is built and
warmed up (uncounted), then ``--calls`` requests run inside ``sys.call_tracing`` -- the only
C function callgrind counts in (``--toggle-collect``), so start-up, imports and the index
build stay out of the figure. The apps are ``inproc.py``'s (embedded: SQLite, file caches).
``search`` repeats one search (the result cache answers); ``search_uncached`` is the search
engine's own cost: SEARCH_CACHE_ENTRIES=0 on a 100k-product index (built before valgrind
starts), the calls taking ``inproc.SEARCHES`` in turn (a mean over the five).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
CALLS = ("hello", "trivial", "product", "list", "search", "search_uncached", "me")
UNCACHED_PRODUCTS = 100_000


def _trivial_app() -> object:
    from flask import jsonify

    from keel_common.http import create_app
    from keel_common.settings import ServiceSettings

    app = create_app("trivial", ServiceSettings(service_name="trivial"))
    app.add_url_rule("/v1/trivial", "trivial", lambda: jsonify(hello="world"))
    return app


def prepared(name: str, workdir: Path, index_dir: str | None = None) -> Callable[[], str]:
    """One request of ``name`` per call (``inproc.caller``), its app built in ``workdir``
    (``search_uncached`` opens the index built in ``index_dir``)."""
    import inproc

    if name == "hello":
        import hello

        return inproc.caller(hello.create_app(), "/hello", {})
    if name == "trivial":
        return inproc.caller(_trivial_app(), "/v1/trivial", {})  # type: ignore[arg-type]
    if name == "search":
        from platform_ import build_search_index

        build_search_index(workdir, 2000)  # a cache hit does not look at the index's size
        return inproc.caller(inproc.search_app(workdir), "/v1/search/products?q=lamp", {})
    if name == "search_uncached":
        settings = {"SEARCH_CACHE_ENTRIES": "0", "SEARCH_INDEX_DIR": str(index_dir)}
        app = inproc.search_app(workdir, settings)
        calls = [inproc.caller(app, f"/v1/search/products?q={q}", {}) for q in inproc.SEARCHES]
        turn = itertools.cycle(calls)
        return lambda: next(turn)()
    if name == "me":
        auth, headers = inproc.auth_app(workdir)
        return inproc.caller(auth, "/v1/auth/me", headers)
    core, product_id = inproc.core_app(workdir)
    path = f"/v1/products/{product_id}" if name == "product" else "/v1/products?limit=20"
    return inproc.caller(core, path, {})


def inner(name: str, calls: int, index_dir: str | None = None) -> None:
    """Under callgrind: build, warm up, then ``calls`` requests inside ``sys.call_tracing``."""
    sys.path.insert(0, str(HERE))
    from keel_common.logging import configure_logging

    with tempfile.TemporaryDirectory(prefix="bench-instr-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        os.chdir(workdir)
        configure_logging("bench", "INFO", stream=open(os.devnull, "w"))  # noqa: SIM115
        once = prepared(name, workdir, index_dir)
        for _ in range(50):
            if not (status := once()).startswith("2"):
                raise RuntimeError(f"{name} answered {status}")
        gc.collect()
        gc.freeze()  # a full collection of the start-up heap is no request's cost

        def run() -> None:
            for _ in range(calls):
                once()

        sys.call_tracing(run, ())


def counted(name: str, calls: int) -> int:
    """Instructions callgrind counted for ``calls`` requests of ``name``."""
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--toggle-collect=sys_call_tracing",
                   f"--callgrind-out-file={out}", sys.executable, __file__,
                   "--inner", name, "--calls", str(calls)]  # fmt: skip
        if name == "search_uncached":  # built natively: under valgrind it would take long
            sys.path.insert(0, str(HERE))
            from platform_ import build_search_index

            build_search_index(Path(tmp), UNCACHED_PRODUCTS)
            command += ["--index-dir", str(Path(tmp) / "var" / "search-index")]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{name}: {done.stderr[-3000:]}")
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"{name}: no totals in callgrind's output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(CALLS)} (all)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner, args.calls, args.index_dir)
        return
    if unknown := set(args.names) - set(CALLS):
        parser.error(f"unknown calls: {', '.join(sorted(unknown))}")
    print(f"callgrind, {args.calls} requests per call, in-process WSGI (embedded)")
    for name in args.names or CALLS:
        per_call = counted(name, args.calls) / args.calls
        print(f"  {name:<16} {per_call / 1000:>9.0f}k instructions per request", flush=True)


if __name__ == "__main__":
    main()
