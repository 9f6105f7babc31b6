"""The JSON line of every log record: python-json-logger's, byte for byte, made faster."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from typing import Any

from pythonjsonlogger.json import JsonEncoder, JsonFormatter


class _UtcSeconds:
    """``datetime.fromtimestamp(created, UTC).isoformat()``, the date and time of day made
    once per second: every line carries the time, and a datetime object per line cost more
    than encoding the rest of it."""

    def __init__(self) -> None:
        # One tuple, replaced whole: threads of a gthread worker share the formatter.
        self._second: tuple[float, str] = (math.nan, "")

    def isoformat(self, created: float) -> str:
        # As CPython's datetime splits a timestamp: the fraction rounded half-to-even to
        # whole microseconds, a round up to 1e6 carried into the second.
        fraction, second = math.modf(created)
        micro = round(fraction * 1e6)
        if micro >= 1_000_000:
            micro -= 1_000_000
            second += 1.0
        elif micro < 0:
            micro += 1_000_000
            second -= 1.0
        known, prefix = self._second
        if second != known:
            prefix = datetime.fromtimestamp(second, UTC).isoformat()[:-6]
            self._second = (second, prefix)
        return f"{prefix}.{micro:06d}+00:00" if micro else f"{prefix}+00:00"


#: The line's own fields, in order, and what each is called in it: ``json_formatter``'s.
_STANDARD_FIELDS = (("levelname", "level"), ("service", "service"), ("name", "logger"),
                    ("message", "message"), ("request_id", "request_id"),
                    ("trace_id", "trace_id"), ("span_id", "span_id"))  # fmt: skip
#: The access line's extras, in the order ``access`` writes them.
ACCESS_FIELDS = ("method", "path", "route", "status", "duration_ms")


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


class JsonLineFormatter(JsonFormatter):
    """python-json-logger's line, byte for byte, without its general machinery: every request
    writes one access line, and its generic field walk, renames and per-call encoder cost
    several times the encoding itself. A dict ``msg`` takes the library's own path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fields = tuple((f, self._get_rename(f)) for f in self._required_fields)
        self._plain = not (self.defaults or self.static_fields or self.prefix)
        encoder = JsonEncoder(ensure_ascii=self.json_ensure_ascii)
        self._encode = encoder.encode
        self._c_encode = None
        if c_make_encoder is not None and encoder.indent is None:  # as ``iterencode`` decides
            self._c_encode = c_make_encoder(
                None, encoder.default,
                encode_basestring_ascii if encoder.ensure_ascii else encode_basestring,
                encoder.indent, encoder.key_separator, encoder.item_separator,
                encoder.sort_keys, encoder.skipkeys, encoder.allow_nan,
            )  # fmt: skip
        self._clock = _UtcSeconds()
        # ``access`` writes the line ``line`` would, with the layout spelled out: only for
        # ``json_formatter``'s configuration, the one every Keel process logs with.
        self._standard = (
            self._plain
            and self._c_encode is not None
            and self.json_ensure_ascii
            and self._fields == _STANDARD_FIELDS
            and self._get_rename("time") == "time"
            and all(
                name not in self._skip_fields and name not in self.rename_fields
                for name in ACCESS_FIELDS
            )
        )

    def format(self, record: logging.LogRecord) -> str:
        if not self._plain or isinstance(record.msg, dict):
            return super().format(record)
        record.message = record.getMessage()
        attributes = record.__dict__
        line: dict[str, Any] = {name: attributes.get(field) for field, name in self._fields}
        exc_info = self.formatException(record.exc_info) if record.exc_info else None
        if exc_info or record.exc_text:
            line[self._get_rename("exc_info")] = exc_info or record.exc_text
        if record.stack_info:
            line[self._get_rename("stack_info")] = self.formatStack(record.stack_info)
        return self._finish(line, attributes, record.created)

    def line(self, fields: Mapping[str, Any], extras: Mapping[str, Any], created: float) -> str:
        """What ``format`` answers for a plain record (no exception, no stack) whose
        attributes are ``fields`` (``levelname``, ``name``, ``message``, ...) and ``extras``,
        made at ``created``; only for a formatter where ``plain`` holds."""
        line: dict[str, Any] = {name: fields.get(field) for field, name in self._fields}
        return self._finish(line, extras, created)

    def access(
        self,
        fields: tuple[str, str, str, str, str | None, str | None, str | None],
        request: tuple[str, str, str, int, float],
        created: float,
    ) -> str | None:
        """``line`` of an access line -- ``fields``: the level's name, the service, the
        logger's name, the message and the request, trace and span ids; ``request``: the
        ``ACCESS_FIELDS`` -- without a dict of the line for the encoder to walk: the line every
        request writes. None when only ``line`` writes it as ``line`` does: a formatter
        configured otherwise, or a duration that is not a finite number."""
        method, path, route, status, duration_ms = request
        if not (self._standard and type(status) is int and type(duration_ms) is float):
            return None
        if not math.isfinite(duration_ms):  # the encoder writes NaN and the infinities
            return None
        level, service, logger, message, request_id, trace_id, span_id = fields
        encode = encode_basestring_ascii
        return (
            f'{{"level": {encode(level)}, "service": {encode(service)}, '
            f'"logger": {encode(logger)}, "message": {encode(message)}, '
            f'"request_id": {_text(request_id)}, "trace_id": {_text(trace_id)}, '
            f'"span_id": {_text(span_id)}, "method": {encode(method)}, '
            f'"path": {encode(path)}, "route": {encode(route)}, "status": {status!r}, '
            f'"duration_ms": {float.__repr__(duration_ms)}, '
            f'"time": "{self._clock.isoformat(created)}"}}'
        )

    @property
    def plain(self) -> bool:
        return self._plain

    def _finish(self, line: dict[str, Any], attributes: Mapping[str, Any], created: float) -> str:
        skip, rename = self._skip_fields, self.rename_fields
        for key, value in attributes.items():
            if key not in skip and not key.startswith("_"):
                line[rename.get(key, key)] = value
        line[self._get_rename("time")] = self._clock.isoformat(created)
        return self._dumps(line)

    def _dumps(self, line: dict[str, Any]) -> str:
        """``self._encode(line)``: the same C encoder, made once rather than on each call
        (its nine arguments parsed, a closure and a markers dict made), and without the
        check for circular references, which a line -- flat, made here -- cannot hold;
        anything that fails is encoded again the ordinary way, to fail the ordinary way."""
        if self._c_encode is None:
            return self._encode(line)
        try:
            return "".join(self._c_encode(line, 0))
        except Exception:  # noqa: BLE001 -- the ordinary encoder raises its own error
            return self._encode(line)


def json_formatter() -> JsonFormatter:
    return JsonLineFormatter(
        "%(levelname)s %(service)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )
