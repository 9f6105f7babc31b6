"""The account views through a shared cache (``keel_common.cache``): a ``GET /v1/auth/me``
that hits costs one round trip to Redis and no database read, and answers with the bytes
the cache holds, rendered when the copy was filled (as core's product documents are).

Keys: the rendering for one login session, under the generation of its user. The session is
in the key because the answer says "this session is live" too; the user is in the generation
because a write to the user, or to any of their sessions, replaces it (``forget``, after the
commit). When the cache's Redis also holds the session denylist (the usual case), the
denylist key is read in the same ``MGET``: a session revoked between its commit and the
generation's replacement is refused all the same. A read the store cannot answer falls
back to the database; the database's answer is never an error of the cache's.

With ``near`` (``keel_common.cache.near.LeasedCopies``), hits are also copied into each
process and answered there, with no round trip, while its lease holds. A copy is kept only
if the denylist key read with it was absent, and it is dropped when that key is announced:
the denylist is written before the revoking commit (``steps.end_session``), so if that
commit fails no ``forget`` follows, and without the announcement a copy would still answer
for a session every other verifier refuses. ``AnnouncedRevocations`` announces each key it
writes.

On the embedded default there is no Redis and no cache: a view is read from the SQLite
database, which judges "is this session live" by itself. ``CopiedAccountViews`` keeps copies
of those reads in each process, coherent across the host's processes by a shared epoch
(``keel_common.cache.SharedEpochCopies``) that ``forget`` moves after every commit that
changed a user or a session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime

from keel_auth.adapters.metrics import (
    ACCOUNT_VIEW_CACHE_INVALIDATIONS,
    ACCOUNT_VIEW_CACHE_READS,
)
from keel_auth.service_layer.views import AccountView, AccountViews
from keel_common.auth import RevocationList
from keel_common.cache import (
    CacheUnavailable,
    GenerationalCache,
    KeyValueStore,
    NearCopies,
)
from keel_common.metrics import labelled_once

_PREFIX = "keel:auth:account-view:"
NEAR_PREFIX = "keel:auth:account-view-copies"  # the leases' keys and channel
_READS = labelled_once(ACCOUNT_VIEW_CACHE_READS.labels)


def _count(kind: str, result: str) -> None:
    """``ACCOUNT_VIEW_CACHE_READS`` by result, each labelled child looked up once."""
    _READS(result).inc()


def _count_invalidation(result: str) -> None:
    ACCOUNT_VIEW_CACHE_INVALIDATIONS.labels(result).inc()


def _generation_key(user_id: uuid.UUID) -> str:
    return f"{_PREFIX}user:{user_id}:gen"


def _document_key(session_id: uuid.UUID) -> str:
    # Not the ``session:<id>`` key of the views this cache held before it kept renderings:
    # a process of the previous release, sharing the Redis during a rolling update, never
    # reads a copy it cannot parse.
    return f"{_PREFIX}session:{session_id}:doc"


def stored(user_id: uuid.UUID, body: bytes) -> bytes:
    """A copy as the store holds it: its user's id, then the rendered body."""
    return b"%s\n%b" % (str(user_id).encode(), body)


def body_of(payload: bytes, user_id: uuid.UUID) -> bytes | None:
    """The body ``payload`` holds if it is ``user_id``'s copy, else None."""
    owner, _, body = payload.partition(b"\n")
    return body if owner == str(user_id).encode() else None


class _InFrontOf(AccountViews):
    """Views that keep renderings in front of ``views`` (the database): a view itself is
    always read afresh, only ``document_of_live_session`` is kept."""

    def __init__(self, views: AccountViews) -> None:
        self._views = views

    def of_live_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> AccountView | None:
        return self._views.of_live_session(session_id, user_id)


class CachedAccountViews(_InFrontOf):
    """``views`` (the database) behind a ``GenerationalCache`` over ``store``.

    ``revoked_key`` names a session's denylist key when it lives in the same store
    (``keel_common.auth.RedisRevocationList.key``); None when it does not. With ``near``
    and a ``revoked_key``, the denylist must be written through ``AnnouncedRevocations``.
    """

    def __init__(
        self,
        views: AccountViews,
        store: KeyValueStore,
        ttl: float = 300.0,
        revoked_key: Callable[[uuid.UUID], str] | None = None,
        near: NearCopies | None = None,
    ) -> None:
        super().__init__(views)
        self._cache = GenerationalCache(
            store, ttl, on_read=_count, on_invalidation=_count_invalidation, near=near
        )
        self._revoked_key = revoked_key

    def document_of_live_session(
        self, session_id: uuid.UUID, user_id: uuid.UUID, render: Callable[[AccountView], bytes]
    ) -> bytes | None:
        key = _document_key(session_id)
        also = (self._revoked_key(session_id),) if self._revoked_key else ()
        entry = self._cache.read("account", key, _generation_key(user_id), *also)
        if any(value is not None for value in entry.also):
            return None  # on the denylist: revoked, whatever the cache or database says
        if entry.payload is not None and (body := body_of(entry.payload, user_id)) is not None:
            return body
        body = self._views.document_of_live_session(session_id, user_id, render)
        if body is not None:
            self._cache.fill(key, entry.generation, stored(user_id, body))
        return body

    def forget(
        self, user_ids: Collection[uuid.UUID], session_ids: Collection[uuid.UUID] = ()
    ) -> None:
        self._cache.invalidate(_changed_keys(user_ids, session_ids))


def _changed_keys(user_ids: Collection[uuid.UUID], session_ids: Collection[uuid.UUID]) -> list[str]:
    """What a commit that changed these users and sessions invalidates. A session's key gets
    a fresh token too: no generation matches it (a miss), and the copy it held is gone at
    once rather than at its expiry."""
    keys = [_generation_key(user_id) for user_id in user_ids]
    return keys + [_document_key(session_id) for session_id in session_ids]


class CopiedAccountViews(_InFrontOf):
    """``views`` (the database) with their renderings copied into the process under
    ``copies`` (``SharedEpochCopies``: one host's processes, the embedded default). A copy is
    made only of a live session's view read since ``mark``; any ``forget`` drops them all."""

    def __init__(self, views: AccountViews, copies: NearCopies) -> None:
        super().__init__(views)
        self._copies = copies

    def document_of_live_session(
        self, session_id: uuid.UUID, user_id: uuid.UUID, render: Callable[[AccountView], bytes]
    ) -> bytes | None:
        key = _document_key(session_id)
        copy = self._copies.get(key)
        if copy is not None and (body := body_of(copy, user_id)) is not None:
            _count("account", "near_hit")
            return body
        _count("account", "miss")
        mark = self._copies.mark()
        body = self._views.document_of_live_session(session_id, user_id, render)
        if body is not None:
            self._copies.keep(mark, key, stored(user_id, body), ())
        return body

    def forget(
        self, user_ids: Collection[uuid.UUID], session_ids: Collection[uuid.UUID] = ()
    ) -> None:
        keys = _changed_keys(user_ids, session_ids)
        try:
            self._copies.announce(keys)
        except CacheUnavailable:
            _count_invalidation("failed")
            self._copies.unannounced(keys)
            return
        _count_invalidation("done")


class AnnouncedRevocations(RevocationList):
    """``revocations`` (the denylist in the account view cache's Redis) that announces each
    session's key on ``near`` once written: every process has dropped its copy of that
    session's view before ``revoke`` returns (``CachedAccountViews`` keeps a copy only while
    the key is absent). An announcement Redis does not confirm waits out one lease
    (``LeasedCopies.unannounced``) and raises: the revoking use case fails before its
    commit, the key stays written, and a retry announces again."""

    def __init__(
        self,
        revocations: RevocationList,
        near: NearCopies,
        key: Callable[[uuid.UUID], str],
    ) -> None:
        self._revocations = revocations
        self._near = near
        self._key = key

    def revoke(self, session_id: uuid.UUID, until: datetime) -> None:
        self.revoke_many([session_id], until)

    def revoke_many(self, session_ids: Collection[uuid.UUID], until: datetime) -> None:
        """All written, then one announcement for them all."""
        self._revocations.revoke_many(session_ids, until)
        keys = [self._key(session_id) for session_id in session_ids]
        try:
            self._near.announce(keys)
        except CacheUnavailable:
            _count_invalidation("failed")
            self._near.unannounced(keys)
            raise

    def is_revoked(self, session_id: uuid.UUID) -> bool:
        return self._revocations.is_revoked(session_id)
