"""Error reporting to Sentry, when ``SENTRY_DSN`` is set.

Every event passes through ``keel_common.logging.redact`` before it leaves the process, so
the headers, bodies, local variables and exception text Sentry collects are scrubbed the same
way as the logs. Without a DSN nothing is initialised and ``report_exception`` does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import sentry_sdk
from sentry_sdk.integrations import logging as sentry_logging

from keel_common.log_line import allow_call_handlers
from keel_common.logging import ACCESS_LOGGER, redact
from keel_common.tracing import current_request_id, current_trace


def scrub_event(event: Any, hint: Any) -> Any:
    """Sentry ``before_send``: the event tagged with the request id and trace id the logs of
    the same request carry (one id finds both), with secrets masked by key name and by
    pattern. Sentry calls it synchronously, in the failing request's context."""
    tags = event.setdefault("tags", {})
    trace = current_trace.get()
    if current_request_id.get():
        tags.setdefault("request_id", current_request_id.get())
    if trace is not None:
        tags.setdefault("trace_id", trace.trace_id)
    return redact(event)


def scrub_breadcrumb(crumb: Any, hint: Any) -> Any:
    return redact(crumb)


def init_sentry(
    dsn: str | None,
    service: str,
    environment: str,
    *,
    release: str | None = None,
    **options: Any,
) -> bool:
    """Start reporting unhandled errors of this process; ``False`` (and nothing done) without
    a DSN. ``options`` go to ``sentry_sdk.init`` (e.g. a ``transport`` in tests). Without a
    ``release`` the SDK reads ``SENTRY_RELEASE`` (the chart sets it to the image tag)."""
    if not dsn:
        return False
    call_handlers = logging.Logger.callHandlers
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # Left at the SDK defaults on purpose: no personal data (client IPs, cookies, user)
        # and no performance tracing -- traces are ours (traceparent); Sentry gets errors.
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        **options,
    )
    # The global scope, not the current isolation scope: a thread the process starts later
    # (gRPC's handler pool, a consumer) begins with a fresh isolation scope, and its events
    # lacked the tag (#17).
    sentry_sdk.get_global_scope().set_tag("service", service)
    _leave_access_lines_alone(call_handlers)
    return True


def _leave_access_lines_alone(call_handlers: Any) -> None:
    """The access line is no breadcrumb worth keeping: it is written once the route has
    answered, in the request's own scope, so no event can carry it. Through Sentry's logging
    hook each one still cost a breadcrumb, scrubbed by ``redact``; Sentry ignores the logger
    instead, and ``log_line`` keeps its short path under the hook."""
    sentry_logging.ignore_logger(ACCESS_LOGGER)
    sentry_logging.ignore_logger_for_sentry_logs(ACCESS_LOGGER)
    allow_call_handlers(logging.Logger.callHandlers, call_handlers, _ignored_by_sentry)


def _ignored_by_sentry(name: str) -> bool:
    """As Sentry's hook decides, by the record's logger name, to do nothing more."""
    name = name.strip()
    events = getattr(sentry_logging, "_IGNORED_LOGGERS", None)
    logs = getattr(sentry_logging, "_IGNORED_LOGGERS_SENTRY_LOGS", None)
    return events is not None and logs is not None and name in events and name in logs


def report_exception(exc: BaseException) -> None:
    """Send ``exc`` to Sentry. Needed where an error handler answers the request: Flask then
    considers the exception handled and Sentry's own hook never sees it."""
    sentry_sdk.capture_exception(exc)
