"""A rolling restart behind the real nginx gateway loses nothing (#16): two gunicorn
instances of a Keel web app (keel_common.http, its gunicorn settings), one stopped with
SIGTERM under load, zero failed requests. Bounded loopback traffic: 4 clients, 600 requests.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.nginx

_spec = importlib.util.spec_from_file_location(
    "keel_gateway_harness", Path(__file__).with_name("test_gateway.py")
)
assert _spec and _spec.loader
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
upstreams = harness.upstreams  # the module-scoped fixture: tiny echo services

APP = """
import os
from keel_common.http import create_app
from keel_common.settings import ServiceSettings, load_settings


class ToySettings(ServiceSettings):
    service_name: str = "toy"


def make():
    app = create_app("toy", load_settings(ToySettings))

    @app.get("/v1/products")
    def products():
        return {"pid": os.getpid()}

    return app
"""
CLIENTS = 4
PER_CLIENT = 150


def start_web(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(folder),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_GRACEFUL_TIMEOUT": "10",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:keel_common.http.gunicorn_conf"]
    return subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "toy_web:make()"],
        env=env,
        cwd=folder,
    )


def wait_until_answering(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert proc.poll() is None, "gunicorn exited at start"
        try:
            requests.get(f"http://127.0.0.1:{port}/v1/products", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not start answering")


def load(base: str, results: list[tuple[str, object]], started: threading.Semaphore) -> None:
    """One client app on a keep-alive connection to the gateway, as a phone keeps one."""
    with requests.Session() as session:
        session.trust_env = False
        for _ in range(PER_CLIENT):
            try:
                answer = session.get(base + "/v1/products", timeout=15)
                ok = answer.status_code == 200
                results.append(
                    ("pid", answer.json()["pid"]) if ok else ("failed", answer.status_code)
                )
            except requests.RequestException as exc:
                results.append(("failed", type(exc).__name__))
            started.release()


def test_stopping_one_of_two_instances_under_load_fails_no_request(tool, tmp_path, upstreams):
    (tmp_path / "toy_web.py").write_text(APP)
    ports = [harness.free_port(), harness.free_port()]
    webs = [start_web(tmp_path, port) for port in ports]
    try:
        for port, proc in zip(ports, webs, strict=True):
            wait_until_answering(port, proc)
        core = ",".join(f"127.0.0.1:{port}" for port in ports)
        for base in harness.start_gateway(
            tool, tmp_path, {**upstreams, "core": core}, "--rate=100000", "--burst=100000"
        ):
            results: list[tuple[str, object]] = []
            started = threading.Semaphore(0)
            clients = [
                threading.Thread(target=load, args=(base, results, started)) for _ in range(CLIENTS)
            ]
            for client in clients:
                client.start()
            for _ in range(CLIENTS * PER_CLIENT // 4):  # a quarter of the load is done
                started.acquire()
            webs[0].send_signal(signal.SIGTERM)
            assert webs[0].wait(timeout=30) == 0  # a clean, graceful exit
            for client in clients:
                client.join(timeout=120)
            outcomes = Counter(results)
            assert len(results) == CLIENTS * PER_CLIENT
            assert [k for k in outcomes if k[0] == "failed"] == [], outcomes
            assert len(outcomes) == 2  # both instances' workers served, none failed
    finally:
        for proc in webs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
