"""``search.v1.SearchService`` on a real gRPC server, wired to the real index and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from uuid import UUID

import grpc
import pytest

from keel_common.testing import eventually
from keel_protos.search.v1 import search_pb2, search_pb2_grpc
from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import Search
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.products import ProductDocument
from keel_search.domain.rebuilds import RebuildStatus, RebuildSummary
from keel_search.entrypoints.grpc_server import create_server
from keel_search.service_layer import rebuilding

MakeProduct = Callable[..., ProductDocument]
DEADLINE = 30.0  # liveness limit for the background rebuild, not a speed assertion


@pytest.fixture
def stub(wired: Search) -> Iterator[search_pb2_grpc.SearchServiceStub]:
    server = create_server(wired, port=0)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield search_pb2_grpc.SearchServiceStub(channel)
    finally:
        channel.close()
        server.stop(None).wait()


def test_search_has_the_http_semantics(
    wired: Search, stub: search_pb2_grpc.SearchServiceStub, make_product: MakeProduct
) -> None:
    wired.index.apply(
        [
            make_product(title="Brass lamp", category="lighting", price_cents=1500),
            make_product(title="Steel lamp", category="lighting", price_cents=900),
            make_product(title="Lamp oil", category="supplies", price_cents=300),
        ]
    )
    request = search_pb2.SearchRequest(
        q="lamp",
        category="lighting",
        min_price_cents=1000,
        sort=search_pb2.SORT_ORDER_PRICE_DESC,
        limit=5,
    )
    answer = stub.Search(request, timeout=10)
    assert [hit.title for hit in answer.hits] == ["Brass lamp"]
    assert answer.total == 1 and answer.next_cursor == ""
    assert answer.hits[0].highlights["title"] == "Brass <mark>lamp</mark>"
    assert {(f.category, f.count) for f in answer.facets} == {("lighting", 1)}


def test_bad_parameters_are_invalid_argument(stub: search_pb2_grpc.SearchServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.Search(search_pb2.SearchRequest(limit=500), timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as caught:
        stub.Search(search_pb2.SearchRequest(min_price_cents=9, max_price_cents=1), timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_reindex_rebuilds_in_the_background(
    wired: Search,
    stub: search_pb2_grpc.SearchServiceStub,
    catalogue: FakeProductSource,
    make_product: MakeProduct,
) -> None:
    wired.index.apply([make_product(title="Discontinued lamp")])
    catalogue.products = [make_product(title=f"Catalogue lamp {n}") for n in range(1200)]
    answer = stub.Reindex(search_pb2.ReindexRequest(), timeout=10)
    assert answer.accepted
    job = wait_until_finished(wired, UUID(answer.job_id))
    assert (job.status, job.documents) == (RebuildStatus.SUCCEEDED, 1200)
    found = stub.Search(search_pb2.SearchRequest(q="lamp"), timeout=10)
    assert found.total == 1200


def test_a_second_reindex_is_refused_with_the_running_job(
    wired: Search, stub: search_pb2_grpc.SearchServiceStub
) -> None:
    job, builder = rebuilding.start_rebuild(
        RebuildIndex("cli"), wired.index, wired.uow(), wired.clock
    )
    try:
        answer = stub.Reindex(search_pb2.ReindexRequest(), timeout=10)
    finally:
        builder.abort()
    assert (answer.accepted, answer.job_id) == (False, str(job.id))


def wait_until_finished(wired: Search, job_id: UUID) -> RebuildSummary:
    def finished() -> RebuildSummary | None:
        job = rebuilding.get_rebuild(job_id, wired.uow())
        return None if job.is_running else job

    return eventually(finished, f"rebuild {job_id} to finish", DEADLINE)
