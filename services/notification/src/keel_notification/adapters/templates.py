"""Jinja2 templates per channel and locale, under ``keel_notification/templates``.

Layout: ``<channel>/<locale>/<name>.<part>``; email has ``subject.txt``, ``txt`` and ``html``
parts (HTML autoescaped), SMS a ``txt`` part, push ``title.txt`` and ``body.txt``. A locale
falls back to its language, then to English. Undefined variables raise (StrictUndefined):
a message with a hole in it is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_currency, get_currency_precision

from keel_notification.domain.errors import TemplateRenderError
from keel_notification.domain.model import Channel
from keel_notification.service_layer.ports import TemplateRenderer

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_LOCALE = "en"
# context entries copied into a push's data payload, for the app to deep-link
PUSH_DATA_KEYS = ("order_id", "order_url", "url")


def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


@jinja2.pass_context
def _money(ctx: jinja2.runtime.Context, amount_minor: int, currency: str) -> str:
    """Integer minor units (cents, yen, fils) as a localized amount."""
    digits = get_currency_precision(currency)
    amount = Decimal(int(amount_minor)).scaleb(-digits)
    return str(format_currency(amount, currency, locale=_babel_locale(ctx["locale"])))


@jinja2.pass_context
def _datetime(ctx: jinja2.runtime.Context, value: datetime | str) -> str:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_datetime(when, "medium", locale=_babel_locale(ctx["locale"])))


class JinjaRenderer(TemplateRenderer):
    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
        )
        self.env.filters["money"] = _money
        self.env.filters["datetime"] = _datetime

    def render(
        self, channel: Channel, template: str, locale: str, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        values = {**context, "locale": locale}
        try:
            if channel is Channel.EMAIL:
                return {
                    "subject": self._part(channel, template, locale, "subject.txt", values),
                    "text": self._part(channel, template, locale, "txt", values),
                    "html": self._part(channel, template, locale, "html", values),
                }
            if channel is Channel.SMS:
                return {"body": self._part(channel, template, locale, "txt", values)}
            data = {k: str(values[k]) for k in PUSH_DATA_KEYS if k in values}
            return {
                "title": self._part(channel, template, locale, "title.txt", values),
                "body": self._part(channel, template, locale, "body.txt", values),
                "data": {"template": template, **data},
            }
        except jinja2.TemplateError as exc:
            raise TemplateRenderError(f"{channel}/{template} ({locale}): {exc}") from exc

    def _part(
        self, channel: Channel, template: str, locale: str, part: str, values: dict[str, Any]
    ) -> str:
        names = [f"{channel}/{loc}/{template}.{part}" for loc in _fallbacks(locale)]
        return self.env.select_template(names).render(values).strip()


def _fallbacks(locale: str) -> list[str]:
    language = locale.replace("_", "-").split("-")[0]
    return list(dict.fromkeys([locale, language, DEFAULT_LOCALE]))
