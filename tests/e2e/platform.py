"""Start the whole platform the way production runs it, on loopback, for end-to-end tests.

Every service runs as its real processes (`keel-<svc> migrate`, then `web` under gunicorn,
`grpc` and `worker`) against real PostgreSQL databases and a real RabbitMQ, and client calls
go through the real nginx gateway rendered from docker/gateway/ — the same routes as the
ingress.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from keel_common.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "core", "notification", "search")
KINDS = ("web", "grpc", "worker")


@dataclass
class Platform:
    base_url: str
    outbox_dir: Path
    workdir: Path
    env: dict[str, dict[str, str]]
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted((self.workdir / "logs").glob("*.log"))
        )

    def stop(self) -> None:
        for _, proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for _, proc in self.processes:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def create_databases(admin_url: str, prefix: str) -> dict[str, str]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    urls = {}
    with admin.connect() as conn:
        for svc in SERVICES:
            name = f"{prefix}_{svc}"
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            urls[svc] = sa.make_url(admin_url).set(database=name).render_as_string(False)
    admin.dispose()
    return urls


def drop_databases(admin_url: str, prefix: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for svc in SERVICES:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{prefix}_{svc}" WITH (FORCE)'))
    admin.dispose()


def service_env(
    svc: str,
    ports: dict[str, dict[str, int]],
    database_url: str,
    broker_url: str,
    exchange: str,
    outbox_dir: Path,
    redis_url: str | None,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        SERVICE_NAME=svc,
        ENVIRONMENT="test",
        DATABASE_URL=database_url,
        BROKER_URL=broker_url,
        EVENTS_EXCHANGE=exchange,
        DISCOVERY="static",
        STATIC_SERVICES=",".join(f"{s}=127.0.0.1:{ports[s]['grpc']}" for s in SERVICES),
        HTTP_PORT=str(ports[svc]["web"]),
        GRPC_PORT=str(ports[svc]["grpc"]),
        METRICS_PORT=str(ports[svc]["worker"]),
        OUTBOX_DIR=str(outbox_dir),
        JWKS_URL=f"http://127.0.0.1:{ports['auth']['web']}/.well-known/jwks.json",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_platform(
    workdir: Path,
    database_urls: dict[str, str],
    broker_url: str,
    exchange: str,
    redis_url: str | None = None,
) -> Platform:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    ports = {s: {k: free_port() for k in KINDS} for s in SERVICES}
    outbox_dir = workdir / "outbox"
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    gateway_port = free_port()
    envs = {
        s: service_env(s, ports, database_urls[s], broker_url, exchange, outbox_dir, redis_url)
        for s in SERVICES
    }
    platform = Platform(f"http://127.0.0.1:{gateway_port}", outbox_dir, workdir, envs)
    bindir = Path(sys.executable).parent
    for svc in SERVICES:
        subprocess.run(
            [str(bindir / f"keel-{svc}"), "migrate"],
            env=envs[svc],
            check=True,
            capture_output=True,
            timeout=120,
        )
    for svc in SERVICES:
        for kind in KINDS:
            log = (workdir / "logs" / f"{svc}-{kind}.log").open("wb")
            proc = subprocess.Popen(
                [str(bindir / f"keel-{svc}"), kind],
                env=envs[svc],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
            platform.processes.append((f"{svc}-{kind}", proc))
    gateway = workdir / "gateway"
    (gateway / "logs").mkdir(parents=True, exist_ok=True)
    conf = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docker/gateway/render.py"),
            "--listen",
            f"127.0.0.1:{gateway_port}",
            "--prefix",
            str(gateway),
            *[a for s in SERVICES for a in (f"--{s}", f"127.0.0.1:{ports[s]['web']}")],
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (gateway / "nginx.conf").write_text(conf)
    nginx_log = (workdir / "logs" / "gateway.log").open("wb")
    platform.processes.append(
        (
            "gateway",
            subprocess.Popen(
                [
                    nginx,
                    "-p",
                    str(gateway),
                    "-c",
                    str(gateway / "nginx.conf"),
                    "-e",
                    "stderr",
                    "-g",
                    "daemon off;",
                ],
                stdout=nginx_log,
                stderr=subprocess.STDOUT,
            ),
        )
    )
    try:
        wait_ready(platform, ports)
    except Exception:
        platform.stop()
        raise
    return platform


def wait_ready(platform: Platform, ports: dict[str, dict[str, int]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = {s: f"http://127.0.0.1:{ports[s]['web']}/readyz" for s in SERVICES}
    pending["gateway"] = f"{platform.base_url}/v1/app-version?platform=ios&version=1.0.0"
    while pending and time.monotonic() < deadline:
        for name, proc in platform.processes:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}\n{platform.logs()}")
        for name, url in list(pending.items()):
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    del pending[name]
            except requests.RequestException:
                pass
        time.sleep(0.3)
    if pending:
        raise RuntimeError(f"not ready after {timeout}s: {sorted(pending)}\n{platform.logs()}")
