"""Read-your-writes through the product cache, with the real processes: two gunicorns of two
workers each on the embedded default (SQLite + its cache file), two replicas sharing PostgreSQL
and Redis, and a Redis that dies mid-run (our own ``redis-server``, never the shared one).

Each check is a write followed at once by reads on fresh connections, so they land on
either worker or replica; none may see the version from before the write.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from keel_common.testing.replicas import OwnRedis, WebReplicas, own_redis_server

pytestmark = pytest.mark.e2e
KEEL_CORE = str(Path(sys.executable).parent / "keel-core")
BODY = {"title": "Desk", "price_cents": 100, "currency": "EUR", "category": "c", "stock": 50}
ROUNDS = 15


@pytest.fixture
def replicas(tmp_path: Path, jwks_url: str) -> Iterator[Callable[..., list[str]]]:
    """Start ``count`` ``keel-core web`` replicas (two gunicorn workers each) on one database."""
    started = WebReplicas(KEEL_CORE, tmp_path, JWKS_URL=jwks_url)
    yield started.start
    started.stop()


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
    bases = replicas(f"sqlite:///{tmp_path / 'core.db'}", count=2)
    _read_your_writes(bases, seller, buyer)
    assert (tmp_path / "core.db.cache").exists()
    metrics = requests.get(f"{bases[0]}/metrics", timeout=10).text
    assert 'keel_core_product_cache_reads_total{kind="product_document",result="hit"}' in metrics
    # Reads were also answered from copies in the processes (keel_common.cache.epoch: the
    # epoch every process of the host maps from core.db.cache.epoch) and still never
    # returned a version older than the last write's.
    near = 'keel_core_product_cache_reads_total{kind="product_document",result="near_hit"}'
    assert near in metrics


def test_read_your_writes_across_replicas_sharing_redis(
    replicas: Callable[..., list[str]], postgres_url: str, redis_url: str, seller: Any, buyer: Any
) -> None:
    bases = replicas(postgres_url, count=2, REDIS_URL=redis_url)
    _read_your_writes(bases, seller, buyer)
    metrics = requests.get(f"{bases[1]}/metrics", timeout=10).text
    assert 'keel_core_product_cache_reads_total{kind="product_document",result="hit"}' in metrics
    # Reads were also answered from copies in the processes (keel_common.cache.near) and
    # still never returned a version older than the last write's.
    near = 'keel_core_product_cache_reads_total{kind="product_document",result="near_hit"}'
    assert near in metrics


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    with own_redis_server(tmp_path) as server:
        yield server


def test_a_redis_outage_degrades_to_the_database(
    replicas: Callable[..., list[str]], postgres_url: str, redis_url: str,
    own_redis: OwnRedis, seller: Any,
) -> None:  # fmt: skip
    cache_url = own_redis.url
    [base] = replicas(postgres_url, REDIS_URL=redis_url, PRODUCT_CACHE_URL=cache_url)
    created = requests.post(f"{base}/v1/products", json=BODY, headers=seller.headers, timeout=10)
    path = f"/v1/products/{created.json()['id']}"
    assert {r.status_code for r in _get([base], path) + _get([base], path)} == {200}

    own_redis.stop()
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
