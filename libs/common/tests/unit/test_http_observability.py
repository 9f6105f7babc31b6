"""Request ids, trace continuation, the access log and RED metrics of create_app."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from flask_openapi3 import OpenAPI
from prometheus_client import REGISTRY

from keel_common import tracing
from keel_common.http import Schema, create_app
from keel_common.logging import configure_logging
from keel_common.settings import ServiceSettings, load_settings

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class ObsSettings(ServiceSettings):
    service_name: str = "obs"


class ItemPath(Schema):
    item_id: int


def make_app() -> OpenAPI:
    app = create_app("obs", load_settings(ObsSettings))

    @app.get("/v1/items/<int:item_id>")
    def get_item(path: ItemPath) -> dict[str, object]:
        context = tracing.current_trace.get()
        assert context is not None
        logging.getLogger("keel.test").info("inside the route")
        return {
            "trace_id": context.trace_id,
            "parent_id": context.parent_id,
            "outgoing": tracing.to_headers(),
        }

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    return app


@pytest.fixture
def client() -> FlaskClient:
    return make_app().test_client()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("obs", "INFO", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/v1/items/1", headers={"X-Request-ID": "client-chosen-1"})
    assert response.headers["X-Request-ID"] == "client-chosen-1"


def test_request_id_is_generated_when_absent_or_unsafe(client: FlaskClient) -> None:
    first = client.get("/v1/items/1").headers["X-Request-ID"]
    unsafe = client.get("/v1/items/1", headers={"X-Request-ID": "a b{c}"}).headers["X-Request-ID"]
    assert first and unsafe and first != unsafe
    assert tracing.valid_request_id(unsafe) == unsafe


def test_request_id_is_set_on_error_answers_too(client: FlaskClient) -> None:
    response = client.get("/v1/nowhere", headers={"X-Request-ID": "lost-1"})
    assert response.headers["X-Request-ID"] == "lost-1"


def test_traceparent_is_continued_and_passed_on(client: FlaskClient) -> None:
    body = client.get("/v1/items/1", headers={"traceparent": PARENT, "X-Request-ID": "r1"}).json
    assert body["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert body["parent_id"] == "00f067aa0ba902b7"
    outgoing = tracing.parse_traceparent(body["outgoing"]["traceparent"])
    assert outgoing is not None
    assert outgoing.trace_id == body["trace_id"]
    assert outgoing.span_id != "00f067aa0ba902b7"  # this hop's own span is the next parent
    assert body["outgoing"]["x-request-id"] == "r1"
    assert tracing.current_trace.get() is None  # nothing leaks past the request


def test_logs_inside_a_request_carry_its_ids(client: FlaskClient, log_output: io.StringIO) -> None:
    client.get("/v1/items/1", headers={"traceparent": PARENT, "X-Request-ID": "r2"})
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    route_line = next(line for line in lines if line["message"] == "inside the route")
    assert route_line["request_id"] == "r2"
    assert route_line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_one_access_line_per_request_without_the_query_string(
    client: FlaskClient, log_output: io.StringIO
) -> None:
    client.get("/v1/items/7?access_token=opaque-value-123", headers={"X-Request-ID": "r3"})
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    (access,) = [line for line in lines if line["logger"] == "keel.access"]
    assert access["method"] == "GET"
    assert access["path"] == "/v1/items/7"
    assert access["route"] == "/v1/items/<int:item_id>"
    assert access["status"] == 200
    assert isinstance(access["duration_ms"], float)
    assert access["request_id"] == "r3"
    assert "opaque-value-123" not in log_output.getvalue()


def test_probes_are_logged_at_debug_only(client: FlaskClient, log_output: io.StringIO) -> None:
    client.get("/healthz")
    assert log_output.getvalue() == ""


def test_requests_are_counted_by_route_template(client: FlaskClient) -> None:
    labels = {"service": "obs", "method": "GET", "route": "/v1/items/<int:item_id>"}
    before = sample("keel_http_requests_total", status="200", **labels)
    latency_before = sample("keel_http_request_duration_seconds_count", **labels)
    client.get("/v1/items/1")
    client.get("/v1/items/2")
    assert sample("keel_http_requests_total", status="200", **labels) == before + 2
    assert sample("keel_http_request_duration_seconds_count", **labels) == latency_before + 2


def test_server_errors_are_counted(client: FlaskClient) -> None:
    labels = {"service": "obs", "method": "GET", "route": "/v1/boom"}
    before = sample("keel_http_request_errors_total", **labels)
    client.get("/v1/boom")
    assert sample("keel_http_request_errors_total", **labels) == before + 1
    assert sample("keel_http_requests_total", status="500", **labels) >= 1


def test_unmatched_paths_share_one_label(client: FlaskClient) -> None:
    labels = {"service": "obs", "method": "GET", "route": "unmatched", "status": "404"}
    before = sample("keel_http_requests_total", **labels)
    client.get("/v1/random-1")
    client.get("/v1/random-2")
    assert sample("keel_http_requests_total", **labels) == before + 2


def test_red_series_add_what_inc_and_observe_add() -> None:
    """The hot path writes the series' values itself; a twin fed through the public calls
    must export the same samples, a latency on a bucket's bound included."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from keel_common.http.observability import _RedSeries
    from keel_common.metrics import LATENCY_BUCKETS

    twins = CollectorRegistry()
    requests = Counter("twin_requests", "", ["service", "method", "route", "status"],
                       registry=twins)  # fmt: skip
    errors = Counter("twin_errors", "", ["service", "method", "route"], registry=twins)
    latency = Histogram("twin_latency", "", ["service", "method", "route"],
                        buckets=LATENCY_BUCKETS, registry=twins)  # fmt: skip
    labels = ("red-twin", "GET", "/v1/red/<int:n>")
    series = _RedSeries(*labels, 503)
    for elapsed in (0.0, 1e-9, 0.005, 0.0050001, 0.1, 0.3, 2.5, 10.0, 11.0):
        series.record(elapsed)
        requests.labels(*labels, "503").inc()
        errors.labels(*labels).inc()
        latency.labels(*labels).observe(elapsed)

    def samples(registry: CollectorRegistry, names: dict[str, str]) -> list[object]:
        return sorted(
            (names[metric.name] + s.name.removeprefix(metric.name), sorted(s.labels.items()),
             s.value)
            for metric in registry.collect()
            for s in metric.samples
            if s.labels.get("service") == "red-twin" and not s.name.endswith("_created")
        )  # fmt: skip

    ours = samples(
        REGISTRY,
        {
            "keel_http_requests": "requests",
            "keel_http_request_errors": "errors",
            "keel_http_request_duration_seconds": "latency",
        },
    )
    theirs = samples(twins, {"twin_requests": "requests", "twin_errors": "errors",
                             "twin_latency": "latency"})  # fmt: skip
    assert ours == theirs
    assert len(theirs) == 1 + 1 + len(LATENCY_BUCKETS) + 1 + 2  # +Inf bucket, count, sum
