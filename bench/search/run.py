"""Search benchmark: the embedded engine (tantivy) beside PostgreSQL full-text search.

    uv run python bench/search/run.py                         # 100k (what `make bench` runs)
    uv run python bench/search/run.py --sizes 100000,1000000  # and 1M (several minutes)

For each size, on the same synthetic catalogue: bulk indexing (documents/s, the rebuild
path), then the same query mix through each (p50/p99 latency, hits per kind); for the
embedded engine also the event path (changes/s by batch size: one commit per batch).
Prints the machine and every setting. PostgreSQL: POSTGRES_BENCH_URL (default the local
server); the benchmark creates and drops a database of its own.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import psycopg
import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalogue
import postgres_fts

from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.domain.queries import SearchQuery

ADMIN_URL = os.environ.get("POSTGRES_BENCH_URL", "postgresql://postgres@127.0.0.1:5432/test")
BATCH = 1000  # documents per builder.add, like a rebuild from ListProducts


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(run: Callable[[dict[str, object]], int], mix: list[catalogue.BenchQuery]) -> dict:
    for query in mix[:30]:  # warm caches the way a serving process is warm
        run(query.params)
    by_kind: dict[str, list[float]] = defaultdict(list)
    hits: dict[str, list[int]] = defaultdict(list)
    for query in mix:
        started = time.perf_counter()
        total = run(query.params)
        by_kind[query.kind].append((time.perf_counter() - started) * 1000)
        hits[query.kind].append(total)
    every = [ms for samples in by_kind.values() for ms in samples]
    return {"all": every, "kinds": by_kind, "hits": hits}


def bench_embedded(size: int, mix: list[catalogue.BenchQuery], workdir: Path) -> dict:
    """Only the engine's calls are timed; generating the catalogue is not."""
    index = EmbeddedSearchIndex(workdir / "embedded")
    products = catalogue.products(size)
    started = time.perf_counter()
    builder = index.start_rebuild()
    seconds = time.perf_counter() - started
    while batch := list(itertools.islice(products, BATCH)):
        started = time.perf_counter()
        builder.add(batch)
        seconds += time.perf_counter() - started
    started = time.perf_counter()
    builder.finish()
    seconds += time.perf_counter() - started

    def run(params: dict[str, object]) -> int:
        return index.search(SearchQuery.parse(limit=20, **params)).total  # type: ignore[arg-type]

    result = measure(run, mix)
    result.update(index_seconds=seconds, events=bench_events(index))
    index.close()
    return result


def bench_events(index: EmbeddedSearchIndex) -> dict[int, float]:
    """Changes/s through ``apply`` (version check + one commit per batch)."""
    rates = {}
    updates = list(catalogue.products(2000, seed=7))
    bumped = [p.__class__(**{**p.__dict__, "version": 2}) for p in updates]
    for batch_size, sample in ((1, bumped[:200]), (100, bumped[200:2000])):
        started = time.perf_counter()
        for start in range(0, len(sample), batch_size):
            index.apply(sample[start : start + batch_size])
        rates[batch_size] = len(sample) / (time.perf_counter() - started)
    return rates


def bench_postgres(size: int, mix: list[catalogue.BenchQuery], workdir: Path) -> dict:
    name = f"keel_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        version = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    conninfo = psycopg.conninfo.make_conninfo(ADMIN_URL, dbname=name)
    try:
        seconds = postgres_fts.load(conninfo, catalogue.products(size), workdir)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            result = measure(lambda params: postgres_fts.search(conn, params), mix)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result.update(index_seconds=seconds, version=version)
    return result


def report(size: int, results: dict[str, dict]) -> None:
    print(f"\n== {size:,} products")
    print(f"{'engine':<14}{'index s':>9}{'docs/s':>11}{'p50 ms':>9}{'p99 ms':>9}")
    for engine, r in results.items():
        rate = size / r["index_seconds"]
        p50, p99 = percentile(r["all"], 0.5), percentile(r["all"], 0.99)
        print(f"{engine:<14}{r['index_seconds']:>9.1f}{rate:>11,.0f}{p50:>9.2f}{p99:>9.2f}")
    print(f"\n{'query kind':<24}" + "".join(f"{e + ' p50/p99 ms, avg hits':>40}" for e in results))
    for kind in next(iter(results.values()))["kinds"]:
        cells = []
        for r in results.values():
            samples, hits = r["kinds"][kind], r["hits"][kind]
            cells.append(
                f"{percentile(samples, 0.5):>8.2f} /{percentile(samples, 0.99):>8.2f}"
                f"{statistics.mean(hits):>12,.0f}"
            )
        print(f"{kind:<24}" + "".join(f"{c:>40}" for c in cells))
    events = results["embedded"]["events"]
    print(
        "\nembedded event path: "
        + ", ".join(f"batch {b}: {r:,.0f} changes/s" for b, r in events.items())
    )


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="100000", help="comma-separated catalogue sizes")
    parser.add_argument("--queries", type=int, default=600, help="queries per engine and size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    mix = catalogue.queries(args.queries)
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()}), python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} (shared machine)"
    )
    print(
        f"settings: sizes={sizes} queries={args.queries} (6 kinds) limit=20 seed=7 "
        f"add-batch={BATCH} tantivy={tantivy.__version__}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory(
            prefix="keel-search-bench-", ignore_cleanup_errors=True
        ) as workdir:
            results = {
                "embedded": bench_embedded(size, mix, Path(workdir)),
                "postgres-fts": bench_postgres(size, mix, Path(workdir)),
            }
        print(f"(postgres {results['postgres-fts']['version']}, 'simple' config, GIN)")
        report(size, results)
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
