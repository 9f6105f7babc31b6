"""HTTP benchmark of the hot calls against hello-world Flask on the same gunicorn settings.

    uv run python bench/http/run.py                          # both shapes, 10 s per call
    uv run python bench/http/run.py --shapes embedded --seconds 5

One run starts hello-world Flask (``bench/http/hello.py``) under ``keel_common.http``'s
gunicorn configuration, then, per shape (``embedded``: SQLite files, the embedded broker and
caches, as ``make run``; ``production``: PostgreSQL + Redis; RabbitMQ is not on the path of
any call measured, web processes never publish), each service's real
``keel-<svc> web`` process with the same WEB_CONCURRENCY/GUNICORN_THREADS. Search opens a
100k-product embedded index (the production engine, OpenSearch, is not on this machine);
its rows come twice: ``[cache on]`` (the default: a repeated URL is answered from the
process's result cache after its first request, which is what those rows measure) and
``[cache off]``, the same URLs on a second search web process with SEARCH_CACHE_ENTRIES=0
(the engine's own cost, what a query not asked before in this index state costs).
Every call is driven straight at the service's gunicorn (not through the gateway, which
rate-limits one client) by ``wrk`` (installed by scripts/install-wrk.sh when missing), and
printed with req/s, p50, p99 and the ratio to hello-world measured in this same run. wrk
runs on the same machine and takes CPU from the servers: the figures are a floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load as loadgen
import platform_ as keel

# Each request buys one of the seeded products at random (one product for all would measure
# one row lock), under an Idempotency-Key unique to the run, thread and request.
ORDER_SCRIPT = """
local next_id = 1
local products = {%(products)s}
function setup(thread) thread:set("id", next_id); next_id = next_id + 1 end
function init(args) n = 0 end
function request()
  n = n + 1
  wrk.headers["Idempotency-Key"] = "%(run)s-" .. id .. "-" .. n
  wrk.headers["Content-Type"] = "application/json"
  local product = products[math.random(#products)]
  local body = '{"items": [{"product_id": "' .. product .. '", "quantity": 1}]}'
  return wrk.format("POST", nil, nil, body)
end
"""


Call = tuple[str, str, dict[str, str], str | None]
CACHED, UNCACHED = "[cache on]", "[cache off]"
NAME = 56  # the call column's width


def calls(bases: dict[str, str], seeded: dict[str, Any], run_id: str) -> list[Call]:
    core, product = bases["core"], seeded["product_id"]
    search = f"{bases['search']}/v1/search/products"
    uncached = f"{bases[keel.UNCACHED_SEARCH]}/v1/search/products"
    products = ", ".join(f'"{p}"' for p in seeded["product_ids"])
    return [
        ("GET /v1/products/{id}", f"{core}/v1/products/{product}", {}, None),
        ("GET /v1/products?limit=20", f"{core}/v1/products?limit=20", {}, None),
        # The same URL over and over: after the first request, the cache answers every one.
        (f"GET /v1/search/products?q=wireless headph {CACHED}", f"{search}?q=wireless%20headph",
         {}, None),
        (f"GET /v1/search/products?q=lamp {CACHED}", f"{search}?q=lamp", {}, None),
        (f"GET /v1/search/products?q=wireless headph {UNCACHED}",
         f"{uncached}?q=wireless%20headph", {}, None),
        (f"GET /v1/search/products?q=lamp {UNCACHED}", f"{uncached}?q=lamp", {}, None),
        ("GET /v1/auth/me", f"{bases['auth']}/v1/auth/me", seeded["headers"], None),
        ("POST /v1/orders (write, no goal)", f"{core}/v1/orders", seeded["headers"],
         ORDER_SCRIPT % {"run": run_id, "products": products}),
    ]  # fmt: skip


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    names = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    system = f"{platform.system()} {platform.release()}"
    return f"{next(names, platform.processor())}, {os.cpu_count()} cores, {system}, " + (
        f"Python {platform.python_version()}"
    )


def databases(shape: str) -> str:
    if shape == "embedded":
        return f"SQLite {sqlite3.sqlite_version} files, embedded broker, SQLite-file product cache"
    import redis
    import sqlalchemy as sa

    engine = sa.create_engine(keel.ADMIN_URL)
    with engine.connect() as conn:
        pg = conn.execute(sa.text("SHOW server_version")).scalar_one()
    engine.dispose()
    version = redis.Redis.from_url(keel.REDIS_URL).info()["redis_version"]
    return f"PostgreSQL {pg}, Redis {version} (cache + session denylist); no broker on these calls"


def row(name: str, measured: tuple[list[loadgen.Measured], int], hello: float) -> str:
    """The median of the runs, the ratio to hello-world's fastest run, the spread of req/s,
    and how many runs were set aside because one gunicorn worker served them alone."""
    runs, set_aside = measured
    m = loadgen.median_of(runs)
    errors = f"  errors={m.errors}" if m.errors else ""
    errors += f"  timeouts={m.timeouts}" if m.timeouts else ""
    errors += f"  one-worker runs set aside={set_aside}" if set_aside else ""
    figures = f"{m.rps:>8.0f} req/s  p50 {m.p50_ms:>6.2f} ms  p99 {m.p99_ms:>6.2f} ms"
    rates = [r.rps for r in runs]
    spread = f"  ({min(rates):.0f}-{max(rates):.0f})" if len(runs) > 1 else ""
    return f"  {name:<{NAME}} {figures}  {m.rps / hello:>5.2f}x{spread}{errors}"


def repeated(repeat: int, url: str, load: loadgen.Load, headers: dict[str, str],
             lua: str | None = None) -> tuple[list[loadgen.Measured], int]:  # fmt: skip
    """``repeat`` runs of the call in which both gunicorn workers served, and how many runs
    were made again because one of them did not (at most ``repeat`` more: past those, the
    one-worker runs are kept and counted in)."""
    base = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(url))
    runs: list[loadgen.Measured] = []
    set_aside = 0
    while len(runs) < repeat:
        before = keel.worker_cpu(base)
        run = loadgen.measure(url, load, headers, lua)
        if one_worker(before, keel.worker_cpu(base)) and set_aside < repeat:
            set_aside += 1
        else:
            runs.append(run)
    return runs, set_aside


def one_worker(before: dict[int, float], after: dict[int, float]) -> bool:
    """Whether one of several workers did under a tenth of the run's work: wrk's keep-alive
    connections all went to the others (gunicorn's workers share one listening socket and
    whichever accepts first keeps a connection for the run), so the run measured fewer
    processes than configured -- not the server under test, whose clients (the gateway,
    one connection per request) reach every worker. It happens to hello-world too, and is
    set aside for every row alike."""
    spent = [after[pid] - before[pid] for pid in after.keys() & before.keys()]
    return len(spent) > 1 and sum(spent) > 0 and min(spent) < 0.1 * sum(spent)


def main() -> None:
    keel.stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="embedded,production")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=100_000, help="search index size")
    parser.add_argument("--repeat", type=int, default=3, help="runs per call; medians printed")
    args = parser.parse_args()
    load = loadgen.Load(args.seconds, args.threads, args.connections)
    web = keel.web_settings()
    wrk = loadgen.ensure_wrk()
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    client = f"wrk ({wrk})" if wrk else "Python threads (wrk missing: figures are a floor; no POST)"
    print(f"client: {client}, {load.threads} threads, {load.connections} connections,", end=" ")
    warm_up = min(2, load.seconds)
    print(f"{load.seconds} s per run after a {warm_up} s warm-up, {args.repeat} runs per call: the")
    print("  median of each figure, its ratio to hello-world's fastest run, (the runs' req/s")
    print("  range); one-worker runs set aside=N: runs made again because one gunicorn worker")
    print("  did under 10% of the work (at most as many again; past those they count)")
    settings = ", ".join(f"{k}={v}" for k, v in web.items())
    print(f"servers: gunicorn gthread, {settings} (an access line per request),")
    print(f"  core's ORDERS_PER_BUYER_PER_DAY={keel.ORDER_QUOTA} (one buyer places every order)")
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        seconds = keel.build_search_index(workdir, args.products)
        print(f"search index: {args.products} products (bench/search), built in {seconds:.0f} s")
        with keel.hello_world(workdir, web) as hello_base:
            hello = repeated(args.repeat, f"{hello_base}/hello", load, {})
        # The fastest hello-world run: a slow one (one worker serving alone) would raise
        # every ratio, so the baseline is what the configuration serves, and ratios a floor.
        baseline = max(run.rps for run in hello[0])
        print("\n" + row("hello-world Flask (baseline: its fastest run)", hello, baseline))
        for shape in args.shapes.split(","):
            run_shape(shape, workdir, web, load, baseline, wrk is not None, args.repeat)


def run_shape(
    shape: str,
    workdir: Path,
    web: dict[str, str],
    load: loadgen.Load,
    hello: float,
    wrk: bool,
    repeat: int,
) -> None:
    print(f"\n[{shape}] {databases(shape)}")
    with keel.started(shape, workdir, web) as bases:
        seeded = keel.seed(bases)
        for name, url, headers, lua in calls(bases, seeded, os.urandom(4).hex()):
            if lua and not wrk:
                continue
            warm_up = loadgen.Load(min(2, load.seconds), load.threads, load.connections)
            loadgen.measure(url, warm_up, headers, lua)
            print(row(name, repeated(repeat, url, load, headers, lua), hello), flush=True)


if __name__ == "__main__":
    main()
