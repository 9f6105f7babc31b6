from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel_common.auth import FakeTokenVerifier
from keel_common.discovery import FakeDiscovery
from keel_common.messaging import create_broker
from keel_common.settings import load_settings
from keel_common.testing.plugin import upgrade_from_template
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import DECLARATION, Search, bootstrap
from keel_search.config import SearchSettings
from keel_search.service_layer.ports import SearchIndex

OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL")
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def catalogue() -> FakeProductSource:
    """Stands in for core's ListProducts in rebuilds started by the entrypoints."""
    return FakeProductSource()


@pytest.fixture
def wired(database_url: str, tmp_path: Path, catalogue: FakeProductSource) -> Iterator[Search]:
    """The service wired to real adapters: a migrated database (SQLite and PostgreSQL) and
    the embedded index on disk."""
    upgrade_from_template(database_url, MIGRATIONS)
    settings = load_settings(
        SearchSettings,
        database_url=database_url,
        search_index_dir=tmp_path / "index",
        broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
    )
    # Only search's own queues: the broker of a test declares no other service's topology.
    broker = create_broker(
        settings.broker_url,
        exchange=settings.events_exchange,
        service="search",
        queues=DECLARATION.queues,
    )
    search = bootstrap(
        settings,
        broker=broker,
        product_source=catalogue,
        discovery=FakeDiscovery(),
        verifier=FakeTokenVerifier(),
    )
    yield search
    search.close()


@pytest.fixture(params=["embedded", "opensearch"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique_name: str
) -> Iterator[SearchIndex]:
    """Every ``SearchIndex`` implementation; OpenSearch only when OPENSEARCH_URL is set
    (no OpenSearch runs on the development machines, so it is skipped, not failed)."""
    if request.param == "embedded":
        index: SearchIndex = EmbeddedSearchIndex(tmp_path / "index")
        yield index
        index.close()
        return
    if not OPENSEARCH_URL:
        pytest.skip("OPENSEARCH_URL is not set: the OpenSearch conformance run is skipped")
    from keel_search.adapters.opensearch_client import connect
    from keel_search.adapters.opensearch_index import OpenSearchSearchIndex

    client = connect(OPENSEARCH_URL)
    remote = OpenSearchSearchIndex(client, name=f"keel-test-{unique_name}")
    try:
        yield remote
    finally:
        remote.drop()
        client.close()
