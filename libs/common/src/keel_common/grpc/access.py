"""Per-method caller allowlists: which services may call which method.

Each service declares its allowlist once, next to its servicers (``entrypoints/
grpc_server.py``)::

    CALLERS = {"auth.v1.AuthService": {"GetUsers": ("core", "notification"), "GetUser": ()}}

and ``create_server(..., callers=CALLERS, tls=...)`` enforces it from the caller's verified
certificate (``keel_common.grpc.mtls.peer_identity``): a caller that is not listed gets
PERMISSION_DENIED, a method that is not listed is refused to everyone (default deny), and the
health service answers anyone (probes carry no certificate). Over plaintext (development,
no TLS configured) nobody has an identity and the allowlist is not enforced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import grpc

from keel_common.grpc.interceptors import wrap_handler
from keel_common.grpc.mtls import peer_identity

log = logging.getLogger("keel.grpc.access")

# service full name -> method name -> the services that may call it
Callers = Mapping[str, Mapping[str, Collection[str]]]
OPEN_SERVICES = frozenset({"grpc.health.v1.Health"})


def allowed_callers(callers: Callers, method: str) -> frozenset[str]:
    """The services allowed to call ``method`` (``/pkg.Service/Method``); empty: nobody."""
    service, _, name = method.lstrip("/").partition("/")
    return frozenset(callers.get(service, {}).get(name, ()))


def caller_pairs(callers: Callers) -> set[str]:
    """Every service named anywhere in ``callers``: who needs a network path to this one."""
    return {name for methods in callers.values() for names in methods.values() for name in names}


class CallerAllowlistInterceptor(grpc.ServerInterceptor):
    """Refuses a call unless the caller's certificate names a service the method allows."""

    def __init__(self, callers: Callers, *, open_services: Collection[str] = OPEN_SERVICES):
        self._callers = callers
        self._open = frozenset(open_services)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(details)
        service = details.method.lstrip("/").partition("/")[0]
        if handler is None or service in self._open:
            return handler
        allowed = allowed_callers(self._callers, details.method)
        return wrap_handler(handler, lambda context: self._check(details.method, allowed, context))

    @contextmanager
    def _check(
        self, method: str, allowed: frozenset[str], context: grpc.ServicerContext
    ) -> Iterator[None]:
        caller = peer_identity(context)
        if caller is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "a client certificate is required")
        if caller not in allowed:
            log.warning("grpc caller refused", extra={"grpc_method": method, "caller": caller})
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{caller} may not call {method}")
        yield
