"""How deeply a JSON document nests, measured without parsing it.

Python's ``json`` module parses arrays and objects recursively: a body of 1,000 ``[`` raises
``RecursionError`` (a 500) before any schema sees it. This scan is iterative and linear, so a
hostile body is refused as a 400 before the recursive parser runs.
"""

from __future__ import annotations

import re
from itertools import accumulate

#: Deeper than any document Keel's schemas accept, far shallower than the recursion limit.
MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (brackets inside strings do
    not count); malformed documents are measured as written, the parser refuses them later."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    # Fewer opening brackets than the limit cannot nest past it: the common case is cheap.
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    return json_depth(data) > limit
