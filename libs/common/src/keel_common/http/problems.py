"""Every 4xx/5xx answer is an RFC 9457 ``application/problem+json`` document.

Entrypoints raise ``ProblemError`` or a registered domain error; Werkzeug's HTTP errors
(404, 405, 413, 415, ...) and pydantic validation failures are translated here, and anything
else becomes a 500 that reveals nothing but the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask, Response, current_app, request
from flask_openapi3.utils import parse_parameters
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from keel_common.errors import report_exception
from keel_common.tracing import current_request_id

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("keel.http")

_LOCATIONS = ("header", "cookie", "path", "query", "form", "body")


class ProblemError(Exception):
    """Raise from an entrypoint to answer with a problem document.

    ``extensions`` become extra members of the document; ``headers`` are added to the answer
    (e.g. ``WWW-Authenticate`` with a 401, ``Retry-After`` with a 429).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        type: str | None = None,  # the RFC 9457 member name
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(f"{status} {title}" + (f": {detail}" if detail else ""))
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    type: str | None = None,  # the RFC 9457 member name
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {"type": type or "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=PROBLEM_JSON
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_problem_error(exc: ProblemError) -> Response:
    return problem_response(
        exc.status, exc.title, exc.detail, exc.type, headers=exc.headers, **exc.extensions
    )


def _from_http_exception(exc: HTTPException) -> Response:
    if isinstance(exc.response, Response):  # already built, e.g. by validation_problem below
        return exc.response
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem_response(status, exc.name, exc.description, headers=headers)


def _from_unhandled(exc: Exception) -> Response:
    log.exception("unhandled error in %s %s", request.method, request.path)
    report_exception(exc)
    return problem_response(
        500,
        "Internal Server Error",
        "The server failed to answer; quote the request id when reporting it.",
        request_id=current_request_id.get(),
    )


def _from_integrity_error(exc: IntegrityError) -> Response:
    """A unique or foreign-key violation no use case mapped (a double submit racing its
    twin): a 409, not a 500. Logged without its SQL parameters (engines hide them too),
    which can hold hashes and personal data."""
    log.warning(
        "integrity error in %s %s: %s", request.method, request.path, type(exc.orig).__name__
    )
    return problem_response(
        409, "Conflict", "The request conflicts with the current state; reload and retry."
    )


def _location(model_title: str) -> str | None:
    """Which part of the request the failing model describes (its parameter name)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    try:
        models = parse_parameters(view, doc_ui=False)
    except (NameError, TypeError):  # annotations that cannot be resolved: location unknown
        return None
    for location, model in zip(_LOCATIONS, models, strict=False):
        if (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and model_title in (model.__name__, model.model_config.get("title"))
        ):
            return location
    return None


def validation_problem(exc: ValidationError) -> Response:
    """flask-openapi3's ``validation_error_callback``: a 422 problem with an ``errors`` list.

    The rejected values are left out: they may be the very password that failed validation.
    """
    location = _location(exc.title)
    prefix: list[str | int] = [location] if location else []
    errors = [
        {"loc": prefix + list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    return problem_response(
        422,
        "Unprocessable Content",
        "The request does not match the schema.",
        errors=errors,
    )


def field_problem(
    fields: Sequence[tuple[str, str]], *, location: str = "body", detail: str | None = None
) -> Response:
    """A 422 problem shaped like ``validation_problem``, for input the domain refused.

    ``fields`` holds (dotted field path, message) pairs; numeric path parts become indexes.
    """
    errors = [
        {
            "loc": [location, *(int(p) if p.isdigit() else p for p in path.split("."))],
            "msg": message,
            "type": "value_error",
        }
        for path, message in fields
    ]
    detail = detail or "; ".join(f"{path}: {message}" for path, message in fields)
    return problem_response(422, "Unprocessable Content", detail, errors=errors)


def install_problem_handlers(app: Flask) -> None:
    app.register_error_handler(ProblemError, _from_problem_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(IntegrityError, _from_integrity_error)
    app.register_error_handler(Exception, _from_unhandled)


def register_domain_errors(app: Flask, errors: Mapping[type[Exception], tuple[int, str]]) -> None:
    """Answer each domain error class with its ``(status, title)``; the error's text becomes
    the ``detail``, so domain messages must be written for clients."""
    for error_class, (status, title) in errors.items():
        app.register_error_handler(error_class, _domain_handler(status, title))


def _domain_handler(status: int, title: str) -> Callable[[Exception], Response]:
    def handle(exc: Exception) -> Response:
        return problem_response(status, title, str(exc) or None)

    return handle
