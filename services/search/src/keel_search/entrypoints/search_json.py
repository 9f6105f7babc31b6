"""The JSON body of a search, written directly: the bytes Flask's JSON provider makes of
``SearchOut.json_of(result)`` in its default settings (keys sorted, ASCII only, compact, a
closing newline), without building the dicts and sorting their keys on every request.

Each string goes through ``json``'s own escape (``encode_basestring_ascii``, what
``json.dumps`` runs with ``ensure_ascii``), every other value is an int or null, and the
keys are written in sorted order. A test holds the two bodies equal; change them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

from flask.json.provider import DefaultJSONProvider

from keel_search.domain.results import SearchResult

_string = encode_basestring_ascii
# HitOut's and SearchOut's fields, keys in sorted order.
_HIT = (
    '{"category":%s,"currency":%s,"description":%s,"highlights":{%s},"id":"%s",'
    '"price_cents":%d,"thumbnail_url":%s,"title":%s}'
)
_BODY = '{"facets":[%s],"hits":[%s],"next_cursor":%s,"total":%d}\n'
_FACET = '{"category":%s,"count":%d}'


def writes_as_flask(provider: Any, debug: bool) -> bool:
    """True when ``provider`` (an app's ``json``) makes the body this module writes."""
    compact = provider.compact if provider.compact is not None else not debug
    return (
        type(provider) is DefaultJSONProvider
        and provider.ensure_ascii
        and provider.sort_keys
        and compact
    )


def search_body(result: SearchResult) -> bytes:
    hits = []
    for hit in result.hits:
        product = hit.product
        thumbnail_url = product.thumbnail_url
        hits.append(
            _HIT
            % (
                _string(product.category),
                _string(product.currency),
                _string(product.description),
                _highlights(hit.highlights),
                product.id,  # str(UUID): hex digits and dashes, nothing to escape
                product.price_cents,
                "null" if thumbnail_url is None else _string(thumbnail_url),
                _string(product.title),
            )
        )
    facets = ",".join([_FACET % (_string(f.category), f.count) for f in result.facets])
    cursor = "null" if result.next_cursor is None else _string(result.next_cursor)
    return (_BODY % (facets, ",".join(hits), cursor, result.total)).encode()


def _highlights(highlights: Mapping[str, str]) -> str:
    """The members of a hit's highlights, keys sorted: those of the highlighted fields (a
    description's fragment comes before a title's) without sorting, any other by sorting."""
    description, title = highlights.get("description"), highlights.get("title")
    if len(highlights) != (description is not None) + (title is not None):
        return ",".join([f"{_string(k)}:{_string(v)}" for k, v in sorted(highlights.items())])
    if title is None:
        return "" if description is None else '"description":' + _string(description)
    if description is None:
        return '"title":' + _string(title)
    return f'"description":{_string(description)},"title":{_string(title)}'
