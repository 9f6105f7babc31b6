"""A body nested past MAX_JSON_DEPTH is a 400 problem, not a RecursionError (500)."""

from __future__ import annotations

import json

from pydantic import Field

from keel_common.http import PROBLEM_JSON, Schema, create_app
from keel_common.http.json_depth import MAX_JSON_DEPTH, json_depth, too_deep
from keel_common.settings import ServiceSettings, load_settings


class ToySettings(ServiceSettings):
    service_name: str = "toy"


class Anything(Schema):
    value: object = Field(default=None)


def post(body: str) -> tuple[int, dict[str, object], str]:
    app = create_app("toy", load_settings(ToySettings))

    @app.post("/v1/things")
    def create_thing(body: Anything) -> tuple[dict[str, str], int]:
        return {"ok": "yes"}, 201

    response = app.test_client().post("/v1/things", data=body, content_type="application/json")
    return response.status_code, response.get_json(force=True), response.mimetype


def test_a_thousand_levels_deep_is_a_400_problem() -> None:
    status, problem, mimetype = post("[" * 1000 + "]" * 1000)
    assert (status, mimetype) == (400, PROBLEM_JSON)
    assert problem["title"] == "JSON Nested Too Deeply"


def test_deep_nesting_inside_an_accepted_object_is_refused_too() -> None:
    status, _, _ = post('{"value": ' + "{" * 2000 + "}" * 2000 + "}")
    assert status == 400


def test_nesting_up_to_the_limit_reaches_the_schema() -> None:
    inner = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    status, _, _ = post('{"value": ' + inner + "}")
    assert status == 201


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"value": "[" * 5000 + '\\" {{{'})
    assert json_depth(text.encode()) == 1
    assert not too_deep(text.encode())
    assert post(text)[0] == 201


def test_depth_is_measured_as_written() -> None:
    assert json_depth(b"[]") == 1
    assert json_depth(b'{"a": [1, {"b": []}], "c": {}}') == 4
    assert json_depth(b"]]]") == 0
    assert json_depth(b"") == 0
