"""The search gRPC server: ``create_server(service)`` is what ``keel-search grpc`` runs.

``search.v1.SearchService`` is for services inside the cluster (the gateway does not route
gRPC): ``Search`` has the HTTP route's semantics; ``Reindex`` starts a rebuild in a
background thread of this process and answers at once with the job id.
"""

from __future__ import annotations

import json
import logging
from uuid import UUID

import grpc

from keel_common.grpc import Callers, KeelServer, ServerSecurity, abort_for
from keel_common.grpc import create_server as create_keel_server
from keel_protos.search.v1 import search_pb2, search_pb2_grpc
from keel_search.bootstrap import Search
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.errors import InvalidQuery, RebuildInProgress
from keel_search.domain.queries import SearchQuery, SortOrder
from keel_search.domain.results import SearchResult
from keel_search.entrypoints.background import run_in_background
from keel_search.service_layer import export, rebuilding
from keel_search.service_layer.searching import answer_search

log = logging.getLogger(__name__)

SERVICE_NAMES = ["search.v1.SearchService"]
# Who may call what (the caller's certificate names it); a method not listed: nobody.
# Clients search over HTTP and operators reindex with `keel-search` jobs: no service calls.
CALLERS: Callers = {
    "search.v1.SearchService": {
        "Search": (),
        "Reindex": (),
        "ExportUserData": ("auth",),  # issue #14's data export: auth only
    }
}
STATUS_CODES: dict[type[Exception], grpc.StatusCode] = {
    InvalidQuery: grpc.StatusCode.INVALID_ARGUMENT,
}
_SORTS = {
    search_pb2.SORT_ORDER_UNSPECIFIED: SortOrder.RELEVANCE,
    search_pb2.SORT_ORDER_RELEVANCE: SortOrder.RELEVANCE,
    search_pb2.SORT_ORDER_NEWEST: SortOrder.NEWEST,
    search_pb2.SORT_ORDER_PRICE_ASC: SortOrder.PRICE_ASC,
    search_pb2.SORT_ORDER_PRICE_DESC: SortOrder.PRICE_DESC,
}


def query_from_request(request: search_pb2.SearchRequest) -> SearchQuery:
    sort = _SORTS.get(request.sort)
    return SearchQuery.parse(
        text=request.q,
        category=request.category or None,
        min_price_cents=request.min_price_cents if request.HasField("min_price_cents") else None,
        max_price_cents=request.max_price_cents if request.HasField("max_price_cents") else None,
        sort=sort.value if sort else "unknown",
        limit=request.limit or None,
        cursor=request.cursor or None,
    )


def response_from_result(result: SearchResult) -> search_pb2.SearchResponse:
    return search_pb2.SearchResponse(
        hits=[
            search_pb2.SearchHit(
                id=str(hit.product.id),
                title=hit.product.title,
                description=hit.product.description,
                price_cents=hit.product.price_cents,
                currency=hit.product.currency,
                category=hit.product.category,
                highlights=dict(hit.highlights),
            )
            for hit in result.hits
        ],
        total=result.total,
        next_cursor=result.next_cursor or "",
        facets=[
            search_pb2.CategoryFacet(category=f.category, count=f.count) for f in result.facets
        ],
    )


def _serialized(result: SearchResult) -> bytes:
    # Bytes in the cache: a shared message object could be changed by whoever gets it.
    return response_from_result(result).SerializeToString()


class SearchServicer(search_pb2_grpc.SearchServiceServicer):
    def __init__(self, service: Search) -> None:
        self._service = service

    def Search(
        self, request: search_pb2.SearchRequest, context: grpc.ServicerContext
    ) -> search_pb2.SearchResponse:
        service = self._service
        try:
            query = query_from_request(request)
        except InvalidQuery as exc:
            abort_for(context, exc, STATUS_CODES)
        answer = answer_search(query, service.index, service.result_cache, _serialized, "grpc")
        return search_pb2.SearchResponse.FromString(answer)

    def Reindex(
        self, request: search_pb2.ReindexRequest, context: grpc.ServicerContext
    ) -> search_pb2.ReindexResponse:
        service = self._service
        try:
            job, builder = rebuilding.start_rebuild(
                RebuildIndex(requested_by="grpc"), service.index, service.uow(), service.clock
            )
        except RebuildInProgress:
            running = rebuilding.running_rebuild(service.uow())
            return search_pb2.ReindexResponse(
                accepted=False, job_id=str(running.id) if running else ""
            )

        run_in_background(service, job, builder)
        return search_pb2.ReindexResponse(accepted=True, job_id=str(job.id))

    def ExportUserData(
        self, request: search_pb2.ExportUserDataRequest, context: grpc.ServicerContext
    ) -> search_pb2.ExportUserDataResponse:
        """Auth's data export (issue #14): the user's indexed products as JSON."""
        try:
            user_id = UUID(request.user_id)
        except ValueError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "user_id must be a UUID")
        document = export.export_user(self._service.index, user_id)
        return search_pb2.ExportUserDataResponse(
            document=json.dumps(document, default=str).encode()
        )


def create_server(service: Search, *, port: int | None = None) -> KeelServer:
    """The server, not started; ``port`` defaults to the settings' ``GRPC_PORT``."""
    servicer = SearchServicer(service)

    def register(server: grpc.Server) -> None:
        search_pb2_grpc.add_SearchServiceServicer_to_server(servicer, server)

    return create_keel_server(
        "search",
        service.settings.grpc_port if port is None else port,
        register,
        service_names=SERVICE_NAMES,
        callers=CALLERS,
        security=ServerSecurity.from_settings(service.settings),
    )
