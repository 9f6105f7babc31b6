"""search's back-office API (/v1/admin/search/...) on a real socket, real index and database:
who may call it, the index's state, and a rebuild started and watched to its end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from keel_common.auth import FakeTokenVerifier
from keel_common.messaging import Envelope
from keel_common.testing import live_server
from keel_events.core import ProductUpdated
from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import Search
from keel_search.entrypoints.flask_app import create_app

PROBLEM = "application/problem+json"
NOBODY = "00000000-0000-4000-8000-000000000000"
ROUTES = [
    ("GET", "/v1/admin/search/index"),
    ("POST", "/v1/admin/search/rebuilds"),
    ("GET", f"/v1/admin/search/rebuilds/{NOBODY}"),
]


@pytest.fixture
def verifier() -> FakeTokenVerifier:
    return FakeTokenVerifier()


@pytest.fixture
def base_url(wired: Search, verifier: FakeTokenVerifier) -> Iterator[str]:
    wired.verifier = verifier
    with live_server(create_app(wired)) as url:
        yield url


@pytest.fixture
def bearer(verifier: FakeTokenVerifier) -> Callable[..., dict[str, str]]:
    return lambda *roles: {"Authorization": f"Bearer {verifier.issue(roles=roles)}"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_admin_route_needs_a_token(base_url: str, method: str, path: str) -> None:
    response = requests.request(method, f"{base_url}{path}", timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith(PROBLEM)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_admin_route_refuses_a_user(
    base_url: str, bearer: Callable[..., dict[str, str]], method: str, path: str
) -> None:
    response = requests.request(method, f"{base_url}{path}", headers=bearer("user"), timeout=10)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith(PROBLEM)


def _wait_finished(base_url: str, location: str, headers: dict[str, str]) -> dict[str, Any]:
    # Bounded only so a broken rebuild fails the test; no speed is asserted.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = requests.get(
            f"{base_url}{location}", headers=headers, timeout=10
        ).json()
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("the rebuild did not finish")


def test_staff_start_a_rebuild_and_watch_it_finish(
    base_url: str,
    bearer: Callable[..., dict[str, str]],
    catalogue: FakeProductSource,
    make_product: Callable[..., Any],
    verifier: FakeTokenVerifier,
) -> None:
    catalogue.products = [make_product(title=f"Lamp {n}") for n in range(7)]
    staff = bearer("staff")
    before = requests.get(f"{base_url}/v1/admin/search/index", headers=staff, timeout=10)
    assert before.json() == {"documents": 0, "last_rebuild": None, "pending_changes": 0}

    started = requests.post(f"{base_url}/v1/admin/search/rebuilds", headers=staff, timeout=10)

    assert started.status_code == 202, started.text
    job = _wait_finished(base_url, started.headers["Location"], staff)
    assert (job["status"], job["documents"], job["error"]) == ("succeeded", 7, None)
    # The job row is the audit record: who started it, when, how it ended.
    who = str(verifier.verify(staff["Authorization"].split()[1]).user_id)
    assert job["requested_by"] == who and job["started_at"] and job["finished_at"]
    after = requests.get(f"{base_url}/v1/admin/search/index", headers=staff, timeout=10).json()
    assert after["documents"] == 7
    assert after["last_rebuild"] == job


@pytest.mark.parametrize(
    ("path", "role"),
    [("/v1/admin/search/index", "staff"), ("/v1/admin/search/dead-letters", "admin")],
)
def test_with_require_mfa_for_roles_the_token_needs_a_second_factor(
    base_url: str, wired: Search, verifier: FakeTokenVerifier, path: str, role: str
) -> None:
    wired.settings = wired.settings.model_copy(
        update={"require_mfa_for_roles": frozenset({"admin", "staff"})}
    )
    one = {"Authorization": f"Bearer {verifier.issue(roles=[role], amr=['pwd'])}"}
    two = {"Authorization": f"Bearer {verifier.issue(roles=[role], amr=['hwk', 'mfa', 'user'])}"}

    refused = requests.get(f"{base_url}{path}", headers=one, timeout=10)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/mfa-required"
    assert requests.get(f"{base_url}{path}", headers=two, timeout=10).status_code == 200


def test_the_index_status_counts_the_product_changes_waiting_for_the_consumer(
    base_url: str, wired: Search, bearer: Callable[..., dict[str, str]]
) -> None:
    wired.broker.check()  # declares search's queues, as a running worker has
    changed = [Envelope.new(ProductUpdated.type, "keel-core", {}) for _ in range(3)]
    wired.broker.publish_batch(changed)
    status = requests.get(f"{base_url}/v1/admin/search/index", headers=bearer("staff"), timeout=10)
    assert status.json()["pending_changes"] == 3
