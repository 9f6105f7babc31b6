"""Real processes for the tests of a cache shared across workers and replicas: a service's
``keel-<svc> web`` started as several replicas of several gunicorn workers each, and a
``redis-server`` of the test's own that it may kill and start again."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from keel_common.testing import eventually, free_port
from keel_common.testing.plugin import require


class WebReplicas:
    """``executable web`` replicas on loopback, logging to ``web<n>.log`` under ``workdir``;
    ``stop`` ends them all."""

    def __init__(self, executable: str, workdir: Path, **env: str) -> None:
        self._executable = executable
        self._workdir = workdir
        self._env = env
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self, database_url: str, count: int = 1, workers: int = 2, **env: str) -> list[str]:
        """Migrate ``database_url``, start ``count`` replicas of ``workers`` gunicorn workers
        each, and return their base URLs once each answers ``/readyz``."""
        common = os.environ | self._env | {
            "DATABASE_URL": database_url, "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": "2",
            "BROKER_URL": f"sqla+sqlite:///{self._workdir / 'broker.db'}",
        } | env  # fmt: skip
        command = [self._executable, "migrate"]
        migrate = subprocess.run(command, env=common, capture_output=True)  # noqa: S603
        assert migrate.returncode == 0, migrate.stderr
        # Distinct ports: two quick free_port() calls may hand back the same one.
        ports: set[int] = set()
        while len(ports) < count:
            ports.add(free_port())
        started = len(self._processes)
        bases = []
        for port in sorted(ports):
            n = len(self._processes)
            environment = common | {
                "BIND_HOST": "127.0.0.1", "HTTP_PORT": str(port),
                "PROMETHEUS_MULTIPROC_DIR": str(self._workdir / f"m{n}"),
            }  # fmt: skip
            with (self._workdir / f"web{n}.log").open("wb") as log:
                process = subprocess.Popen(  # noqa: S603
                    [self._executable, "web"],
                    env=environment,
                    cwd=self._workdir,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self._processes.append(process)
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, self._processes[started:], strict=True):
            eventually(lambda: self._ready(base, process), f"{self._executable} web", timeout=120)  # noqa: B023
        return bases

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.wait(60)

    def _ready(self, base: str, process: subprocess.Popen[bytes]) -> bool:
        assert process.poll() is None, (
            f"{self._executable} web exited; see {self._workdir}/web*.log"
        )
        try:
            return requests.get(f"{base}/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False


class OwnRedis:
    """A ``redis-server`` of this test's own, on a free port, that the test may kill and
    start again holding what it held (append-only file, synced on every write)."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.command += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(workdir)]
        self.server: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.server = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)  # noqa: S603
        eventually(self.pings, "redis-server to answer", timeout=30)

    def stop(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.wait(30)
            self.server = None

    def pings(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()


@contextmanager
def own_redis_server(workdir: Path) -> Iterator[OwnRedis]:
    """An ``OwnRedis`` started in ``workdir`` and killed afterwards (a test that needs one
    fails under ``CI=true`` when ``redis-server`` is missing, and skips elsewhere)."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    server = OwnRedis(str(binary), workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
