"""``SearchIndex`` on OpenSearch, for deployments that outgrow one machine.

Index layout: concrete indices ``<name>-<ns>``; the alias ``<name>`` points at the live one
(reads and writes), ``<name>-building`` at the one a rebuild fills. Every write carries the
product's version as an external version, so OpenSearch itself drops stale writes,
atomically, whichever replica or rebuild sends them and in whatever order; a deletion is
written as a tombstone document (``live: false``) so its version is kept for good, unlike
a real delete, which OpenSearch forgets after ``index.gc_deletes`` (60 s).

A rebuild never loses an event: while the building alias exists, ``apply`` writes every
change through both aliases; the swap is one atomic ``_aliases`` call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from opensearchpy import OpenSearch

from keel_search.adapters.opensearch_queries import MAPPINGS, SETTINGS, search_body
from keel_search.domain.errors import RebuildInProgress
from keel_search.domain.products import (
    ApplyOutcome,
    ProductChange,
    ProductDocument,
    ProductTombstone,
)
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import CategoryCount, SearchHit, SearchResult
from keel_search.service_layer.ports import IndexBuilder, SearchIndex

CONFLICT = 409
NOT_FOUND = 404
LIVE = {"term": {"live": True}}


class OpenSearchSearchIndex(SearchIndex):
    def __init__(self, client: OpenSearch, name: str = "keel-products") -> None:
        self.client = client
        self.live_alias = name
        self.building_alias = f"{name}-building"
        self._ensure_live_index()

    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        if not changes:
            return []
        aliases = [self.live_alias]
        if self.client.indices.exists_alias(name=self.building_alias):
            aliases.append(self.building_alias)
        operations = [op for change in changes for alias in aliases for op in _write(alias, change)]
        items = self.client.bulk(body=operations, refresh="wait_for", require_alias=True)["items"]
        outcomes = []
        for position, item in enumerate(items):
            result = item["index"]
            live = position % len(aliases) == 0
            status = result.get("status", 200)
            if live and status < 300:
                outcomes.append(ApplyOutcome.APPLIED)
            elif live and status == CONFLICT:
                outcomes.append(ApplyOutcome.STALE)
            elif live or status not in (CONFLICT, NOT_FOUND):  # building alias gone: swapped
                raise RuntimeError(f"OpenSearch refused a write: {result.get('error')}")
        return outcomes

    def search(self, query: SearchQuery) -> SearchResult:
        response = self.client.search(index=self.live_alias, body=search_body(query))
        hits = [
            SearchHit(_document(hit["_id"], hit["_source"]), _highlights(hit))
            for hit in response["hits"]["hits"]
        ]
        buckets = response["aggregations"]["categories"]["buckets"]
        return SearchResult(
            hits=hits,
            total=int(response["hits"]["total"]["value"]),
            facets=[CategoryCount(b["key"], int(b["doc_count"])) for b in buckets],
        )

    def document_count(self) -> int:
        return int(self.client.count(index=self.live_alias, body={"query": LIVE})["count"])

    def owned_by(self, owner_id: UUID, limit: int) -> list[ProductDocument]:
        mine = {"term": {"owner_id": str(owner_id)}}
        body = {"query": {"bool": {"filter": [LIVE, mine]}}, "size": limit}
        response = self.client.search(index=self.live_alias, body=body)
        return [_document(hit["_id"], hit["_source"]) for hit in response["hits"]["hits"]]

    def start_rebuild(self) -> OpenSearchIndexBuilder:
        if self.client.indices.exists_alias(name=self.building_alias):
            raise RebuildInProgress()
        name = f"{self.live_alias}-{time.time_ns()}"
        self.client.indices.create(index=name, body=_index_body({self.building_alias: {}}))
        return OpenSearchIndexBuilder(self, name)

    def drop(self) -> None:
        """Delete every index of this name (tests). By name: clusters refuse wildcard
        deletes by default (``action.destructive_requires_name``)."""
        names = list(self.client.indices.get(index=f"{self.live_alias}-*"))
        for name in names:
            self.client.indices.delete(index=name, ignore_unavailable=True)

    def _ensure_live_index(self) -> None:
        if self.client.indices.exists_alias(name=self.live_alias):
            # An index made by an older release lacks the fields added since (thumbnail_url);
            # adding fields to a mapping is allowed in place, and the mapping is "strict".
            self.client.indices.put_mapping(index=self.live_alias, body=MAPPINGS)
            return
        # A fixed first name: processes starting together create it once, not twice.
        # 400 (resource_already_exists_exception): another process won the race.
        self.client.indices.create(
            index=f"{self.live_alias}-initial",
            body=_index_body({self.live_alias: {"is_write_index": True}}),
            ignore=400,
        )


class OpenSearchIndexBuilder(IndexBuilder):
    def __init__(self, index: OpenSearchSearchIndex, name: str) -> None:
        self._index = index
        self._client = index.client
        self.name = name

    def add(self, documents: Sequence[ProductDocument]) -> None:
        operations = [op for document in documents for op in _write(self.name, document)]
        items = self._client.bulk(body=operations)["items"]
        for item in items:
            status = item["index"].get("status", 200)
            if status >= 300 and status != CONFLICT:  # conflict: an event got there first
                raise RuntimeError(f"OpenSearch refused a write: {item['index'].get('error')}")

    def finish(self) -> int:
        self._client.indices.refresh(index=self.name)
        live = self._index.live_alias
        old = list(self._client.indices.get_alias(name=live))
        actions = [
            *({"remove": {"index": index, "alias": live}} for index in old),
            {"add": {"index": self.name, "alias": live, "is_write_index": True}},
            {"remove": {"index": self.name, "alias": self._index.building_alias}},
        ]
        self._client.indices.update_aliases(body={"actions": actions})
        for index in old:
            self._client.indices.delete(index=index, ignore_unavailable=True)
        return self._index.document_count()

    def abort(self) -> None:
        self._client.indices.delete(index=self.name, ignore_unavailable=True)


def _index_body(aliases: dict[str, Any]) -> dict[str, Any]:
    return {"settings": SETTINGS, "mappings": MAPPINGS, "aliases": aliases}


def _write(index: str, change: ProductChange) -> list[dict[str, Any]]:
    action = {
        "index": {
            "_index": index,
            "_id": str(change.id),
            "version": change.version,
            "version_type": "external",
        }
    }
    if isinstance(change, ProductTombstone):
        return [action, {"live": False, "version": change.version}]
    return [action, _source(change)]


def _source(document: ProductDocument) -> dict[str, Any]:
    return {
        "live": True,
        "version": document.version,
        "title": document.title,
        "description": document.description,
        "category": document.category,
        "price_cents": document.price_cents,
        "currency": document.currency,
        "owner_id": str(document.owner_id),
        "created_at": document.created_at.isoformat(),
        "updated_at": document.updated_at.isoformat(),
        "thumbnail_url": document.thumbnail_url,
    }


def _document(doc_id: str, source: dict[str, Any]) -> ProductDocument:
    from datetime import datetime
    from uuid import UUID

    return ProductDocument(
        id=UUID(doc_id),
        title=source["title"],
        description=source["description"],
        category=source["category"],
        price_cents=int(source["price_cents"]),
        currency=source["currency"],
        owner_id=UUID(source["owner_id"]),
        created_at=datetime.fromisoformat(source["created_at"]),
        updated_at=datetime.fromisoformat(source["updated_at"]),
        version=int(source["version"]),
        thumbnail_url=source.get("thumbnail_url"),
    )


def _highlights(hit: dict[str, Any]) -> dict[str, str]:
    return {
        field: fragments[0] for field, fragments in hit.get("highlight", {}).items() if fragments
    }
