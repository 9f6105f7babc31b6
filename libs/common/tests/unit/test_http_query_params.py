"""``query_params.validate_query`` hands each query model what flask-openapi3's own
``_validate_query`` hands it, for every shape of field, so the same 422s come out."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_openapi3 import request as openapi_request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keel_common.http import Schema, create_app, query_params
from keel_common.settings import ServiceSettings


class Plain(Schema):
    q: str = ""
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


class Lists(Schema):
    tag: list[str] = []
    maybe: list[int] | None = None


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    min_price: int | None = Field(default=None, alias="min-price")
    sort: str | None = Field(default=None, alias="order")


class AliasOnly(BaseModel):
    page_size: int = Field(default=10, alias="pageSize")


class Nullable(BaseModel):
    nothing: None = None
    extra_ok: str | None = None


QUERIES = ["", "q=lamp", "q=lamp&limit=5", "limit=0", "limit=x", "q=a%00b", "unknown=1",
           "q=a&q=b", "tag=a&tag=b", "maybe=1&maybe=2", "maybe=x", "tag=", "min-price=5",
           "min_price=7", "min-price=&min_price=9", "order=new&sort=old", "pageSize=3",
           "page_size=4", "nothing=", "nothing=x&extra_ok=y", "cursor=&limit="]  # fmt: skip
MODELS = [Plain, Lists, Aliased, AliasOnly, Nullable]


def _outcome(validate: Any, model: type[BaseModel]) -> tuple[str, Any]:
    kwargs: dict[str, Any] = {}
    try:
        validate(model, kwargs)
    except ValidationError as exc:
        return "422", exc.errors(include_url=False, include_context=False)
    return "ok", (kwargs["query"].model_dump(), kwargs["query"].model_fields_set)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("query", QUERIES)
def test_the_model_gets_what_flask_openapi3_would_give_it(
    model: type[BaseModel], query: str
) -> None:
    app = Flask("query")
    with app.test_request_context(f"/?{query}"):
        ours = _outcome(query_params.validate_query, model)
        theirs = _outcome(query_params._library_validate_query, model)
    assert ours == theirs


def test_a_keel_app_validates_queries_with_the_plan() -> None:
    create_app("q", ServiceSettings(service_name="q"))
    assert openapi_request._validate_query is query_params.validate_query
