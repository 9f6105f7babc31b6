"""Search's result cache while the worker commits: hit ratio and CPU per search.

    uv run python bench/search/cache.py [--products 100000] [--commits 0,5,20] [--seconds 10]

The search web app (in-process WSGI, called as bench/http/inproc.py calls it, access lines
written) answers a mix of distinct searches drawn from this directory's query mix, asked
with Zipf frequencies (the n-th most asked 1/n as often as the first), while another process,
standing in for the worker, updates one product and commits ``--commits`` times a second (an
order changes stock: core publishes the product again). Each rate runs twice: at
SEARCH_REFRESH_SECONDS=0 (every search looks for commits, and each commit found empties the
cache) and at the service's default. A row prints the cache's hit ratio (its Prometheus
counter) and this process's CPU per search (``time.process_time``; the writer's CPU is its
own process's).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import REGISTRY

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))

import catalogue
import inproc
import platform_ as keel

from keel_common.logging import configure_logging
from keel_search.config import SearchSettings

HERE = Path(__file__).resolve().parent
PARAMS = {"text": "q"}  # BenchQuery's names that differ from the HTTP parameters'
# The worker's part: one product updated and committed ``rate`` times a second until stdin
# closes (ids and fields of bench/search's catalogue, a higher version each time).
WRITER = """
import dataclasses, sys, threading, time
sys.path.insert(0, sys.argv[3])
import catalogue
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
index, rate = EmbeddedSearchIndex(sys.argv[1]), float(sys.argv[2])
product = next(catalogue.products(1))
stopped = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
version = product.version
while not stopped.wait(1 / rate):
    version += 1
    index.apply([dataclasses.replace(product, version=version, price_cents=100 + version)])
index.close()
"""


def mix(distinct: int, seed: int = 5) -> tuple[list[str], list[float]]:
    """``distinct`` different search paths from the query mix, most asked first, and their
    Zipf weights."""
    paths: dict[str, None] = {}
    for query in catalogue.queries(distinct * 20):
        params = {PARAMS.get(k, k): v for k, v in query.params.items()}
        paths.setdefault(f"/v1/search/products?{urllib.parse.urlencode(params)}", None)
        if len(paths) == distinct:
            break
    ordered = list(paths)
    random.Random(seed).shuffle(ordered)
    return ordered, [1 / (rank + 1) for rank in range(len(ordered))]


def lookups() -> tuple[float, float]:
    def sample(outcome: str) -> float:
        labels = {"service": "search", "outcome": outcome}
        return REGISTRY.get_sample_value("keel_search_result_cache_lookups_total", labels) or 0

    return sample("hit"), sample("miss")


def measure(app: inproc.WsgiApp, paths: list[str], weights: list[float], seconds: float) -> str:
    """Searches of the mix for ``seconds`` of wall time: hit ratio, CPU ms per search."""
    rng = random.Random(9)
    calls = {path: inproc.caller(app, path, {}) for path in paths}
    for path in paths:  # every answer cached once before the clock starts
        calls[path]()
    hits, misses = lookups()
    searches, cpu, deadline = 0, time.process_time(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in rng.choices(paths, weights, k=100):
            if not (status := calls[path]()).startswith("2"):
                raise RuntimeError(f"{path} answered {status}")
        searches += 100
    cpu = (time.process_time() - cpu) * 1000 / searches
    hits_now, misses_now = lookups()
    hit = hits_now - hits
    ratio = hit / (hit + misses_now - misses)
    return f"{searches:>9} {ratio:>9.1%} {cpu:>9.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=500, help="different searches asked")
    parser.add_argument("--commits", default="0,5,20", help="worker commits per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per row")
    args = parser.parse_args()
    default = SearchSettings.model_fields["search_refresh_seconds"].default
    out = os.fdopen(os.dup(1), "w", buffering=1)  # stdout itself gets the access lines
    print(f"machine: {inproc.http_run.machine()}", file=out)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)
    paths, weights = mix(args.distinct)
    with tempfile.TemporaryDirectory(prefix="bench-search-cache-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        seconds = keel.build_search_index(workdir, args.products)
        print(f"search index: {args.products} products, built in {seconds:.0f} s; "
              f"{len(paths)} distinct searches, Zipf frequencies; {args.seconds:g} s per row, "
              "one thread, in-process WSGI; cache at its default size", file=out)  # fmt: skip
        os.chdir(workdir)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # access log lines: written, not shown
        configure_logging("bench", "INFO")
        apps = {r: inproc.search_app(workdir, {"SEARCH_REFRESH_SECONDS": str(r)})
                for r in (0.0, default)}  # fmt: skip
        print(f"\n  {'commits/s':>9} {'SEARCH_REFRESH_SECONDS':>22} {'searches':>9} "
              f"{'hit ratio':>9} {'ms CPU':>9}", file=out)  # fmt: skip
        for rate in (float(r) for r in args.commits.split(",")):
            for refresh, app in apps.items():
                with writer(workdir / "var" / "search-index", rate):
                    figures = measure(app, paths, weights, args.seconds)
                print(f"  {rate:>9g} {refresh:>22g} {figures}", file=out, flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)


@contextlib.contextmanager
def writer(root: Path, rate: float) -> Iterator[None]:
    """The worker's commits, ``rate`` a second, in another process (none at 0)."""
    if rate <= 0:
        yield
        return
    script = textwrap.dedent(WRITER)
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(root), str(rate), str(HERE)], stdin=subprocess.PIPE
    )
    time.sleep(1.0)  # its first commits have begun
    try:
        yield
    finally:
        assert process.stdin is not None
        process.stdin.close()
        if process.wait(30):
            raise RuntimeError(f"the writer exited with {process.returncode}")


if __name__ == "__main__":
    main()
