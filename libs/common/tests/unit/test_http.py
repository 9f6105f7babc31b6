"""Every error answer of an app built with create_app is an RFC 9457 problem document."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask.testing import FlaskClient
from flask_openapi3 import OpenAPI
from pydantic import Field
from sqlalchemy.exc import IntegrityError

from keel_common.http import (
    PROBLEM_JSON,
    ProblemError,
    Schema,
    create_app,
    register_domain_errors,
)
from keel_common.logging import configure_logging
from keel_common.settings import ServiceSettings, load_settings


class ToySettings(ServiceSettings):
    service_name: str = "toy"


class ThingIn(Schema):
    name: str = Field(min_length=1)
    password: str | None = None


class ThingQuery(Schema):
    limit: int = 10


class ThingPath(Schema):
    thing_id: int


class ThingNotFound(Exception):
    pass


def make_app() -> OpenAPI:
    app = create_app("toy", load_settings(ToySettings), max_content_length=1024)

    @app.post("/v1/things")
    def create_thing(body: ThingIn) -> tuple[dict[str, str], int]:
        return {"name": body.name}, 201

    @app.get("/v1/things/<int:thing_id>")
    def get_thing(path: ThingPath, query: ThingQuery) -> dict[str, int]:
        if path.thing_id == 0:
            raise ThingNotFound("No thing has this id.")
        if path.thing_id == 13:
            raise RuntimeError("db said: password=hunter2 rejected")
        if path.thing_id == 23:
            raise IntegrityError(
                "INSERT INTO users ...", ("ada@example.com", "$argon2id$v=19$m=1$x$y"), ValueError()
            )
        if path.thing_id == 42:
            raise ProblemError(
                429, "Too Many Requests", "Slow down.", headers={"Retry-After": "30"}, limit=5
            )
        return {"id": path.thing_id, "limit": query.limit}

    register_domain_errors(app, {ThingNotFound: (404, "Thing not found")})
    return app


@pytest.fixture
def client() -> FlaskClient:
    return make_app().test_client()


def problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.mimetype == PROBLEM_JSON  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    return body  # type: ignore[no-any-return]


def test_an_unmapped_integrity_error_is_a_409_that_logs_no_parameters(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = problem(client.get("/v1/things/23"), 409)
    logged = caplog.text + str(body)
    assert "ada@example.com" not in logged and "argon2" not in logged


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b"])
def test_control_characters_in_text_are_a_422(client: FlaskClient, text: str) -> None:
    body = problem(client.post("/v1/things", json={"name": text}), 422)
    assert body["errors"][0]["loc"] == ["body", "name"]  # type: ignore[index]


def test_tabs_and_line_breaks_are_text(client: FlaskClient) -> None:
    assert client.post("/v1/things", json={"name": "a\tb\r\nc"}).status_code == 201


def test_valid_request_reaches_the_route(client: FlaskClient) -> None:
    response = client.post("/v1/things", json={"name": "kettle"})
    assert (response.status_code, response.get_json()) == (201, {"name": "kettle"})


def test_unknown_route_is_a_404_problem(client: FlaskClient) -> None:
    assert problem(client.get("/v1/nothing-here"), 404)["title"] == "Not Found"


def test_wrong_method_is_a_405_problem_with_allow(client: FlaskClient) -> None:
    response = client.delete("/v1/things")
    problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_options_on_a_body_route_is_answered(client: FlaskClient) -> None:
    response = client.options("/v1/things")
    assert response.status_code == 200
    assert "POST" in response.headers["Allow"]


def test_oversized_body_is_a_413_problem(client: FlaskClient) -> None:
    response = client.post("/v1/things", json={"name": "x" * 2048})
    problem(response, 413)


def test_non_json_body_is_a_415_problem(client: FlaskClient) -> None:
    response = client.post("/v1/things", data={"name": "kettle"})
    problem(response, 415)


def test_malformed_json_is_a_400_problem(client: FlaskClient) -> None:
    response = client.post("/v1/things", data='{"name": ', content_type="application/json")
    assert problem(response, 400)["title"] == "Malformed JSON"


def test_unknown_body_field_is_rejected(client: FlaskClient) -> None:
    response = client.post("/v1/things", json={"name": "kettle", "colour": "red"})
    body = problem(response, 422)
    assert body["errors"] == [
        {
            "loc": ["body", "colour"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]


def test_invalid_body_lists_each_field_without_echoing_values(client: FlaskClient) -> None:
    response = client.post("/v1/things", json={"name": "", "password": 12345678})
    body = problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == [  # type: ignore[attr-defined]
        ["body", "name"],
        ["body", "password"],
    ]
    assert "12345678" not in response.get_data(as_text=True)


def test_missing_body_field_is_a_422(client: FlaskClient) -> None:
    body = problem(client.post("/v1/things", json={}), 422)
    assert body["errors"][0]["type"] == "missing"  # type: ignore[index]


def test_invalid_and_unknown_query_parameters_are_a_422(client: FlaskClient) -> None:
    body = problem(client.get("/v1/things/5?limit=many&sort=name"), 422)
    assert [error["loc"] for error in body["errors"]] == [  # type: ignore[attr-defined]
        ["query", "limit"],
        ["query", "sort"],
    ]


def test_problem_error_carries_extensions_and_headers(client: FlaskClient) -> None:
    response = client.get("/v1/things/42")
    body = problem(response, 429)
    assert (body["detail"], body["limit"]) == ("Slow down.", 5)
    assert response.headers["Retry-After"] == "30"


def test_registered_domain_error_maps_to_its_status(client: FlaskClient) -> None:
    body = problem(client.get("/v1/things/0"), 404)
    assert (body["title"], body["detail"]) == ("Thing not found", "No thing has this id.")


def test_unhandled_error_is_a_500_that_leaks_nothing_and_is_logged_with_the_request_id(
    client: FlaskClient,
) -> None:
    stream = io.StringIO()
    handler = configure_logging("toy", stream=stream)
    try:
        response = client.get("/v1/things/13", headers={"X-Request-ID": "req-500"})
    finally:
        logging.getLogger().removeHandler(handler)
    body = problem(response, 500)
    assert body["request_id"] == "req-500"
    text = response.get_data(as_text=True)
    assert "hunter2" not in text
    assert "RuntimeError" not in text
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == "req-500"
    assert "RuntimeError: db said: password=[REDACTED] rejected" in error["exc_info"]
    assert "hunter2" not in stream.getvalue()


def test_a_request_schema_is_generated_once_per_model() -> None:
    """flask-openapi3 asks for the query model's JSON schema on every request; generating it
    took milliseconds. The OpenAPI document (its own ref_template) still gets a fresh one."""

    class Paging(Schema):
        limit: int = 20

    assert Paging.model_json_schema() is Paging.model_json_schema()
    assert Paging.model_json_schema()["properties"]["limit"]["default"] == 20
    fresh = Paging.model_json_schema(ref_template="#/components/schemas/{model}")
    assert fresh is not Paging.model_json_schema() and fresh == Paging.model_json_schema()


@pytest.mark.parametrize("path", ["/v1/things/7", "/v1/things/0", "/v1/things/13", "/nowhere"])
def test_every_answer_is_no_store_by_default(client: FlaskClient, path: str) -> None:
    """Answers and problems alike: no cache may keep a token, a user or an admin view."""
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_a_route_that_sets_its_own_cache_policy_keeps_it() -> None:
    app = make_app()

    @app.get("/v1/public")
    def public() -> tuple[dict[str, str], int, dict[str, str]]:
        return {}, 200, {"Cache-Control": "public, max-age=300"}

    assert app.test_client().get("/v1/public").headers["Cache-Control"] == "public, max-age=300"


def test_views_found_synchronous_are_remembered_but_async_ones_still_go_through_flask() -> None:
    app = make_app()

    def sync_view() -> str:
        return "ok"

    async def async_view() -> str:
        return "ok"

    assert app.ensure_sync(sync_view) is sync_view
    assert app.ensure_sync(sync_view) is sync_view
    # Flask without its "async" extra refuses an async view -- every time it is asked, so
    # nothing remembered the coroutine function as synchronous.
    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(async_view)
