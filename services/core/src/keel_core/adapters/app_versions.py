"""App-version thresholds read at run time, so they change without a redeploy.

The thresholds are one JSON document (see ``app_versions.json``): in production it lives in
Consul KV (the discovery client's ``kv_get``), by default in a settings file. Thresholds an
admin edited in the back-office (core's ``app_version_thresholds`` table) override that seed
per platform (``edited_document``). It is read
again at most every ``ttl`` seconds; a document that cannot be read or parsed keeps the last
good one in force (a broken edit in Consul must not start telling every client to update).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cachetools import TTLCache

from keel_common.discovery import Discovery, DiscoveryError
from keel_core.domain.app_versions import (
    InvalidVersionPolicy,
    Platform,
    VersionPolicy,
    policies_from_document,
)
from keel_core.service_layer.ports import VersionPolicies, VersionPoliciesUnavailable

log = logging.getLogger(__name__)

DocumentSource = Callable[[], bytes]
_KEY = "policies"


def file_document(path: Path) -> DocumentSource:
    return path.read_bytes


def consul_document(discovery: Discovery, key: str, fallback: DocumentSource) -> DocumentSource:
    """The document under ``key`` in Consul KV; ``fallback`` while nobody has set the key."""

    def read() -> bytes:
        value = discovery.kv_get(key)
        return fallback() if value is None else value

    return read


def edited_document(
    read_edits: Callable[[], dict[Platform, VersionPolicy]], seed: DocumentSource
) -> DocumentSource:
    """The seed document with every platform an admin edited replaced by the edited values.

    An unreadable seed is tolerated while the edits cover every platform.
    """

    def read() -> bytes:
        edits = read_edits()
        try:
            document = json.loads(seed())
        except (OSError, DiscoveryError, ValueError):
            if len(edits) < len(Platform):
                raise
            document = {}
        for platform, policy in edits.items():
            document[platform.value] = {
                "min_supported_version": str(policy.min_supported),
                "latest_version": str(policy.latest),
            }
        return json.dumps(document).encode()

    return read


class CachedVersionPolicies(VersionPolicies):
    def __init__(
        self,
        source: DocumentSource,
        *,
        ttl: float = 30.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._cache: TTLCache[str, dict[Platform, VersionPolicy]] = TTLCache(1, ttl, timer)
        self._last_good: dict[Platform, VersionPolicy] | None = None
        self._lock = threading.Lock()

    def for_platform(self, platform: Platform) -> VersionPolicy:
        return self._policies()[platform]

    def forget(self) -> None:
        # Other processes see an edit when their cache expires (``ttl``).
        with self._lock:
            self._cache.clear()

    def _policies(self) -> dict[Platform, VersionPolicy]:
        with self._lock:
            cached = self._cache.get(_KEY)
            if cached is not None:
                return cached
            try:
                policies = policies_from_document(json.loads(self._source()))
            except (OSError, DiscoveryError, ValueError, InvalidVersionPolicy) as exc:
                if self._last_good is None:
                    raise VersionPoliciesUnavailable(str(exc)) from exc
                log.warning(
                    "app-version thresholds unreadable, keeping the last good ones: %s", exc
                )
                policies = self._last_good
            self._cache[_KEY] = self._last_good = policies
            return policies
