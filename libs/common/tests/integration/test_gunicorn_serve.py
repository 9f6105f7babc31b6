"""serve() runs real gunicorn; /metrics adds up the counts of every worker process.

The subprocess imports this file as a module (``test_gunicorn_serve:create_toy_app()``), so
the toy app factory lives here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent
BATCH = 30
MAX_BATCHES = 10
SERVE = """
from keel_common.http import serve
from keel_common.settings import ServiceSettings, load_settings

class ToySettings(ServiceSettings):
    service_name: str = "gtoy"

serve("test_gunicorn_serve:create_toy_app()", load_settings(ToySettings, http_port=0),
      host="127.0.0.1")
"""


def create_toy_app() -> object:
    from keel_common.http import create_app
    from keel_common.settings import ServiceSettings, load_settings

    class ToySettings(ServiceSettings):
        service_name: str = "gtoy"

    app = create_app("gtoy", load_settings(ToySettings))

    @app.get("/v1/gtoy/pid")
    def pid() -> dict[str, int]:
        # Holding the only thread a moment makes the other worker take the next request.
        time.sleep(0.02)
        return {"pid": os.getpid()}

    return app


class Server:
    """The gunicorn subprocess, with its output drained into ``lines`` (a full pipe would
    block its logging)."""

    def __init__(self, process: subprocess.Popen[str], tmp_path: Path) -> None:
        self.process = process
        self.tmp_path = tmp_path
        self.lines: list[str] = []
        self.base = ""
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for_address(self, deadline: float) -> None:
        """gunicorn logs ``Listening at: http://127.0.0.1:<port>`` once bound to port 0."""
        while time.monotonic() < deadline and self.process.poll() is None:
            for line in list(self.lines):
                match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
                if match:
                    self.base = match.group(1)
                    return
            time.sleep(0.05)
        raise AssertionError("gunicorn did not start:\n" + "".join(self.lines))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self._drainer.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def json_lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]


def wait_for_workers(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # bound but no worker booted yet: the machine may be busy
        time.sleep(0.1)
    raise AssertionError("no worker answered /healthz")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        # Unset, so serve() must make the directory itself -- under TMPDIR, cleaned by pytest.
        "TMPDIR": str(tmp_path),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(process, tmp_path)
    try:
        server.wait_for_address(time.monotonic() + 60)
        wait_for_workers(server.base, time.monotonic() + 60)
        yield server
    finally:
        server.stop()


def served_by(base: str) -> Counter[int]:
    """Requests in batches of ``BATCH`` until both workers have answered some (which
    worker accepts a connection is the kernel's choice) or ``MAX_BATCHES`` ran."""

    def one(_: int) -> int:
        response = requests.get(f"{base}/v1/gtoy/pid", timeout=10)
        response.raise_for_status()
        return int(response.json()["pid"])

    pids: Counter[int] = Counter()
    with ThreadPoolExecutor(max_workers=6) as pool:
        for _ in range(MAX_BATCHES):
            pids.update(pool.map(one, range(BATCH)))
            if len(pids) == 2:
                break
    return pids


def test_metrics_aggregate_every_worker(server: Server) -> None:
    pids = served_by(server.base)
    print(json.dumps({"requests per worker pid": pids}))
    assert len(pids) == 2, f"expected both workers to answer, got {pids}"
    scrape = requests.get(f"{server.base}/metrics", timeout=10).text
    counted = [
        line
        for line in scrape.splitlines()
        if line.startswith("keel_http_requests_total{")
        and 'route="/v1/gtoy/pid"' in line
        and 'status="200"' in line
    ]
    assert len(counted) == 1, f"no sample from the worker files in:\n{scrape}"
    line = counted[0]
    assert float(line.rsplit(" ", 1)[1]) == sum(pids.values())
    assert list(server.tmp_path.glob("keel-metrics-*/counter_*.db"))


def test_every_line_is_json_with_the_access_line_per_request(server: Server) -> None:
    response = requests.get(
        f"{server.base}/v1/gtoy/pid", headers={"X-Request-ID": "gun-1"}, timeout=10
    )
    assert response.headers["X-Request-ID"] == "gun-1"
    missing = requests.get(f"{server.base}/v1/absent", timeout=10)
    assert missing.headers["Content-Type"] == "application/problem+json"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("/v1/absent" in line for line in server.lines):
        time.sleep(0.05)
    assert all(line.startswith("{") for line in server.lines), server.lines
    lines = server.json_lines()
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own, too
    access = [line for line in lines if line["logger"] == "keel.access"]
    assert {"request_id": "gun-1", "status": 200, "service": "gtoy"}.items() <= access[-2].items()
    assert access[-1]["status"] == 404
