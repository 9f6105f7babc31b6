"""The search body written directly is, byte for byte, what Flask's JSON provider makes."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from uuid import UUID

import pytest
from flask import Flask

from keel_search.domain.products import ProductDocument
from keel_search.domain.results import CategoryCount, SearchHit, SearchResult
from keel_search.entrypoints.schemas import SearchOut
from keel_search.entrypoints.search_json import search_body, writes_as_flask

# Everything json escapes: quotes, backslashes, control characters, non-ASCII (in and
# beyond the BMP), and the HTML of a fragment.
PIECES = ["lamp", " ", '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "…", "€",
          "\u2028", "😀", "<mark>", "</mark>", "&amp;", "'", ""]  # fmt: skip
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def text(rng: random.Random) -> str:
    return "".join(rng.choices(PIECES, k=rng.randint(0, 12)))


def result(rng: random.Random) -> SearchResult:
    hits = []
    for _ in range(rng.randint(0, 6)):
        product = ProductDocument(
            id=UUID(int=rng.getrandbits(128)),
            title=text(rng),
            description=text(rng),
            category=text(rng),
            price_cents=rng.choice([0, 1, 995, 2**53 + 1]),
            currency=rng.choice(["EUR", "USD"]),
            owner_id=UUID(int=rng.getrandbits(128)),
            created_at=NOW,
            updated_at=NOW,
            version=1,
            thumbnail_url=rng.choice([None, "", "https://img.example/1.webp", text(rng)]),
        )
        # The highlighted fields, and others (written by the general, sorting path).
        fields = rng.sample(["title", "description", "a", "zz"], rng.choice([0, 1, 1, 2, 2, 3]))
        hits.append(SearchHit(product, {field: text(rng) for field in fields}))
    facets = [CategoryCount(text(rng), rng.randint(0, 10**6)) for _ in range(rng.randint(0, 4))]
    cursor = rng.choice([None, "eyJvIjoyMCwiZiI6ImFiYyJ9", text(rng)])
    return SearchResult(hits, rng.randint(0, 10**7), facets, cursor)


def test_the_body_is_what_flask_makes_of_the_schema() -> None:
    app, rng = Flask(__name__), random.Random(3)
    assert writes_as_flask(app.json, app.debug)
    with app.app_context():
        for _ in range(500):
            found = result(rng)
            expected = app.json.response(SearchOut.of(found).model_dump(mode="json")).get_data()
            assert search_body(found) == expected, found


@pytest.mark.parametrize(
    ("setting", "value"), [("ensure_ascii", False), ("sort_keys", False), ("compact", False)]
)
def test_other_json_settings_are_left_to_flask(setting: str, value: bool) -> None:
    app = Flask(__name__)
    setattr(app.json, setting, value)
    assert not writes_as_flask(app.json, app.debug)


def test_debug_mode_s_indented_body_is_left_to_flask() -> None:
    app = Flask(__name__)
    app.debug = True
    assert not writes_as_flask(app.json, app.debug)
    app.json.compact = True
    assert writes_as_flask(app.json, app.debug)
