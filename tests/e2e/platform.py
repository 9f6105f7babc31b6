"""Start the whole platform the way production runs it, on loopback, for end-to-end tests.

Every service runs as its real processes (`keel-<svc> migrate`, then `web` under gunicorn,
`grpc` and `worker`) against real PostgreSQL databases and a real RabbitMQ, and client calls
go through the real nginx gateway rendered from docker/gateway/ — the same routes as the
ingress. Each process writes its log to ``workdir/logs/<svc>-<kind>.log`` (JSON lines).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import pytest
import requests

from keel_common.grpc import MutualTls
from keel_common.testing import free_port
from keel_common.testing.certificates import TestCertificateAuthority
from keel_common.testing.plugin import POSTGRES_ADMIN_URL, RABBITMQ_URL, port_open, require

from .servers import SERVICES, RabbitVhost, create_databases, drop_databases

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KINDS = ("web", "grpc", "worker")
STOP_GRACE = 20.0  # seconds each process gets to drain after SIGTERM before SIGKILL


@dataclass
class Backends:
    """Where the services keep their state and exchange events."""

    database_urls: dict[str, str]
    broker_url: str
    exchange: str
    redis_url: str | None = None


@dataclass
class Platform:
    base_url: str
    workdir: Path
    ports: dict[str, dict[str, int]]
    env: dict[str, dict[str, str]]
    ca: TestCertificateAuthority = field(default_factory=TestCertificateAuthority)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _log_files: list[IO[bytes]] = field(default_factory=list)
    _commands: dict[str, tuple[list[str], dict[str, str] | None]] = field(default_factory=dict)
    #: Core's local object store, served by the gateway: outside pytest's private (0700)
    #: temp folders, which nginx's unprivileged workers could not enter.
    media_dir: Path = field(default_factory=lambda: _world_readable_dir("keel-media-"))
    #: nginx's prefix, for the same reason: its workers write request bodies over 16 KiB to
    #: temp files there, and inside pytest's folders each one answered 500 (#16).
    gateway_dir: Path = field(default_factory=lambda: _world_readable_dir("keel-gateway-"))

    def grpc_channel(self, service: str, *, caller: str = "operator") -> grpc.Channel:
        """A mutual-TLS channel to ``service`` presenting ``caller``'s certificate, as the
        services hold one each (an on-call engineer's is "operator")."""
        issued = self.ca.issue(caller)
        tls = MutualTls(issued.certificate, issued.private_key, issued.ca)
        options = [("grpc.ssl_target_name_override", service)]
        return grpc.secure_channel(
            self.grpc_address(service), tls.channel_credentials(), options=options
        )

    @property
    def outbox_dir(self) -> Path:
        """FILE_DELIVERY_DIR of the notification service: one file per outgoing message, by
        channel."""
        return self.workdir / "outbox"

    def grpc_address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]['grpc']}"

    def log_path(self, process: str) -> Path:
        return self.workdir / "logs" / f"{process}.log"

    def log_records(self, process: str) -> list[dict[str, Any]]:
        """The JSON log lines of ``process`` (``core-web``, ``notification-worker``, ...)."""
        records = []
        for line in self.log_path(process).read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line a library printed around the JSON logger
            if isinstance(record, dict):
                records.append(record)
        return records

    def logs(self, tail: int = 4000) -> str:
        """The end of every process's log, for failure messages."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}"
            for path in sorted((self.workdir / "logs").glob("*.log"))
        )

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        # Appended to: a process started again (``start_again``) keeps its earlier lines.
        log = self.log_path(name).open("ab")
        self._log_files.append(log)
        self._commands[name] = (argv, env)
        self.processes[name] = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
        )

    def stop_process(self, name: str) -> None:
        """SIGTERM one process (``notification-worker``) and wait until it has drained."""
        proc = self.processes[name]
        proc.terminate()
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def start_again(self, name: str) -> None:
        """Start a stopped process with the command and environment it first had."""
        assert self.processes[name].poll() is not None, f"{name} is still running"
        self.spawn(name, *self._commands[name])

    def stop(self) -> None:
        """SIGTERM everything (each process drains), SIGKILL what is still up after the grace."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for proc in self.processes.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._log_files:
            log.close()
        shutil.rmtree(self.media_dir, ignore_errors=True)
        shutil.rmtree(self.gateway_dir, ignore_errors=True)


def certificate_env(ca: TestCertificateAuthority, svc: str, workdir: Path) -> dict[str, str]:
    """The service's certificate, key and CA as files, where cert-manager would mount them."""
    directory = ca.issue(svc).write(workdir / "certs" / svc)
    return {
        "GRPC_TLS_CERT_FILE": str(directory / "tls.crt"),
        "GRPC_TLS_KEY_FILE": str(directory / "tls.key"),
        "GRPC_TLS_CA_FILE": str(directory / "ca.crt"),
    }


def service_env(
    svc: str, ports: dict[str, dict[str, int]], backends: Backends, workdir: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        SERVICE_NAME=svc,
        ENVIRONMENT="test",
        BIND_HOST="127.0.0.1",
        DATABASE_URL=backends.database_urls[svc],
        BROKER_URL=backends.broker_url,
        EVENTS_EXCHANGE=backends.exchange,
        DISCOVERY="static",
        STATIC_SERVICES=",".join(f"{s}=127.0.0.1:{ports[s]['grpc']}" for s in SERVICES),
        HTTP_PORT=str(ports[svc]["web"]),
        GRPC_PORT=str(ports[svc]["grpc"]),
        METRICS_PORT=str(ports[svc]["worker"]),
        FILE_DELIVERY_DIR=str(workdir / "outbox"),
        JWKS_URL=f"http://127.0.0.1:{ports['auth']['web']}/.well-known/jwks.json",
        # Two cores run the whole platform: one gunicorn worker and few consumer threads.
        WEB_CONCURRENCY="1",
        GUNICORN_GRACEFUL_TIMEOUT="5",
        CONSUMER_THREADS="2",
        SEARCH_CONSUMERS="2",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    if backends.redis_url:
        env["REDIS_URL"] = backends.redis_url
    if svc == "auth":
        # The whole suite signs up from one address; the per-IP limit is tested in auth's own
        # tests (and a few sign-ups still prove it is there).
        env["SIGNUP_PER_IP_HOURLY"] = "1000"
        # Required outside development (it encrypts TOTP secrets).
        env["MFA_ENCRYPTION_KEY"] = "e2e-only-mfa-encryption-key-not-a-secret"
    return env


def migrate(platform: Platform) -> None:
    """``keel-<svc> migrate`` for the four services at once; fails with their output."""
    running = {
        svc: subprocess.Popen(
            [str(BIN / f"keel-{svc}"), "migrate"],
            env=platform.env[svc],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=platform.workdir,
        )
        for svc in SERVICES
    }
    failures = []
    for svc, proc in running.items():
        output, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            failures.append(f"keel-{svc} migrate exited {proc.returncode}:\n{output.decode()}")
    if failures:
        raise RuntimeError("\n".join(failures))


CONSOLE_SECRET = "e2e-console-cookie-key-0123456789abcdef"


def start_console(platform: Platform, port: int) -> None:
    """The back-office console, a client of the platform through the gateway."""
    env = platform.env["core"] | {
        "SERVICE_NAME": "console",
        "HTTP_PORT": str(port),
        "CONSOLE_API_URL": platform.base_url,
        "CONSOLE_SECRET_KEY": CONSOLE_SECRET,
        # The browser talks to http://127.0.0.1: no HTTPS-only cookies here.
        "CONSOLE_COOKIE_SECURE": "false",
    }
    platform.ports["console"] = {"web": port}
    platform.spawn("console-web", [str(BIN / "keel-console"), "web"], env)


def _world_readable_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def media_env(platform: Platform) -> dict[str, str]:
    """Core's local object store: files in media_dir, uploads and reads via the gateway."""
    return {
        "MEDIA_DIR": str(platform.media_dir),
        "MEDIA_UPLOAD_URL": f"{platform.base_url}/v1/core/uploads/",
        "MEDIA_PUBLIC_URL": f"{platform.base_url}/media/",
    }


def start_gateway(platform: Platform, port: int, console_port: int | None = None) -> None:
    """Render docker/gateway/ for these ports and run nginx in the foreground."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = platform.gateway_dir
    upstreams = [a for s in SERVICES for a in (f"--{s}", f"127.0.0.1:{platform.ports[s]['web']}")]
    render = [str(ROOT / "docker/gateway/render.py"), "--listen", f"127.0.0.1:{port}"]
    # The whole suite is one client address standing in for many users, sending bursts
    # (sign-ups, orders, polls) that the per-address limit of a real client would refuse
    # now and then; the limit itself is tested in deploy/tests/test_gateway.py.
    render += ["--rate", "200", "--burst", "400"]
    render += ["--media", str(platform.media_dir)]
    if console_port is not None:
        render += ["--console", f"127.0.0.1:{console_port}"]
    conf = subprocess.run(
        [sys.executable, *render, "--prefix", str(prefix), *upstreams],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (prefix / "nginx.conf").write_text(conf)
    # The rendered config says `daemon off;`: nginx stays a child we can stop.
    platform.spawn("gateway", [nginx, "-p", str(prefix), "-c", "nginx.conf", "-e", "stderr"])


def start_platform(workdir: Path, backends: Backends, timeout: float = 600) -> Platform:
    """Migrate, start every process and the gateway, and wait until all of them answer."""
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    ports = {s: {k: free_port() for k in KINDS} for s in SERVICES}
    gateway_port = free_port()
    ca = TestCertificateAuthority()
    env = {
        s: service_env(s, ports, backends, workdir) | certificate_env(ca, s, workdir)
        for s in SERVICES
    }
    platform = Platform(f"http://127.0.0.1:{gateway_port}", workdir, ports, env, ca)
    env["core"].update(media_env(platform))
    migrate(platform)
    try:
        for svc in SERVICES:
            for kind in KINDS:
                argv = [str(BIN / f"keel-{svc}"), kind]
                platform.spawn(f"{svc}-{kind}", argv, env[svc] | _kind_env(workdir, svc, kind))
        console_port = free_port()
        start_console(platform, console_port)
        start_gateway(platform, gateway_port, console_port)
        wait_ready(platform, timeout)
    except BaseException:
        platform.stop()
        raise
    return platform


def _kind_env(workdir: Path, svc: str, kind: str) -> dict[str, str]:
    """gunicorn's workers share metric files; keep them in the workdir, not in /tmp."""
    if kind != "web":
        return {}
    metrics = workdir / "metrics" / svc
    metrics.mkdir(parents=True, exist_ok=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(metrics)}


def readiness_checks(platform: Platform) -> dict[str, Callable[[], bool]]:
    """name -> a callable that is true once that part of the platform answers."""
    checks: dict[str, Callable[[], bool]] = {}
    for svc, ports in platform.ports.items():
        if svc == "console":
            checks["console-web"] = _http_ok(f"{platform.base_url}/admin/healthz")
            continue
        checks[f"{svc}-web"] = _http_ok(f"http://127.0.0.1:{ports['web']}/readyz")
        checks[f"{svc}-grpc"] = _port_open(ports["grpc"])
        checks[f"{svc}-worker"] = _http_ok(f"http://127.0.0.1:{ports['worker']}/metrics")
    checks["gateway"] = _http_ok(f"{platform.base_url}/v1/app-version?platform=ios&version=1.0.0")
    return checks


def wait_ready(platform: Platform, timeout: float) -> None:
    """Poll every check until all pass; a process that exits or the deadline fails loudly."""
    deadline = time.monotonic() + timeout
    pending = readiness_checks(platform)
    while pending and time.monotonic() < deadline:
        for name, proc in platform.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}\n{platform.logs()}")
        pending = {name: check for name, check in pending.items() if not check()}
        if pending:
            time.sleep(0.5)
    if pending:
        raise RuntimeError(f"not ready after {timeout}s: {sorted(pending)}\n{platform.logs()}")


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(url, timeout=5).status_code == 200
        except requests.RequestException:
            return False

    return check


def _port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return True
        except OSError:
            return False

    return check


@contextmanager
def running_platform(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str | None
) -> Iterator[Platform]:
    """A platform of its own databases, vhost and exchange, stopped and removed on exit."""
    require(port_open(POSTGRES_ADMIN_URL, 5432), "PostgreSQL is not reachable")
    require(port_open(RABBITMQ_URL, 5672), "RabbitMQ is not reachable")
    require(
        shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(),
        "nginx is not installed (apt-get install nginx)",
    )
    prefix = "e2e" + secrets.token_hex(4)
    vhost = RabbitVhost.create(RABBITMQ_URL, prefix)
    try:
        backends = Backends(
            create_databases(POSTGRES_ADMIN_URL, prefix),
            vhost.url,
            f"keel.events.{prefix}",
            redis_url,
        )
        running = start_platform(tmp_path_factory.mktemp("platform"), backends)
        try:
            yield running
        finally:
            running.stop()
    finally:
        drop_databases(POSTGRES_ADMIN_URL, prefix)
        vhost.delete()
