"""The core service's settings: ``ServiceSettings`` plus what only core needs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from keel_common.settings import ServiceSettings, load_settings

DEFAULT_APP_VERSIONS_FILE = Path(__file__).resolve().parent / "app_versions.json"


class CoreSettings(ServiceSettings):
    service_name: str = "core"
    # The thresholds document: from this file, or with DISCOVERY=consul from this Consul KV
    # key (the file still answers while the key is unset).
    app_versions_file: Path = DEFAULT_APP_VERSIONS_FILE
    app_versions_consul_key: str = "keel/core/app-versions"
    app_versions_cache_seconds: float = Field(default=30.0, gt=0)
    # Deadline of one GetUsers call to auth.
    auth_timeout_seconds: float = Field(default=2.0, gt=0)
    # The product read cache: "auto" is Redis when REDIS_URL is set, else a file next to a
    # SQLite database (shared by exactly the processes sharing the database), else none.
    product_cache: Literal["auto", "redis", "sqlite", "off"] = "auto"
    # The cache's Redis when it is not REDIS_URL's (which also holds the session denylist).
    product_cache_url: str | None = None
    # A backstop only (invalidation is by write); bounds staleness after a cache outage.
    product_cache_ttl_seconds: float = Field(default=300.0, gt=0)


def load_core_settings() -> CoreSettings:
    return load_settings(CoreSettings)
