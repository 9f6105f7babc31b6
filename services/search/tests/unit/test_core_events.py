"""Core's product events become index changes with the product's first thumbnail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
import tantivy

from keel_events.core import ProductUpdated
from keel_search.adapters.core_events import change_from_event
from keel_search.adapters.embedded.generation import Generation, from_tantivy, to_tantivy
from keel_search.domain.products import ProductDocument

NOW = datetime(2026, 1, 1, tzinfo=UTC)
THUMB = "https://cdn.example.test/images/p/i-thumb.jpg"


def _event(**fields: object) -> ProductUpdated:
    data = {
        "id": uuid4(), "owner_id": uuid4(), "title": "Lamp", "description": "", "price_cents": 10,
        "currency": "EUR", "category": "lighting", "stock": 1, "version": 2, "created_at": NOW,
        "updated_at": NOW, "deleted_at": None,
    } | fields  # fmt: skip
    return ProductUpdated.model_validate(data)


def test_the_thumbnail_travels_from_the_event_into_the_embedded_index() -> None:
    change = change_from_event(_event(thumbnail_url=THUMB))

    assert isinstance(change, ProductDocument)
    assert change.thumbnail_url == THUMB
    assert from_tantivy(to_tantivy(change)).thumbnail_url == THUMB


def test_an_event_from_before_images_has_no_thumbnail() -> None:
    change = change_from_event(_event())
    assert isinstance(change, ProductDocument)
    assert change.thumbnail_url is None
    assert from_tantivy(to_tantivy(change)).thumbnail_url is None


def test_a_generation_with_an_older_schema_asks_for_a_reindex(tmp_path: Path) -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    tantivy.Index(builder.build(), path=str(tmp_path), reuse=True)

    with pytest.raises(RuntimeError, match="keel-search job reindex"):
        Generation("g1", tmp_path)
