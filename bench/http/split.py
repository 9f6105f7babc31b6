"""Where a request's CPU goes under gunicorn: in the app, around it, in Redis and PostgreSQL.

    uv run python bench/http/split.py                          # both shapes, 8 s per run
    uv run python bench/http/split.py --shapes production --seconds 5

``run.py`` says how fast each hot call is against hello-world; this says why. The same
processes (``platform_.started``, hello-world beside them) run under ``timed.py``, which
counts the CPU each request spends inside the WSGI app, and ``wrk`` drives one call at a
time. Per call, every figure is CPU microseconds per request, over one run:

- ``workers``: the gunicorn workers' CPU (``/proc``), split into ``in app`` (from the call
  into the app to its last body byte, on the serving thread: Keel's code, Flask, the
  client side of Redis and PostgreSQL round trips) and ``around`` (the rest: gunicorn
  parsing and answering, the sockets, its threads handing connections on);
- ``redis``, ``postgres``: those servers' processes, running on the same machine;
- ``wrk``: the load generator, also on the same machine;
- ``machine``: all the CPU the machine was busy for, per request.

Compared with hello-world's row, a call's extra cost shows where it is: a larger ``in
app`` is work per request; a larger ``around`` with the same gunicorn is the threads
waiting on each other (the GIL is given up and taken back at every round trip); ``redis``
is what the production shape's cache read costs its server.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load as loadgen
import platform_ as keel
import run as http_run
import timed

SERVERS = {"redis": "redis-server", "postgres": "postgres"}
TICK = os.sysconf("SC_CLK_TCK")
NAME = 28


def timed_command(service: str) -> list[str]:
    return [sys.executable, str(keel.HERE / "timed.py"), service]


def server_cpu() -> dict[str, float]:
    """CPU seconds used so far by the processes of each of ``SERVERS``."""
    used = dict.fromkeys(SERVERS, 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        for name, prefix in SERVERS.items():
            if command.startswith(prefix):
                fields = stat.rsplit(")", 1)[1].split()
                used[name] += (int(fields[11]) + int(fields[12])) / TICK
    return used


def machine_busy() -> float:
    """CPU seconds the machine has been busy (every state but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


def wrk_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snapshot(base: str, directory: Path) -> dict[str, float]:
    workers = keel.worker_cpu(base)
    requests, in_app = timed.totals(directory, workers)
    return {"workers": sum(workers.values()), "in app": in_app, "requests": requests,
            "wrk": wrk_cpu(), "machine": machine_busy()} | server_cpu()  # fmt: skip


def split(url: str, load: loadgen.Load, headers: dict[str, str], directory: Path) -> str:
    """One run of the call: its req/s and the CPU per request of each part."""
    base = url.split("/v1/", 1)[0].removesuffix("/hello")
    warm_up = loadgen.Load(min(2, load.seconds), load.threads, load.connections)
    loadgen.measure(url, warm_up, headers)
    workers_before = keel.worker_cpu(base)
    before = snapshot(base, directory)
    measured = loadgen.measure(url, load, headers)
    after = snapshot(base, directory)
    spent = {name: after[name] - before[name] for name in after}
    if not spent["requests"]:
        raise RuntimeError(f"{url}: no request was counted in the app (not under timed.py?)")
    served = measured.rps * load.seconds
    timed_share = spent["in app"] / spent["requests"]

    def micros(seconds: float) -> str:
        return f"{seconds / served * 1e6:>6.0f}"

    in_app = timed_share * served  # the counted requests' mean, over all requests served
    note = f"  errors={measured.errors}" if measured.errors else ""
    if http_run.one_worker(workers_before, keel.worker_cpu(base)):
        note += "  one-worker run"
    return (
        f"{measured.rps:>7.0f} req/s  workers {micros(spent['workers'])} = in app "
        f"{micros(in_app)} + around {micros(spent['workers'] - in_app)}  redis "
        f"{micros(spent['redis'])}  postgres {micros(spent['postgres'])}  wrk "
        f"{micros(spent['wrk'])}  machine {micros(spent['machine'])}{note}"
    )


def main() -> None:
    keel.stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="embedded,production")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="runs per call, each printed")
    args = parser.parse_args()
    load = loadgen.Load(args.seconds, 2, 16)
    web = keel.web_settings()
    if loadgen.ensure_wrk() is None:
        parser.error("wrk is needed (scripts/install-wrk.sh)")
    print(f"machine: {http_run.machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"client: wrk, {load.threads} threads, {load.connections} connections, "
          f"{load.seconds} s per run after a {min(2, load.seconds)} s warm-up")  # fmt: skip
    settings = ", ".join(f"{k}={v}" for k, v in web.items())
    print(f"servers: gunicorn gthread, {settings}; each web process under bench/http/timed.py")
    print("figures: CPU microseconds per request, over each run (wrk and the servers run on")
    print(f"  this machine too); in app counted on a worker's serving thread every {timed.EVERY}")
    print("  requests")
    with tempfile.TemporaryDirectory(prefix="bench-split-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        directory = workdir / "timed"
        directory.mkdir()
        os.environ[timed.DIRECTORY] = str(directory)
        keel.build_search_index(workdir, 1000)  # search is not measured here
        with keel.hello_world(workdir, web, timed_command) as hello:
            print()
            for _ in range(args.repeat):
                row = split(f"{hello}/hello", load, {}, directory)
                print(f"  {'hello-world Flask':<{NAME}} {row}", flush=True)
        for shape in args.shapes.split(","):
            print(f"\n[{shape}] {http_run.databases(shape)}")
            with keel.started(shape, workdir, web, timed_command) as bases:
                seeded = keel.seed(bases)
                core = bases["core"]
                calls = [
                    ("GET /v1/products/{id}", f"{core}/v1/products/{seeded['product_id']}", {}),
                    ("GET /v1/products?limit=20", f"{core}/v1/products?limit=20", {}),
                    ("GET /v1/auth/me", f"{bases['auth']}/v1/auth/me", seeded["headers"]),
                ]
                for name, url, headers in calls:
                    for _ in range(args.repeat):
                        row = split(url, load, headers, directory)
                        print(f"  {name:<{NAME}} {row}", flush=True)


if __name__ == "__main__":
    main()
