"""What the embedded engine stores per product, and how it reads it back."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from keel_search.adapters.embedded import querying
from keel_search.adapters.embedded.generation import stored_uuid, to_tantivy
from keel_search.domain.products import ProductTombstone


def test_a_tombstone_holds_no_searchable_text() -> None:
    # Searches with words leave out the ``live`` clause because no word can match a
    # tombstone: that holds while a tombstone has none of the searched fields.
    tombstone = to_tantivy(ProductTombstone(uuid4(), 3, datetime(2025, 1, 1, tzinfo=UTC)))
    searched = {field for field, _ in querying.FIELD_BOOSTS}
    assert searched and not searched & set(tombstone.to_dict())


@pytest.mark.parametrize(
    "text",
    [
        "084db90f-43f2-4325-abf1-f39c5f0100e5",
        str(UUID(int=0)),
        str(UUID(int=2**128 - 1)),
        "12345678123412341234123456789012",
        "{12345678-1234-1234-1234-123456789012}",
        "urn:uuid:12345678-1234-1234-1234-123456789012",
        "urn:12345678123412341234123456789012",
        "+2345678-1234-1234-1234-123456789012",
        "1-2345678123412341234123456789012--",
        "12345678-1234-1234-1234-12345678901g",
        "12345678-1234-1234-1234-1234567890",
        "x" * 36,
    ],
)
def test_a_stored_uuid_reads_as_uuid_reads_it(text: str) -> None:
    try:
        expected = UUID(text)
    except ValueError:
        with pytest.raises(ValueError):
            stored_uuid(text)
        return
    got = stored_uuid(text)
    assert (got, str(got), hash(got), got.is_safe) == (expected, str(expected), hash(expected),
                                                       expected.is_safe)  # fmt: skip
