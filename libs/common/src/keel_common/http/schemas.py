"""Pydantic models shared by every HTTP API: the base for request schemas and the RFC 9457
problem documents that every 4xx/5xx answer follows (and the OpenAPI document describes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    """Base for request bodies and query parameters: a field the schema does not declare is
    rejected (422), so a client's typo or stale SDK fails loudly instead of being ignored.

    Not for header models: every request carries headers the route does not declare.
    """

    model_config = ConfigDict(extra="forbid")


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
