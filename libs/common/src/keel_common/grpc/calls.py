"""Calling another service: a failed call becomes the caller's own port error.

Each adapter over another service's stub raises the error its port declares (for example
``UsersUnavailable``) so the service layer never sees ``grpc``. ``unavailable_as`` is that
translation, once: ``with unavailable_as(UsersUnavailable, "auth GetUsers"): stub.GetUsers(...)``.
The message carries the status code and the callee's detail, never the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc


@contextmanager
def unavailable_as(error: type[Exception], call: str) -> Iterator[None]:
    """Re-raise any ``grpc.RpcError`` inside the block as ``error("<call> failed: CODE ...")``."""
    try:
        yield
    except grpc.RpcError as exc:
        code = exc.code() if isinstance(exc, grpc.Call) else None
        detail = exc.details() if isinstance(exc, grpc.Call) else None
        name = code.name if code is not None else type(exc).__name__
        raise error(f"{call} failed: {name}" + (f": {detail}" if detail else "")) from exc
