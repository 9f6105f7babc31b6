"""The real processes, configured only by environment variables as in production:
``keel-core migrate``, ``web`` (gunicorn), ``grpc`` and ``worker`` against one database.

The worker publishes to the embedded broker here, so this test declares nothing on the
shared RabbitMQ (the topology binds every service's queues to the exchange it uses).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests
import sqlalchemy as sa

from keel_common.testing import eventually, free_port
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

pytestmark = pytest.mark.e2e
KEEL_CORE = str(Path(sys.executable).parent / "keel-core")


@pytest.fixture
def environment(postgres_url: str, jwks_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": postgres_url,
        "BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        "JWKS_URL": jwks_url,
        "HTTP_PORT": str(free_port()),
        "GRPC_PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }


@pytest.fixture
def start(environment: dict[str, str], tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def _start(command: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{command}.log").open("wb") as log:
            process = subprocess.Popen(
                [KEEL_CORE, command], env=os.environ | environment, cwd=tmp_path, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        processes[command] = process
        return process

    yield _start
    for process in processes.values():
        process.terminate()
    codes = {command: process.wait(60) for command, process in processes.items()}
    assert codes == dict.fromkeys(processes, 0), "a process did not stop cleanly on SIGTERM"


def _web_ready(base: str) -> bool:
    try:
        return requests.get(f"{base}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _published(database_url: str) -> bool:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            return connection.execute(sa.text(query)).scalar_one() == 0
    finally:
        engine.dispose()


def test_the_service_runs_as_processes(
    environment: dict[str, str], start: Callable[[str], Any], seller: Any
) -> None:
    migrate = subprocess.run(
        [KEEL_CORE, "migrate"], env=os.environ | environment, capture_output=True, check=False
    )
    assert migrate.returncode == 0, migrate.stderr
    for command in ("web", "grpc", "worker"):
        start(command)
    base = f"http://127.0.0.1:{environment['HTTP_PORT']}"
    eventually(lambda: _web_ready(base), "keel-core web to be ready", timeout=120)

    body = {"title": "Desk", "price_cents": 100, "currency": "EUR", "category": "c", "stock": 1}
    created = requests.post(f"{base}/v1/products", json=body, headers=seller.headers, timeout=10)
    assert created.status_code == 201, created.text

    channel = grpc.insecure_channel(f"127.0.0.1:{environment['GRPC_PORT']}")
    with channel:
        grpc.channel_ready_future(channel).result(timeout=120)
        stub = core_pb2_grpc.CatalogServiceStub(channel)
        listed = list(stub.ListProducts(core_pb2.ListProductsRequest(), timeout=10))
    assert [p.id for p in listed] == [created.json()["id"]]

    eventually(
        lambda: _published(environment["DATABASE_URL"]), "the worker to relay the outbox", 120
    )
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    assert 'keel_http_requests_total{method="POST",route="/v1/products",service="core"' in metrics
