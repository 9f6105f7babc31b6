"""The OpenSearch adapter speaks OpenSearch's REST API through the real ``opensearch-py``
client: only the connection is replaced, by one that records each request and answers like a
cluster would, so the paths, parameters and bodies checked here are what goes on the wire.
(The engine's behaviour is the conformance suite's job, when OPENSEARCH_URL is set.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from opensearchpy import Connection, OpenSearch

from keel_search.adapters.opensearch_index import OpenSearchSearchIndex
from keel_search.domain.products import ApplyOutcome, ProductDocument, ProductTombstone
from keel_search.domain.queries import SearchQuery

MakeProduct = Callable[..., ProductDocument]
Answer = tuple[int, Any]


class RecordingConnection(Connection):
    """Answers from ``routes`` (``(method, path)`` -> status and JSON), else ``default``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.routes: dict[tuple[str, str], Answer | Callable[[Any], Answer]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], Any]] = []
        self.default: Answer = (404, {"error": "not found", "status": 404})

    def perform_request(  # type: ignore[override]
        self, method: str, url: str, params: Any = None, body: Any = None, **kwargs: Any
    ) -> tuple[int, dict[str, str], str]:
        decoded = _decode(body)
        # The client has already escaped parameter values to bytes, as they go on the wire.
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in (params or {}).items()}
        self.requests.append((method, url, text, decoded))
        route = self.routes.get((method, url), self.default)
        status, answer = route(decoded) if callable(route) else route
        raw = json.dumps(answer)
        if not 200 <= status < 300 and status not in kwargs.get("ignore", ()):
            self._raise_error(status, raw, "application/json")
        return status, {"content-type": "application/json"}, raw

    def sent(self, method: str, path: str) -> list[tuple[dict[str, Any], Any]]:
        return [(params, body) for m, p, params, body in self.requests if (m, p) == (method, path)]


def _decode(body: bytes | None) -> Any:
    if body is None:
        return None
    lines = body.decode().splitlines()
    return json.loads(lines[0]) if len(lines) == 1 else [json.loads(line) for line in lines]


@pytest.fixture
def cluster() -> RecordingConnection:
    client = OpenSearch("http://opensearch.invalid:9200", connection_class=RecordingConnection)
    connection: RecordingConnection = client.transport.connection_pool.connection
    connection.client = client  # type: ignore[attr-defined]
    connection.routes[("HEAD", "/_alias/keel-products")] = (200, {})
    connection.routes[("PUT", "/keel-products/_mapping")] = (200, {"acknowledged": True})
    return connection


def index_on(cluster: RecordingConnection) -> OpenSearchSearchIndex:
    return OpenSearchSearchIndex(cluster.client, name="keel-products")  # type: ignore[attr-defined]


def bulk_answer(*statuses: int) -> Answer:
    return 200, {"errors": False, "items": [{"index": {"status": s}} for s in statuses]}


def test_the_first_start_creates_the_live_index_behind_its_alias() -> None:
    client = OpenSearch("http://opensearch.invalid:9200", connection_class=RecordingConnection)
    cluster: RecordingConnection = client.transport.connection_pool.connection
    # 400: another process created it first, which is fine.
    cluster.routes[("PUT", "/keel-products-initial")] = (400, {"error": "already exists"})
    OpenSearchSearchIndex(client, name="keel-products")
    [(_, body)] = cluster.sent("PUT", "/keel-products-initial")
    assert body["aliases"] == {"keel-products": {"is_write_index": True}}
    assert body["mappings"]["properties"]["title"] == {"type": "text", "analyzer": "keel_words"}


def test_an_existing_index_gets_the_fields_added_since(cluster: RecordingConnection) -> None:
    index_on(cluster)
    [(_, mapping)] = cluster.sent("PUT", "/keel-products/_mapping")
    assert mapping["properties"]["thumbnail_url"] == {
        "type": "keyword",
        "index": False,
        "doc_values": False,
    }


def test_writes_go_through_the_alias_with_the_version_as_external(
    cluster: RecordingConnection, make_product: MakeProduct
) -> None:
    cluster.routes[("POST", "/_bulk")] = bulk_answer(201, 409)
    lamp, old = make_product(version=3), make_product(version=1)
    assert index_on(cluster).apply([lamp, old]) == [ApplyOutcome.APPLIED, ApplyOutcome.STALE]
    [(params, lines)] = cluster.sent("POST", "/_bulk")
    assert params == {"refresh": "wait_for", "require_alias": "true"}
    action = {"_index": "keel-products", "_id": str(lamp.id), "version": 3}
    assert lines[0] == {"index": {**action, "version_type": "external"}}
    assert (lines[1]["title"], lines[1]["live"], lines[1]["version"]) == (lamp.title, True, 3)


def test_a_deletion_is_a_tombstone_document(
    cluster: RecordingConnection, make_product: MakeProduct
) -> None:
    cluster.routes[("POST", "/_bulk")] = bulk_answer(200)
    lamp = make_product()
    index_on(cluster).apply([ProductTombstone(lamp.id, 4, lamp.created_at)])
    [(_, lines)] = cluster.sent("POST", "/_bulk")
    assert lines[1] == {"live": False, "version": 4}


def test_during_a_rebuild_every_change_is_written_to_both_indices(
    cluster: RecordingConnection, make_product: MakeProduct
) -> None:
    cluster.routes[("HEAD", "/_alias/keel-products-building")] = (200, {})
    # The building alias answers 404 when the swap happened between the check and the write.
    cluster.routes[("POST", "/_bulk")] = bulk_answer(201, 404)
    assert index_on(cluster).apply([make_product()]) == [ApplyOutcome.APPLIED]
    [(_, lines)] = cluster.sent("POST", "/_bulk")
    targets = [line["index"]["_index"] for line in lines if "index" in line]
    assert targets == ["keel-products", "keel-products-building"]


def test_a_refused_write_is_an_error(
    cluster: RecordingConnection, make_product: MakeProduct
) -> None:
    cluster.routes[("POST", "/_bulk")] = bulk_answer(400)
    with pytest.raises(RuntimeError, match="OpenSearch refused a write"):
        index_on(cluster).apply([make_product()])


def test_search_sends_the_body_and_reads_hits_total_and_facets(
    cluster: RecordingConnection, make_product: MakeProduct
) -> None:
    lamp = make_product(title="Brass lamp", version=2)
    source = {
        **{k: getattr(lamp, k) for k in ("title", "description", "category", "currency")},
        **{"price_cents": lamp.price_cents, "version": 2, "live": True},
        **{"owner_id": str(lamp.owner_id), "created_at": lamp.created_at.isoformat()},
        "updated_at": lamp.updated_at.isoformat(),
    }
    hit = {"_id": str(lamp.id), "_source": source, "highlight": {"title": ["<mark>x</mark>"]}}
    cluster.routes[("POST", "/keel-products/_search")] = (
        200,
        {
            "hits": {"total": {"value": 41, "relation": "eq"}, "hits": [hit]},
            "aggregations": {"categories": {"buckets": [{"key": "audio", "doc_count": 41}]}},
        },
    )
    query = SearchQuery.parse(text="lamp", limit=1)
    page_two = SearchQuery.parse(text="lamp", limit=1, cursor=query.next_cursor(total=41))
    result = index_on(cluster).search(page_two)
    [(_, body)] = cluster.sent("POST", "/keel-products/_search")
    assert (body["from"], body["size"], body["track_total_hits"]) == (1, 1, True)
    assert [h.product for h in result.hits] == [lamp]
    assert result.hits[0].highlights == {"title": "<mark>x</mark>"}
    assert (result.total, [(f.category, f.count) for f in result.facets]) == (41, [("audio", 41)])


def test_a_rebuild_fills_a_new_index_and_swaps_the_alias_in_one_call(
    cluster: RecordingConnection, make_product: MakeProduct
) -> None:
    index = index_on(cluster)
    cluster.routes[("HEAD", "/_alias/keel-products-building")] = (404, {})
    cluster.default = (200, {"acknowledged": True})  # creating the index with its timed name
    builder = index.start_rebuild()
    [(_, created)] = cluster.sent("PUT", f"/{builder.name}")
    assert created["aliases"] == {"keel-products-building": {}}
    cluster.routes[("POST", "/_bulk")] = bulk_answer(201)
    builder.add([make_product()])
    cluster.routes[("GET", "/_alias/keel-products")] = (200, {"keel-products-initial": {}})
    cluster.routes[("POST", "/keel-products/_count")] = (200, {"count": 1})
    assert builder.finish() == 1
    [(_, swap)] = cluster.sent("POST", "/_aliases")
    assert swap["actions"] == [
        {"remove": {"index": "keel-products-initial", "alias": "keel-products"}},
        {"add": {"index": builder.name, "alias": "keel-products", "is_write_index": True}},
        {"remove": {"index": builder.name, "alias": "keel-products-building"}},
    ]
    assert cluster.sent("DELETE", "/keel-products-initial")
    [(_, count)] = cluster.sent("POST", "/keel-products/_count")
    assert count == {"query": {"term": {"live": True}}}
