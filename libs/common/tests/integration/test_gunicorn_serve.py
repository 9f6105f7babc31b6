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
from prometheus_client import Counter as Counter_

HERE = Path(__file__).parent
BATCH = 30
MAX_BATCHES = 10
SERVE = """
from keel_common.http import serve
from keel_common.settings import ServiceSettings, load_settings
import test_gunicorn_serve  # as a service's CLI imports its metrics, in the master

class ToySettings(ServiceSettings):
    service_name: str = "gtoy"

serve("test_gunicorn_serve:create_toy_app()", load_settings(ToySettings, http_port=0),
      host="127.0.0.1")
"""


# No labels: its value is made as it is defined, in gunicorn's master (as auth's count of
# refused logins is), before the master prepares the multiprocess directory.
EVENTS = Counter_("gtoy_events", "Events counted by the toy app.")


def create_toy_app() -> object:
    from keel_common.http import create_app
    from keel_common.settings import ServiceSettings, load_settings

    class ToySettings(ServiceSettings):
        service_name: str = "gtoy"

    app = create_app("gtoy", load_settings(ToySettings))

    @app.post("/v1/gtoy/events")
    def event() -> dict[str, int]:
        EVENTS.inc()
        return {"pid": os.getpid()}

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


def started(tmp_path: Path, metrics_dir: Path | None) -> Iterator[Server]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        # Unset, serve() must make the directory itself -- under TMPDIR, cleaned by pytest.
        "TMPDIR": str(tmp_path),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if metrics_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from started(tmp_path, None)


@pytest.fixture
def server_in_a_given_dir(tmp_path: Path) -> Iterator[Server]:
    """Set in the environment before the process starts, as the Helm chart sets it: the
    value class prometheus_client chose on import is multiprocess already."""
    yield from started(tmp_path, tmp_path / "metrics")


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


def test_a_metric_made_in_the_master_counts_beside_the_workers_series(
    server_in_a_given_dir: Server,
) -> None:
    """Each request adds a labelled series (its route) around the unlabelled count, the
    order in which two handles on one worker file overwrote each other's entries (and
    /metrics failed to parse the file)."""
    base = server_in_a_given_dir.base
    for path in ("/v1/gtoy/pid", "/v1/absent", "/v1/gtoy/pid"):
        for _ in range(3):
            requests.get(base + path, timeout=10)
        requests.post(f"{base}/v1/gtoy/events", timeout=10).raise_for_status()
    scrape = requests.get(f"{base}/metrics", timeout=10)
    assert scrape.status_code == 200, scrape.text
    [events] = [x for x in scrape.text.splitlines() if x.startswith("gtoy_events_total ")]
    assert float(events.rsplit(" ", 1)[1]) == 3
