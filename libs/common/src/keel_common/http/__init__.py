"""Keel's HTTP layer: the Flask app factory, request schemas, problem+json errors, serving."""

from keel_common.http.app import BEARER_AUTH, create_app, json_body
from keel_common.http.problems import (
    PROBLEM_JSON,
    ProblemError,
    field_problem,
    problem_response,
    register_domain_errors,
)
from keel_common.http.schemas import Problem, Schema, ValidationIssue, ValidationProblem
from keel_common.http.server import serve

__all__ = [
    "BEARER_AUTH",
    "PROBLEM_JSON",
    "Problem",
    "ProblemError",
    "Schema",
    "ValidationIssue",
    "ValidationProblem",
    "create_app",
    "field_problem",
    "json_body",
    "problem_response",
    "register_domain_errors",
    "serve",
]
