"""Two blueprints documenting one path keep both operations in the OpenAPI document."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint

from keel_common.http.openapi import KeelOpenAPI


def test_a_second_blueprint_on_the_same_path_keeps_the_first_ones_operations() -> None:
    app = KeelOpenAPI(__name__)
    first = APIBlueprint("first", __name__, url_prefix="/v1/things")
    second = APIBlueprint("second", __name__, url_prefix="/v1/things")

    @first.get("/me")
    def read() -> dict[str, str]:
        return {}

    @second.patch("/me")
    def update() -> dict[str, str]:
        return {}

    app.register_api(first)
    app.register_api(second)

    assert {"get", "patch"} <= set(app.api_doc["paths"]["/v1/things/me"])
