from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel_common.db.alembic import upgrade
from keel_common.discovery import FakeDiscovery
from keel_common.settings import load_settings
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import Search, bootstrap
from keel_search.config import SearchSettings
from keel_search.service_layer.ports import SearchIndex

ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL")
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def catalogue() -> FakeProductSource:
    """Stands in for core's ListProducts in rebuilds started by the entrypoints."""
    return FakeProductSource()


@pytest.fixture
def wired(database_url: str, tmp_path: Path, catalogue: FakeProductSource) -> Iterator[Search]:
    """The service wired to real adapters: a migrated database (SQLite and PostgreSQL) and
    the embedded index on disk."""
    upgrade(database_url, MIGRATIONS)
    settings = load_settings(
        SearchSettings, database_url=database_url, search_index_dir=tmp_path / "index"
    )
    search = bootstrap(settings, product_source=lambda: catalogue, discovery=FakeDiscovery())
    yield search
    search.index.close()
    search.database.dispose()


@pytest.fixture(params=["embedded", "elasticsearch"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique_name: str
) -> Iterator[SearchIndex]:
    """Every ``SearchIndex`` implementation; Elasticsearch only when ELASTICSEARCH_URL is set
    (no Elasticsearch runs on the development machines, so it is skipped, not failed)."""
    if request.param == "embedded":
        index: SearchIndex = EmbeddedSearchIndex(tmp_path / "index")
        yield index
        index.close()
        return
    if not ELASTICSEARCH_URL:
        pytest.skip("ELASTICSEARCH_URL is not set: the Elasticsearch conformance run is skipped")
    from elasticsearch import Elasticsearch

    from keel_search.adapters.elasticsearch_index import ElasticsearchSearchIndex

    client = Elasticsearch(ELASTICSEARCH_URL)
    es_index = ElasticsearchSearchIndex(client, name=f"keel-test-{unique_name}")
    try:
        yield es_index
    finally:
        es_index.drop()
        client.close()
