"""``GET /v1/search/products`` on a real socket, wired to the real index and database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import requests

from keel_common.auth import FakeTokenVerifier
from keel_common.testing import live_server
from keel_common.testing.dead_letters import dead_letter
from keel_search.bootstrap import DECLARATION, Search
from keel_search.domain.products import ProductDocument
from keel_search.entrypoints.flask_app import create_app

MakeProduct = Callable[..., ProductDocument]
PROBLEM = "application/problem+json"


@pytest.fixture
def base_url(wired: Search) -> Iterator[str]:
    with live_server(create_app(wired)) as url:
        yield url


def get(base_url: str, **params: object) -> requests.Response:
    return requests.get(f"{base_url}/v1/search/products", params=params, timeout=10)


def test_search_answers_hits_total_cursor_and_facets(
    wired: Search, base_url: str, make_product: MakeProduct
) -> None:
    lamps = [make_product(title=f"Brass lamp {n}", category="lighting") for n in range(3)]
    wired.index.apply([*lamps, make_product(title="Lamp oil", category="supplies")])
    answer = get(base_url, q="lamp", limit=2, category="lighting")
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 3
    assert {(f["category"], f["count"]) for f in body["facets"]} == {
        ("lighting", 3),
        ("supplies", 1),
    }
    first = body["hits"][0]
    assert set(first) == {
        "id",
        "title",
        "description",
        "price_cents",
        "currency",
        "category",
        "thumbnail_url",
        "highlights",
    }
    assert first["thumbnail_url"] is None  # none of these products has an image
    assert "<mark>lamp</mark>" in first["highlights"]["title"]
    rest = get(base_url, q="lamp", limit=2, category="lighting", cursor=body["next_cursor"]).json()
    assert rest["next_cursor"] is None
    seen = {hit["id"] for hit in body["hits"] + rest["hits"]}
    assert seen == {str(lamp.id) for lamp in lamps}


def test_typing_and_typos_find_the_product(
    wired: Search, base_url: str, make_product: MakeProduct
) -> None:
    wired.index.apply([make_product(title="Wireless headphones")])
    for q in ("wireless headph", "wirless headphones", "HEADPHONES"):
        assert [h["title"] for h in get(base_url, q=q).json()["hits"]] == ["Wireless headphones"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "cheapest"}, "sort"),
        ({"min_price_cents": -1}, "min_price_cents"),
        ({"min_price_cents": 500, "max_price_cents": 100}, "max_price_cents"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": "x" * 257}, "q"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_get_a_422_problem(
    base_url: str, params: dict[str, object], field: str
) -> None:
    answer = get(base_url, **params)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    assert any(error["loc"] == ["query", field] for error in answer.json()["errors"])


@pytest.mark.parametrize("q", ['"', "title:(", "lamp*~^2", "[1 TO", "\\", "💡", "%00", "'--"])
def test_special_characters_never_error(
    wired: Search, base_url: str, make_product: MakeProduct, q: str
) -> None:
    wired.index.apply([make_product(title="Brass lamp")])
    assert get(base_url, q=q).status_code == 200


def test_a_cursor_from_another_search_is_refused(
    wired: Search, base_url: str, make_product: MakeProduct
) -> None:
    wired.index.apply([make_product(title=f"Lamp {n}") for n in range(3)])
    cursor = get(base_url, q="lamp", limit=1).json()["next_cursor"]
    assert get(base_url, q="lamp", limit=1, cursor=cursor).status_code == 200
    assert get(base_url, q="chair", limit=1, cursor=cursor).status_code == 422


def test_the_api_is_documented_and_ready(base_url: str) -> None:
    document = requests.get(f"{base_url}/v1/search/openapi.json", timeout=10).json()
    assert "/v1/search/products" in document["paths"]
    ready = requests.get(f"{base_url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "index": "ok"}


def test_the_dead_letter_count_is_for_admins_and_counts_each_queue(
    wired: Search, base_url: str
) -> None:
    path = f"{base_url}/v1/admin/search/dead-letters"
    verifier = wired.verifier
    assert isinstance(verifier, FakeTokenVerifier)
    anonymous = requests.get(path, timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["Content-Type"] == PROBLEM
    user = {"Authorization": f"Bearer {verifier.issue(uuid.uuid4())}"}
    forbidden = requests.get(path, headers=user, timeout=10)
    assert forbidden.status_code == 403 and forbidden.headers["Content-Type"] == PROBLEM
    admin = {"Authorization": f"Bearer {verifier.issue(uuid.uuid4(), roles=['admin'])}"}
    assert requests.get(path, headers=admin, timeout=10).json()["queues"][0]["dead_letters"] == 0

    spec = DECLARATION.queues[0]
    dead_letter(wired.settings.broker_url, spec, count=3)

    queues = requests.get(path, headers=admin, timeout=10).json()["queues"]
    assert queues[0] == {
        "queue": "search.products",
        "dead_queue": spec.dead_queue,
        "dead_letters": 3,
    }
    assert {q["queue"]: q["dead_letters"] for q in queues[1:]} == {"search.erasure": 0}
