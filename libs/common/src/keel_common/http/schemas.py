"""Pydantic models shared by every HTTP API: the base for request schemas and the RFC 9457
problem documents that every 4xx/5xx answer follows (and the OpenAPI document describes)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# C0 controls but tab, newline and carriage return; DEL; C1 controls. NUL in particular:
# PostgreSQL refuses it in text, which would otherwise surface as a 500.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _has_control(value: Any) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_control(item) for item in value)
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    return False


class Schema(BaseModel):
    """Base for request bodies and query parameters: a field the schema does not declare is
    rejected (422), so a client's typo or stale SDK fails loudly instead of being ignored;
    so is a control character in any text (tab and line breaks aside).

    Not for header models: every request carries headers the route does not declare.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if _has_control(value):
            raise ValueError("control characters are not allowed")
        return value

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Made once per model for the default arguments: flask-openapi3 asks for it on
        every request with query parameters (milliseconds each time) only to read each
        field's type. The dict is shared, so callers only read it; the OpenAPI document
        asks with its own ``ref_template`` and gets a fresh one."""
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        schema = _JSON_SCHEMAS.get(cls)
        if schema is None:
            schema = _JSON_SCHEMAS[cls] = super().model_json_schema()
        return schema


_JSON_SCHEMAS: dict[type[BaseModel], dict[str, Any]] = {}


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI naming the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str | None = Field(default=None, description="This occurrence, for a human")


class ValidationIssue(BaseModel):
    """One field of the request that does not match its schema."""

    loc: list[str | int] = Field(
        description='Where: "body", "query", "path", "header" or "cookie", then the field path'
    )
    msg: str = Field(description="What is wrong, for a human")
    type: str = Field(description='Machine-readable kind, e.g. "missing", "extra_forbidden"')


class ValidationProblem(Problem):
    """A 422 problem listing every field that does not match its schema."""

    errors: list[ValidationIssue]
