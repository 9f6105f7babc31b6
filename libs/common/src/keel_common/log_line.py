"""``log_line``: a log call for the hot path, byte for byte what ``Logger.log`` writes.

Every request writes one access line. Through ``logging`` it pays for a ``LogRecord`` (the
thread, process and file names, the time, a dozen attributes), the walk up the logger
hierarchy, two generic filters and the formatter's walk over every attribute -- about a
quarter of what a trivial Keel route costs. When the line has exactly one place to go,
Keel's own JSON handler as ``configure_logging`` installed it, the same line is made from
the few values it shows: the same context (``ContextFilter.context``), the same redaction
(``redact_text``, ``scrub_extra``), the same formatter (``JsonLineFormatter.line``), written
under the handler's lock. Anything else listening -- another handler (a test's capture), a
filter, a level, a record factory, Sentry's logging integration (it patches
``Logger.callHandlers`` to collect breadcrumbs) unless it ignores the logger -- and the
call takes the ordinary path.

``access_line`` is that call for the access line itself, whose fields are always the same:
when its message has nothing to scrub, the formatter writes it from the values
(``JsonLineFormatter.access``) without a dict of the extras or of the line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from keel_common.json_line import ACCESS_FIELDS, JsonLineFormatter
from keel_common.logging import (
    _RECORD_FIELDS,
    _SCALARS,
    KEEL_HANDLER,
    REDACTED,
    ContextFilter,
    RedactingFilter,
    _may_hold_secret,
    is_secret_key,
    redact,
    redact_text,
)

_CALL_HANDLERS = logging.Logger.callHandlers
# ``Logger.callHandlers`` replacements that leave some loggers' records alone, each with the
# test of which: Sentry's, for the loggers it was told to ignore (``keel_common.errors``).
_PASSTHROUGH: dict[Callable[..., Any], Callable[[str], bool]] = {}


def allow_call_handlers(
    patched: Callable[..., Any], wrapped: Callable[..., Any], leaves_alone: Callable[[str], bool]
) -> None:
    """Keep the short path under ``patched``, a ``Logger.callHandlers`` that calls
    ``wrapped`` and then does more for the loggers ``leaves_alone`` does not accept by name.
    Only when ``wrapped`` is logging's own: a chain of patches is left to the ordinary path."""
    if wrapped is _CALL_HANDLERS and patched is not wrapped:
        _PASSTHROUGH[patched] = leaves_alone


def log_line(logger: logging.Logger, level: int, message: str, extra: Mapping[str, Any]) -> None:
    """``logger.log(level, message, extra=extra)`` without the stack walk for the caller's
    file and line (Keel's line shows neither). The caller checks ``isEnabledFor`` first."""
    handler = _sole_json_handler(logger, level)
    if handler is None or not extra.keys().isdisjoint(_RECORD_FIELDS):
        logger.handle(_record(logger, level, message, extra))
        return
    context, _redacting = handler.filters
    service, request_id, trace_id, span_id = context.context()  # type: ignore[union-attr]
    clean = not _may_hold_secret(message)
    fields = {"levelname": logging.getLevelName(level), "name": logger.name,
              "message": message if clean else redact_text(message), "service": service,
              "request_id": request_id, "trace_id": trace_id, "span_id": span_id}  # fmt: skip
    extras = _scrubbed(extra, message if clean else None)
    line = handler.formatter.line(fields, extras, time.time())  # type: ignore[union-attr]
    _write(handler, line, lambda: _record(logger, level, message, extra))


def access_line(
    logger: logging.Logger,
    level: int,
    method: str,
    path: str,
    route: str,
    status: int,
    duration_ms: float,
) -> None:
    """``log_line(logger, level, f"{method} {path} {status}", {"method": method, ...})`` --
    the access line every request writes, its extras ``ACCESS_FIELDS`` -- written by the
    formatter's ``access`` when the message has nothing to scrub: the same line, without
    the dicts of the extras and of the line made and walked on every request."""
    message = f"{method} {path} {status}"
    handler = _sole_json_handler(logger, level)
    if handler is not None and not _may_hold_secret(message):
        context, _redacting = handler.filters
        service, request_id, trace_id, span_id = context.context()  # type: ignore[union-attr]
        # Method and path are parts of the clean message; the route template may not be.
        request = (method, path, _kept_text(route, message), status, duration_ms)
        fields = (logging.getLevelName(level), service, logger.name, message, request_id,
                  trace_id, span_id)  # fmt: skip
        line = handler.formatter.access(fields, request, time.time())  # type: ignore[union-attr]
        if line is not None:
            _write(handler, line, lambda: _record(logger, level, message, _access_extra(request)))
            return
    log_line(logger, level, message, _access_extra((method, path, route, status, duration_ms)))


def _access_extra(request: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(ACCESS_FIELDS, request, strict=True))


def _write(
    handler: logging.StreamHandler[Any], line: str, record: Callable[[], logging.LogRecord]
) -> None:
    """``line`` written as ``StreamHandler.emit`` writes; a failed write is reported with
    the ``record`` it stands for, made then."""
    with handler.lock:  # type: ignore[union-attr]
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        except Exception:  # noqa: BLE001 -- as StreamHandler.emit: a failed write fails no request
            handler.handleError(record())


# Extras' key names found secret or not, and string values ``redact`` leaves as they are:
# the access line's keys, methods and route templates come back on every request.
_secret_names: dict[str, bool] = {}
_kept_texts: set[str] = set()
_MAX_REMEMBERED = 4096
_MAX_KEPT_LENGTH = 256


def _scrubbed(extra: Mapping[str, Any], clean_text: str | None) -> dict[str, Any]:
    """``{key: scrub_extra(key, value)}``, the same values found with less work.

    ``clean_text`` is the line's message when ``redact_text`` has nothing to look at in it:
    ASCII and none of the rules' triggers. A string found inside it is ASCII, and its lower
    case is inside the message's, so it holds no trigger either and is left as it is: the
    access line's method and path are parts of its message."""
    scrubbed: dict[str, Any] = {}
    for key, value in extra.items():
        secret = _secret_names.get(key)
        if secret is None:
            secret = is_secret_key(key)
            if type(key) is str and len(_secret_names) < _MAX_REMEMBERED:
                _secret_names[key] = secret
        if secret:
            scrubbed[key] = REDACTED
        elif value is None or type(value) in _SCALARS:
            scrubbed[key] = value
        elif type(value) is str:
            scrubbed[key] = _kept_text(value, clean_text)
        else:
            scrubbed[key] = redact(value)
    return scrubbed


def _kept_text(value: str, clean_text: str | None) -> str:
    if (clean_text is not None and value in clean_text) or value in _kept_texts:
        return value
    redacted = redact_text(value)
    if redacted is value and len(value) <= _MAX_KEPT_LENGTH:
        if len(_kept_texts) >= _MAX_REMEMBERED:
            _kept_texts.clear()  # unlikely (paths in messages that need scrubbing): start over
        _kept_texts.add(value)
    return redacted


def _record(logger: logging.Logger, level: int, message: str, extra: Any) -> logging.LogRecord:
    return logger.makeRecord(logger.name, level, __file__, 0, message, (), None, extra=extra)


def _sole_json_handler(logger: logging.Logger, level: int) -> logging.StreamHandler[Any] | None:
    """Keel's JSON handler if a record of ``logger`` at ``level`` would reach it and nothing
    else: no other handler on the way up, no filter on ``logger``, nothing patched."""
    if logger.filters or logger.disabled or logging.getLogRecordFactory() is not logging.LogRecord:
        return None
    call_handlers = logging.Logger.callHandlers
    if call_handlers is not _CALL_HANDLERS:
        leaves_alone = _PASSTHROUGH.get(call_handlers)
        if leaves_alone is None or not leaves_alone(logger.name):
            return None
    found: Any = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if found is not None or not _plain_json_handler(handler, level):
                return None
            found = handler
        current = current.parent if current.propagate else None
    return found


def _plain_json_handler(handler: logging.Handler, level: int) -> bool:
    filters = handler.filters
    formatter = handler.formatter
    return (
        getattr(handler, KEEL_HANDLER, False)
        and type(handler) is logging.StreamHandler
        and handler.level <= level
        and len(filters) == 2
        and type(filters[0]) is ContextFilter
        and type(filters[1]) is RedactingFilter
        and type(formatter) is JsonLineFormatter
        and formatter.plain
    )
