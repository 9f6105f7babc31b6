"""Every status an operation can answer is in the OpenAPI document, as a problem document
(#16: the documents listed only 2xx and 422)."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import OpenAPI
from openapi_spec_validator import validate
from pydantic import Field

from keel_common.http import BEARER_AUTH, PROBLEM_JSON, Schema, create_app
from keel_common.settings import ServiceSettings, load_settings


class DocSettings(ServiceSettings):
    service_name: str = "docs"


class NewThing(Schema):
    name: str = Field(min_length=1)


class ThingPath(Schema):
    thing_id: int


class Thing(Schema):
    id: int


def make_app() -> OpenAPI:
    app = create_app("docs", load_settings(DocSettings))

    @app.post("/v1/things", responses={201: Thing, 409: None}, security=BEARER_AUTH)
    def create_thing(body: NewThing) -> tuple[dict[str, object], int]:
        return {"id": 1}, 201

    @app.get("/v1/things/<int:thing_id>", responses={200: Thing})
    def get_thing(path: ThingPath) -> dict[str, int]:
        return {"id": path.thing_id}

    @app.get("/v1/ping")
    def ping() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def document() -> dict[str, Any]:
    doc: dict[str, Any] = make_app().test_client().get("/v1/docs/openapi.json").get_json()
    validate(doc)
    return doc


def statuses(operation: dict[str, Any]) -> set[str]:
    return {code for code in operation["responses"] if code.startswith("4")}


def test_a_protected_body_route_documents_auth_body_and_its_own_conflict() -> None:
    post = document()["paths"]["/v1/things"]["post"]
    assert statuses(post) == {"400", "401", "403", "409", "413", "415", "422", "429"}
    for code in statuses(post):
        model = "ValidationProblem" if code == "422" else "Problem"
        schema = post["responses"][code]["content"][PROBLEM_JSON]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, code


def test_a_path_parameter_documents_404_and_every_route_429_with_retry_after() -> None:
    paths = document()["paths"]
    get = paths["/v1/things/{thing_id}"]["get"]
    assert statuses(get) == {"400", "404", "414", "422", "429"}
    assert statuses(paths["/v1/ping"]["get"]) == {"429"}
    retry_after = get["responses"]["429"]["headers"]["Retry-After"]
    assert retry_after["schema"]["type"] == "integer"
