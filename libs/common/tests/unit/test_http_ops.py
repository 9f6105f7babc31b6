"""/healthz, /readyz, /metrics and the OpenAPI document of an app built with create_app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask_openapi3 import OpenAPI
from openapi_spec_validator import validate
from pydantic import Field

from keel_common.http import BEARER_AUTH, PROBLEM_JSON, Schema, create_app
from keel_common.settings import ServiceSettings, load_settings


class DocSettings(ServiceSettings):
    service_name: str = "docs"


class NewOrder(Schema):
    product_id: str = Field(description="The product's public id")
    quantity: int = Field(ge=1)


class OrderList(Schema):
    page: int = 1


class Order(Schema):
    id: str
    quantity: int


def fail() -> None:
    raise ConnectionError("connection refused")


def make_app(readiness: dict[str, Callable[[], None]] | None = None) -> OpenAPI:
    app = create_app("docs", load_settings(DocSettings), readiness=readiness)

    @app.post("/v1/orders", responses={201: Order}, security=BEARER_AUTH)
    def place_order(body: NewOrder) -> tuple[dict[str, object], int]:
        return {"id": "o-1", "quantity": body.quantity}, 201

    @app.get("/v1/orders")
    def list_orders(query: OrderList) -> dict[str, int]:
        return {"page": query.page}

    return app


def test_healthz_checks_no_dependency() -> None:
    response = make_app({"database": fail}).test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_passes_when_every_check_passes() -> None:
    response = (
        make_app({"database": lambda: None, "broker": lambda: None}).test_client().get("/readyz")
    )
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_is_a_503_problem_naming_the_failed_checks(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app({"database": lambda: None, "broker": fail})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["checks"] == {"database": "ok", "broker": "failed"}
    assert body["detail"] == "Not ready: broker."
    assert "connection refused" not in response.get_data(as_text=True)
    assert any("broker" in record.getMessage() for record in caplog.records)


def test_metrics_exposes_the_prometheus_text_format() -> None:
    client = make_app().test_client()
    client.get("/v1/orders")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert 'keel_http_requests_total{method="GET",route="/v1/orders",service="docs"' in (
        response.get_data(as_text=True)
    )


@pytest.fixture(scope="module")
def document() -> dict[str, object]:
    response = make_app().test_client().get("/v1/docs/openapi.json")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def test_openapi_document_is_valid_openapi_3_1(document: dict[str, object]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any structural error


def test_openapi_document_lists_the_routes_with_their_schemas(document: dict) -> None:  # type: ignore[type-arg]
    paths = document["paths"]
    assert set(paths) == {"/v1/orders"}  # probes, metrics and the document itself stay out
    post = paths["/v1/orders"]["post"]
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/NewOrder"
    assert post["security"] == [{"bearerAuth": []}]
    assert "201" in post["responses"]
    query = paths["/v1/orders"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in query] == [("page", "query")]
    schemas = document["components"]["schemas"]
    new_order = schemas["NewOrder"]
    assert new_order["additionalProperties"] is False  # unknown fields are rejected
    assert new_order["required"] == ["product_id", "quantity"]
    assert new_order["properties"]["quantity"]["minimum"] == 1


def test_openapi_document_describes_problem_answers(document: dict) -> None:  # type: ignore[type-arg]
    responses = document["paths"]["/v1/orders"]["post"]["responses"]
    assert responses["422"]["content"][PROBLEM_JSON]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    assert responses["default"]["content"][PROBLEM_JSON]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    schemas = document["components"]["schemas"]
    assert {"Problem", "ValidationProblem", "ValidationIssue"} <= set(schemas)


def test_readyz_turns_503_once_the_drain_file_exists(tmp_path: Path) -> None:
    drain = tmp_path / "draining"
    app = create_app("docs", load_settings(DocSettings, drain_file=drain))
    assert app.test_client().get("/readyz").status_code == 200
    drain.touch()  # what the chart's preStop hook does before SIGTERM
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "Draining" in response.get_json()["detail"]
