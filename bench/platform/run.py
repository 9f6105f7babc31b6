"""`make run`'s boot time from a clean var/ and its idle memory, in one run.

    uv run python bench/platform/run.py [--idle 15] [--env .env.dev]

Does what `make run` does (renders the gateway config, migrates every service's SQLite file,
starts the Procfile's processes under supervisord through scripts/run_local.py), but in a
fresh temporary directory as the processes' working directory, so var/ starts empty and the
checkout's own var/ is untouched. Boot time runs from the first migration to the moment
every service answers through the gateway on http://127.0.0.1:8080 (its OpenAPI document),
every web process answers /readyz and every worker its metrics port. Then it waits --idle
seconds and sums the RSS of every process in supervisord's tree (from /proc; RSS counts pages
shared between a gunicorn master and its workers once per process, so PSS is printed too).
It stops the platform with SIGINT (what Ctrl-C sends) and checks that it exits 0.
The ports are `make run`'s; a running `make run` must be stopped first. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

LOAD_BEFORE = os.getloadavg()  # before this script adds its own
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "core", "notification", "search")
WEB_PORTS = {"auth": 8001, "core": 8002, "notification": 8003, "search": 8004}
WORKER_METRICS = (9101, 9102, 9103, 9104)
GATEWAY = "http://127.0.0.1:8080"
BOOT_LIMIT = 300.0  # seconds before the bench gives up (a failure, not the goal)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- loopback only
            return bool(response.status == 200)
    except OSError:
        return False


def ready_urls() -> list[str]:
    urls = [f"{GATEWAY}/v1/{svc}/openapi.json" for svc in SERVICES]
    urls += [f"http://127.0.0.1:{port}/readyz" for port in WEB_PORTS.values()]
    urls += [f"http://127.0.0.1:{port}/metrics" for port in WORKER_METRICS]
    return urls


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def prepare(workdir: Path, env: dict[str, str]) -> None:
    """`make gateway-conf` and `make migrate`, with workdir as the repository root."""
    gateway = workdir / "var" / "gateway"
    gateway.mkdir(parents=True)
    (workdir / "var" / "outbox").mkdir()
    conf = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docker/gateway/render.py"),
            "--listen",
            "127.0.0.1:8080",
            *[a for svc, port in WEB_PORTS.items() for a in (f"--{svc}", f"127.0.0.1:{port}")],
            "--prefix",
            str(gateway),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (gateway / "nginx.conf").write_text(conf)
    for svc in SERVICES:
        migrate_env = {**env, "LOG_LEVEL": "WARNING", "DATABASE_URL": f"sqlite:///var/{svc}.db"}
        subprocess.run([f"keel-{svc}", "migrate"], cwd=workdir, env=migrate_env, check=True)


def tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) if it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if ":" in line}
    return values.get("Rss", 0), values.get("Pss", 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=15.0, help="seconds idle before measuring")
    parser.add_argument("--env", type=Path, default=ROOT / ".env.dev")
    parser.add_argument("--detail", action="store_true", help="print each process's memory")
    args = parser.parse_args()
    busy = [p for p in (8080, *WEB_PORTS.values(), *WORKER_METRICS) if not port_free(p)]
    if busy:
        print(f"ports in use: {busy}; stop `make run` first", file=sys.stderr)
        return 2
    settings = {
        k: v
        for k, v in (
            line.split("=", 1)
            for line in args.env.read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
    }
    env = {**os.environ, **settings}
    with tempfile.TemporaryDirectory(prefix="keel-platform-") as tmp:
        workdir = Path(tmp)
        started = time.monotonic()
        prepare(workdir, env)
        migrated = time.monotonic() - started
        runner = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts/run_local.py"),
                "--env",
                str(args.env),
                "--var",
                str(workdir / "var"),
                "--directory",
                str(workdir),
            ],
            cwd=workdir,
            env=env,
            stdout=(workdir / "run.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            pending = ready_urls()
            while pending and time.monotonic() - started < BOOT_LIMIT:
                pending = [url for url in pending if not answers(url)]
                time.sleep(0.2)
            boot = time.monotonic() - started
            if pending:
                print(f"not ready after {BOOT_LIMIT:.0f}s: {pending}", file=sys.stderr)
                print((workdir / "run.log").read_text()[-4000:], file=sys.stderr)
                return 1
            time.sleep(args.idle)
            pids = tree(runner.pid)
            rss, pss = (sum(values) for values in zip(*(memory_kib(p) for p in pids), strict=True))
            if args.detail:
                for pid in pids:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    print(f"{memory_kib(pid)[0] / 1024:6.0f} MiB  {command.decode()[:100]}")
        finally:
            runner.send_signal(signal.SIGINT)
            code = runner.wait(60)
    report(args, settings, migrated, boot, len(pids), rss, pss, code)
    return 0 if code == 0 else 1


def report(args, settings, migrated, boot, processes, rss, pss, code) -> None:  # type: ignore[no-untyped-def]
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average before {LOAD_BEFORE[0]:.2f}, "
        f"after {load[0]:.2f}"
    )
    print(
        f"settings: {args.env.name} WEB_CONCURRENCY={settings.get('WEB_CONCURRENCY')} "
        f"GUNICORN_THREADS={settings.get('GUNICORN_THREADS', '8 (the Procfile)')} "
        f"BROKER_URL={settings.get('BROKER_URL')}, idle {args.idle:.0f}s before measuring"
    )
    print(f"boot from a clean var/: {boot:.1f} s (migrations {migrated:.1f} s)  goal < 45 s")
    print(
        f"idle memory: {processes} processes, RSS sum {rss / 1024:.0f} MiB "
        f"(PSS sum {pss / 1024:.0f} MiB)  goal RSS < 1.2 GB"
    )
    print(f"stopped with SIGINT: exit code {code}")


if __name__ == "__main__":
    sys.exit(main())
