"""Read-your-writes through the product cache, with the real processes: gunicorn with two
workers on the embedded default (SQLite + its cache file), two replicas sharing PostgreSQL
and Redis, and a Redis that dies mid-run (our own ``redis-server``, never the shared one).

Each check is a write followed at once by reads on fresh connections, so they land on
either worker or replica; none may see the version from before the write.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from keel_common.testing import eventually, free_port
from keel_common.testing.plugin import require

pytestmark = pytest.mark.e2e
KEEL_CORE = str(Path(sys.executable).parent / "keel-core")
BODY = {"title": "Desk", "price_cents": 100, "currency": "EUR", "category": "c", "stock": 50}
ROUNDS = 15


def _ready(base: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "keel-core web exited; see web*.log under the test's tmp_path"
    try:
        return requests.get(f"{base}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def replicas(tmp_path: Path, jwks_url: str) -> Iterator[Callable[..., list[str]]]:
    """Start ``count`` ``keel-core web`` replicas (two gunicorn workers each) on one database."""
    processes: list[subprocess.Popen[bytes]] = []

    def _start(database_url: str, count: int = 1, **env: str) -> list[str]:
        common = os.environ | {
            "DATABASE_URL": database_url, "JWKS_URL": jwks_url, "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2", "BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        } | env  # fmt: skip
        migrate = subprocess.run([KEEL_CORE, "migrate"], env=common, capture_output=True)
        assert migrate.returncode == 0, migrate.stderr
        bases = []
        # Distinct ports: two quick free_port() calls may hand back the same one.
        ports: set[int] = set()
        while len(ports) < count:
            ports.add(free_port())
        for n, port in enumerate(sorted(ports)):
            environment = common | {
                "BIND_HOST": "127.0.0.1", "HTTP_PORT": str(port),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"m{n}"),
            }  # fmt: skip
            with (tmp_path / f"web{n}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [KEEL_CORE, "web"],
                        env=environment,
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes[-count:], strict=True):
            eventually(lambda: _ready(base, process), "keel-core web", timeout=120)  # noqa: B023
        return bases

    yield _start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(60)


def _get(bases: list[str], path: str) -> list[requests.Response]:
    """``path`` on every replica, each twice, on fresh connections (so on either worker)."""
    return [requests.get(f"{base}{path}", timeout=10) for base in bases for _ in range(2)]


def _read_your_writes(bases: list[str], seller: Any, buyer: Any) -> None:
    write = bases[0]
    created = requests.post(f"{write}/v1/products", json=BODY, headers=seller.headers, timeout=10)
    assert created.status_code == 201, created.text
    product = created.json()
    path = f"/v1/products/{product['id']}"
    for n in range(ROUNDS):
        _get(bases, path), _get(bases, "/v1/products?limit=20")  # warm every worker's view
        title = f"Desk {n}"
        patched = requests.patch(
            f"{write}{path}", json={"title": title}, headers=seller.headers, timeout=10
        )
        assert patched.status_code == 200, patched.text
        assert {r.json()["title"] for r in _get(bases, path)} == {title}
        listed = _get(bases, "/v1/products?limit=20")
        assert {r.json()["items"][0]["title"] for r in listed} == {title}

        order = {"items": [{"product_id": product["id"], "quantity": 1}]}
        headers = buyer.headers | {"Idempotency-Key": f"order-{n}"}
        placed = requests.post(f"{write}/v1/orders", json=order, headers=headers, timeout=10)
        assert placed.status_code == 201, placed.text
        assert {r.json()["stock"] for r in _get(bases, path)} == {BODY["stock"] - n - 1}

    deleted = requests.delete(f"{write}{path}", headers=seller.headers, timeout=10)
    assert deleted.status_code == 204
    assert {r.status_code for r in _get(bases, path)} == {404}
    assert {len(r.json()["items"]) for r in _get(bases, "/v1/products?limit=20")} == {0}


def test_read_your_writes_on_the_embedded_default(
    replicas: Callable[..., list[str]], tmp_path: Path, seller: Any, buyer: Any
) -> None:
    bases = replicas(f"sqlite:///{tmp_path / 'core.db'}")
    _read_your_writes(bases, seller, buyer)
    assert (tmp_path / "core.db.cache").exists()
    metrics = requests.get(f"{bases[0]}/metrics", timeout=10).text
    assert 'keel_core_product_cache_reads_total{kind="product_document",result="hit"}' in metrics


def test_read_your_writes_across_replicas_sharing_redis(
    replicas: Callable[..., list[str]], postgres_url: str, redis_url: str, seller: Any, buyer: Any
) -> None:
    bases = replicas(postgres_url, count=2, REDIS_URL=redis_url)
    _read_your_writes(bases, seller, buyer)
    metrics = requests.get(f"{bases[1]}/metrics", timeout=10).text
    assert 'keel_core_product_cache_reads_total{kind="product_document",result="hit"}' in metrics


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``redis-server`` of this test's own, on a free port, that the test may kill."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir",
         str(tmp_path)], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        eventually(lambda: _pings(url), "redis-server to answer", timeout=30)
        yield url, server
    finally:
        server.kill()
        server.wait(30)


def _pings(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def test_a_redis_outage_degrades_to_the_database(
    replicas: Callable[..., list[str]], postgres_url: str, redis_url: str,
    own_redis: tuple[str, subprocess.Popen[bytes]], seller: Any,
) -> None:  # fmt: skip
    cache_url, server = own_redis
    [base] = replicas(postgres_url, REDIS_URL=redis_url, PRODUCT_CACHE_URL=cache_url)
    created = requests.post(f"{base}/v1/products", json=BODY, headers=seller.headers, timeout=10)
    path = f"/v1/products/{created.json()['id']}"
    assert {r.status_code for r in _get([base], path) + _get([base], path)} == {200}

    server.kill()
    server.wait(30)
    patched = requests.patch(
        f"{base}{path}", json={"title": "After"}, headers=seller.headers, timeout=10
    )
    assert patched.status_code == 200, patched.text
    for _ in range(3):
        assert {r.json()["title"] for r in _get([base], path)} == {"After"}
        assert {r.status_code for r in _get([base], "/v1/products?limit=20")} == {200}
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    assert 'keel_core_product_cache_reads_total{kind="product",result="unavailable"}' in metrics
    assert 'keel_core_product_cache_invalidations_total{result="failed"}' in metrics
