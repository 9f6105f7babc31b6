"""W3C Trace Context (``traceparent``) and request ids, carried across HTTP, gRPC and AMQP.

One request keeps one trace id from the gateway to the last consumer. Each process that
handles it (an HTTP route, a gRPC method, a message handler) is one hop: it continues the
caller's trace with a span id of its own, and passes that span id on as the parent of the
next hop. Logs carry the ids (``keel_common.logging`` reads them from the context variables
here), so one ``trace_id`` finds every line of one request in every service.

The same two helpers work for all three carriers because each is a set of string pairs:
``from_headers`` takes a mapping (HTTP headers, AMQP headers) or pairs (gRPC metadata);
``to_headers`` returns a ``dict`` (for gRPC: ``list(to_headers().items())``).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

TRACEPARENT = "traceparent"
REQUEST_ID = "x-request-id"

# version-traceid-parentid-flags; later versions may append fields after the flags.
_TRACEPARENT_RE = re.compile(
    r"^(?P<version>[0-9a-f]{2})-(?P<trace_id>[0-9a-f]{32})-(?P<span_id>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?$"
)
# A request id is copied into logs and response headers, so only harmless characters pass.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_SAMPLED = "01"


@dataclass(frozen=True)
class TraceContext:
    """One hop of a trace: the shared ``trace_id``, this hop's ``span_id`` and its parent."""

    trace_id: str
    span_id: str
    parent_id: str | None = None
    flags: str = _SAMPLED

    @property
    def traceparent(self) -> str:
        """The header value that makes this hop the parent of the next one."""
        return format_traceparent(self)

    def child(self) -> TraceContext:
        """The next hop of the same trace, with a fresh span id and this span as parent."""
        return TraceContext(self.trace_id, _new_span_id(), self.span_id, self.flags)


def _new_span_id() -> str:
    return secrets.token_hex(8)


def new_trace() -> TraceContext:
    """A root hop: a fresh trace id and span id, no parent."""
    ids = os.urandom(24).hex()  # one call for both: every request without a traceparent
    return TraceContext(ids[:32], ids[32:])


def new_request_id() -> str:
    """What ``uuid.uuid4().hex`` answers, without building a ``UUID`` on every request."""
    return _uuid4_hex(os.urandom(16))


def _uuid4_hex(random: bytes) -> str:
    value = bytearray(random)
    value[6] = (value[6] & 0x0F) | 0x40  # version 4
    value[8] = (value[8] & 0x3F) | 0x80  # the RFC 4122 variant
    return value.hex()


def parse_traceparent(value: str | None) -> TraceContext | None:
    """The caller's hop from a ``traceparent`` value; ``None`` when absent or invalid.

    Follows W3C Trace Context level 1: version ``ff`` and all-zero ids are invalid, and a
    higher version is read by its first four fields.
    """
    if not value:
        return None
    match = _TRACEPARENT_RE.match(value.strip().lower())
    if match is None:
        return None
    version, trace_id, span_id = match["version"], match["trace_id"], match["span_id"]
    if version == "ff" or (version == "00" and match["rest"]):
        return None
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    return TraceContext(trace_id, span_id, None, match["flags"])


def format_traceparent(context: TraceContext) -> str:
    return f"00-{context.trace_id}-{context.span_id}-{context.flags}"


def valid_request_id(value: str | None) -> str | None:
    """``value`` if it is safe to echo and log, else ``None``."""
    if value and _REQUEST_ID_RE.match(value):
        return value
    return None


current_trace: ContextVar[TraceContext | None] = ContextVar("keel_trace", default=None)
current_request_id: ContextVar[str | None] = ContextVar("keel_request_id", default=None)


def _lower_keys(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    found: dict[str, str] = {}
    for key, value in items:
        if isinstance(value, bytes):  # gRPC binary metadata and some AMQP clients
            value = value.decode("ascii", "replace")
        found[str(key).lower()] = str(value)
    return found


def from_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[TraceContext, str]:
    """This hop's trace context and request id, continuing the caller's when it sent them.

    Header names are matched case-insensitively. An absent or invalid ``traceparent`` starts
    a new trace; an absent or unsafe request id gets a fresh one.
    """
    found = _lower_keys(headers)
    return from_values(found.get(TRACEPARENT), found.get(REQUEST_ID))


def from_values(traceparent: str | None, request_id: str | None) -> tuple[TraceContext, str]:
    """``from_headers`` for a caller that already holds the two header values (an HTTP
    server reads them from the WSGI environ instead of copying every header)."""
    parent = parse_traceparent(traceparent)
    request_id = valid_request_id(request_id)
    if parent is None and request_id is None:
        # A caller that sent neither (one outside Keel): all three ids from one urandom call.
        random = os.urandom(40)
        ids = random[:24].hex()
        return TraceContext(ids[:32], ids[32:]), _uuid4_hex(random[24:])
    context = parent.child() if parent else new_trace()
    return context, request_id or new_request_id()


def to_headers() -> dict[str, str]:
    """Headers for an outgoing call or message, making the current hop its parent.

    Outside any hop (a CLI job, a periodic task) a new trace is started for the callee, so
    its logs still share one trace id.
    """
    context = current_trace.get() or new_trace()
    headers = {TRACEPARENT: context.traceparent}
    request_id = current_request_id.get()
    if request_id:
        headers[REQUEST_ID] = request_id
    return headers


@contextmanager
def use(context: TraceContext, request_id: str) -> Iterator[TraceContext]:
    """Make ``context`` and ``request_id`` current for the block (one hop's work)."""
    trace_token = current_trace.set(context)
    request_token = current_request_id.set(request_id)
    try:
        yield context
    finally:
        current_request_id.reset(request_token)
        current_trace.reset(trace_token)


@contextmanager
def continue_from(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> Iterator[TraceContext]:
    """``use(*from_headers(headers))``: what a gRPC method or message handler wraps itself in."""
    context, request_id = from_headers(headers)
    with use(context, request_id):
        yield context
