"""One JSON line per log event, with the request and trace ids, and secrets scrubbed.

``configure_logging`` installs a single handler on the root logger; every library's logger
propagates to it. Its two filters run for every record that reaches it:

* ``ContextFilter`` adds ``service``, ``request_id``, ``trace_id`` and ``span_id`` (from
  ``keel_common.tracing``), so any line can be joined to the request that caused it;
* ``RedactingFilter`` scrubs passwords, tokens, OTP codes, credentials in URLs,
  ``Authorization``/``Cookie`` headers, secrets and API keys -- by key name in dicts passed as
  arguments or extras, and by pattern in the message, exception and stack text.

Redaction is a safety net under the rule that code never logs a secret on purpose: it knows
the common shapes (JWTs, ``Bearer`` values, ``password=...``, ``"token": "..."``, URL
passwords, "code 123456"), not every opaque string.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import IO, Any

from pydantic import BaseModel

# Re-exported: callers that want the line without the handler import it from here.
from keel_common.json_line import json_formatter as json_formatter
from keel_common.tracing import current_request_id, current_trace

REDACTED = "[REDACTED]"
#: The logger of the one line every HTTP request writes (``keel_common.http.observability``).
ACCESS_LOGGER = "keel.access"

# Key names (lower case, "-" read as "_") whose values are secret wherever they appear.
_SECRET_KEY_PARTS = (
    "password", "passwd", "passphrase", "passcode", "secret", "token", "otp", "authorization",
    "cookie", "api_key", "apikey", "credential", "private_key", "signature", "session",
    "verification_code", "confirmation_code", "reset_code", "mfa_code",
)  # fmt: skip
_SECRET_KEYS = frozenset({"code", "pin", "pwd", "dsn", "auth", "jwt"})

_TEXT_KEY_WORDS = (
    r"password|passwd|passphrase|passcode|secret|token|otp|api[_-]?key|apikey|credential"
    r"|private[_-]?key|authorization|cookie|session"
)


def _mask_value(match: re.Match[str]) -> str:
    """Keep the ``prefix`` group (key and separator), mask ``value`` but keep its quotes."""
    value = match["value"]
    if value == REDACTED:
        return match[0]
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match['prefix']}{quote}{REDACTED}{quote}"


# Each rule starts only where its leading run of characters starts (the look-behinds) and
# never gives characters back (possessive quantifiers): log lines can hold megabytes of
# base64 or minified JSON, and a pattern that retries from inside a run takes quadratic time.
_TEXT_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # JWS/JWT compact form: the header is base64url JSON, so it always starts with "eyJ".
    (
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+"),
        REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s++[A-Za-z0-9._~+/=-]{6,}+"), rf"\1 {REDACTED}"),
    # user:password@host in database, broker and Redis URLs.
    (
        re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*+://[^\s:/@]*+:)[^\s@/]++@"),
        rf"\1{REDACTED}@",
    ),
    # A Cookie header's value runs to the end of the line, across its "; " separators.
    (re.compile(r"(?i)\b((?:set-)?cookie\s*+:\s*+)[^\r\n\"']++"), rf"\1{REDACTED}"),
    # key=value and "key": "value" where the key names a secret: "password=x",
    # "'token': 'x'", "\"api_key\": \"x\"", "?access_token=x&".
    (
        re.compile(
            # The atomic group stops at the first secret word in the key: retrying later
            # ones could not change the outcome and would again cost quadratic time.
            rf"(?i)(?P<prefix>(?<![\w-])(?>[\w-]*?(?:{_TEXT_KEY_WORDS}))[\w-]*+"
            r"[\"']?\s*+[:=]\s*+)"
            r"(?P<value>\[REDACTED\]|\"[^\"]*+\"|'[^']*+'|[^\s,;&)}\]\"']++)"
        ),
        _mask_value,
    ),
    # Password hashes (argon2 PHC strings) say nothing to a reader and help a cracker.
    (re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9+/=$,.-]++"), REDACTED),
    # A JSON "code" member (a one-time code of any shape): {"code": "a1b2c3"}.
    (
        re.compile(r"(?i)(?P<prefix>\"code\"\s*+:\s*+)(?P<value>\"[^\"]*+\"|[\w-]++)"),
        _mask_value,
    ),
    # One-time codes in prose or key/value form: "code 123456", "otp=123456", "PIN: 1234".
    (
        re.compile(
            r"(?i)(?P<prefix>\b(?:otp|code|passcode|pin)\b\s*+(?:is\s*+)?[:=]?\s*+[\"']?)"
            r"(?P<value>\d{4,8})\b"
        ),
        _mask_value,
    ),
)

_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "service",
    "request_id",
    "trace_id",
    "span_id",
}
KEEL_HANDLER = "_keel_json_handler"
_SCALARS = frozenset({int, float, bool})


# Every rule above needs one of these (lower-cased) to match; a text holding none of them --
# most log lines, every access line of an ordinary path -- skips the eight substitutions.
_RULE_TRIGGERS = (
    "eyj", "bearer", "basic", "://", "cookie", "$argon2", "code", "pin", "otp", "passw",
    "passphrase", "secret", "token", "key", "credential", "authorization", "session",
)  # fmt: skip


def _may_hold_secret(text: str) -> bool:
    if not text.isascii():
        return True  # (?i) matches some non-ASCII letters to ASCII ones (U+017F to "s")
    lowered = text.lower()
    for trigger in _RULE_TRIGGERS:  # noqa: SIM110 -- a loop: any() over a generator costs 3x
        if trigger in lowered:
            return True
    return False


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped substring replaced by ``[REDACTED]``."""
    if not _may_hold_secret(text):
        return text
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: object) -> bool:
    """Whether a dict key, header name or field name names a secret."""
    return _is_secret_name(str(key))


@functools.lru_cache(maxsize=4096)  # field and header names are a small, repeating set
def _is_secret_name(key: str) -> bool:
    name = key.lower().replace("-", "_")
    return name in _SECRET_KEYS or any(part in name for part in _SECRET_KEY_PARTS)


def redact(obj: Any) -> Any:
    """A copy of ``obj`` safe to log: secret-named keys masked, strings scrubbed by pattern.

    Walks dicts (and other mappings, e.g. HTTP headers), lists, tuples, sets, dataclasses and
    pydantic models; exceptions become their scrubbed text. Never modifies ``obj``.
    """
    if isinstance(obj, str):
        return redact_text(obj)
    if obj is None or type(obj) in _SCALARS:
        return obj
    if isinstance(obj, Mapping):
        return {
            key: (REDACTED if value not in (None, "") else value)
            if is_secret_key(key)
            else redact(value)
            for key, value in obj.items()
        }
    if isinstance(obj, list | tuple | set | frozenset):
        return type(obj)(redact(item) for item in obj) if not hasattr(obj, "_fields") else obj
    if isinstance(obj, BaseModel):
        return redact(obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return redact(dataclasses.asdict(obj))
    if isinstance(obj, BaseException):
        return redact_text(f"{type(obj).__name__}: {obj}")
    return obj


#: The service a line is about when one process runs several (``keel-local``), else None.
current_service: ContextVar[str | None] = ContextVar("keel_service", default=None)


class ContextFilter(logging.Filter):
    """Stamps each record with the service and the current request and trace ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def context(self) -> tuple[str, str | None, str | None, str | None]:
        """The service, request id, trace id and span id ``filter`` stamps on a record."""
        service, trace = current_service.get() or self.service, current_trace.get()
        if trace is None:
            return service, current_request_id.get(), None, None
        return service, current_request_id.get(), trace.trace_id, trace.span_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = current_service.get() or self.service
        trace = current_trace.get()
        # Ids given explicitly (``extra={"request_id": ...}``) win over the current context.
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        if getattr(record, "trace_id", None) is None:
            record.trace_id = trace.trace_id if trace else None
        if getattr(record, "span_id", None) is None:
            record.span_id = trace.span_id if trace else None
        return True


def scrub_extra(key: str, value: Any) -> Any:
    """An extra of a record (``extra={key: value}``) as ``RedactingFilter`` leaves it."""
    return REDACTED if is_secret_key(key) else redact(value)


class RedactingFilter(logging.Filter):
    """Scrubs secrets from a record's message, arguments, extras, exception and stack."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping):
            record.msg = redact(record.msg)
        else:
            record.msg = redact_text(self._message(record))
            record.args = None
        attributes = record.__dict__
        for key in attributes.keys() - _RECORD_FIELDS:  # the extras (set difference: in C)
            attributes[key] = scrub_extra(key, attributes[key])
        if record.exc_info:
            # Format once here so the scrubbed text, not the live exception, is what prints.
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True

    @staticmethod
    def _message(record: logging.LogRecord) -> str:
        if isinstance(record.args, Mapping):
            record.args = redact(record.args)
        elif record.args:
            record.args = tuple([redact(arg) for arg in record.args])
        try:
            return record.getMessage()
        except (TypeError, ValueError):
            # A bad format string must not lose the event; keep what was given, scrubbed.
            return f"{record.msg} {record.args!r}"


def configure_logging(
    service: str, level: str = "INFO", *, stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record of this process, as one JSON line, to ``stream`` (stdout).

    Safe to call again (e.g. in a forked worker): it replaces the handler it installed
    before and leaves handlers others added (test capture, Sentry) alone.
    """
    root = logging.getLogger()
    # pika narrates every connection step at INFO; keep its warnings and errors only.
    logging.getLogger("pika").setLevel(logging.WARNING)
    for handler in list(root.handlers):
        if getattr(handler, KEEL_HANDLER, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    setattr(handler, KEEL_HANDLER, True)
    handler.addFilter(ContextFilter(service))
    handler.addFilter(RedactingFilter())
    handler.setFormatter(json_formatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def is_configured() -> bool:
    return any(getattr(handler, KEEL_HANDLER, False) for handler in logging.getLogger().handlers)
