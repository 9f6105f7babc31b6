"""flask-openapi3's query-string validation, with each model's field plan made once.

For every request with a ``query`` model, flask-openapi3 (``request._validate_query``)
walks the model's fields and JSON schema to decide, field by field, which key to read and
whether it is a list: the same answers every time. And each key the request lacks costs an
exception raised and caught inside werkzeug's ``MultiDict.get``. ``validate_query`` reads
the same keys the same way, from a plan made at the model's first request and straight from
the MultiDict's lists, so the model sees the same input and answers the same 422s.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import request
from flask_openapi3 import request as openapi_request
from pydantic import BaseModel
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

_library_validate_query = openapi_request._validate_query


class _Field(NamedTuple):
    key: str  # where the value goes in the model's input: the alias, if the field has one
    names: tuple[str, ...]  # the query keys read, in order, the first non-empty one winning
    many: bool  # a list (``?tag=a&tag=b``) rather than one value
    nullable: bool  # a ``None`` schema: the key is passed even when absent


_plans: dict[type[BaseModel], tuple[_Field, ...] | None] = {}


def _plan(model: type[BaseModel]) -> tuple[_Field, ...] | None:
    """What ``_validate_query`` decides per field; None when it would fail on its own (a
    field missing from the schema), so the library's code raises its own error."""
    properties = model.model_json_schema().get("properties", {})
    fields = []
    for name, info in model.model_fields.items():
        schema = properties.get(info.alias or name)
        if schema is None:
            return None
        many = schema.get("type") == "array" or any(
            m.get("type") == "array" for m in schema.get("anyOf", [])
        )
        if info.alias and model.model_config.get("populate_by_name"):
            names: tuple[str, ...] = (info.alias, name)
        else:
            names = (info.alias or name,)
        fields.append(_Field(info.alias or name, names, many, schema.get("type") == "null"))
    return tuple(fields)


def validate_query(query: type[BaseModel], func_kwargs: dict[str, Any]) -> None:
    """``flask_openapi3.request._validate_query``, planned once per model."""
    try:
        plan = _plans[query]
    except KeyError:
        plan = _plans[query] = _plan(query)  # bounded: one per query model of the app
    if plan is None:
        _library_validate_query(query, func_kwargs)
        return
    args = request.args
    # A MultiDict holds each key's values as a list; ``args.get`` of an absent key raises
    # and catches an HTTP exception inside, which cost more than the rest of this together.
    read = _read if type(args) in _MULTI_DICTS else _read_any
    values: dict[str, Any] = {}
    for field in plan:
        value: Any = None
        for name in field.names:
            value = read(args, name, field.many)
            if value:
                break
        if (value is not None and value != []) or field.nullable:
            values[field.key] = value
    for key, value in args.items():  # undeclared keys: the model decides (Schema forbids)
        if key not in values:
            values[key] = value
    func_kwargs["query"] = query.model_validate(obj=values)


_MULTI_DICTS = frozenset({MultiDict, ImmutableMultiDict})


def _read(args: MultiDict[str, str], name: str, many: bool) -> Any:
    """``args.getlist(name)`` if ``many`` else ``args.get(name)``, by the dict's own lookup."""
    found: list[str] | None = dict.get(args, name)  # type: ignore[assignment]
    if many:
        return list(found) if found else []
    return found[0] if found else None


def _read_any(args: MultiDict[str, str], name: str, many: bool) -> Any:
    return args.getlist(name) if many else args.get(name)


def install() -> None:
    """Make flask-openapi3's request validation use ``validate_query`` (idempotent)."""
    openapi_request._validate_query = validate_query
