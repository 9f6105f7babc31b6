"""The core service's settings: ``ServiceSettings`` plus what only core needs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from keel_common.settings import ServiceSettings, load_settings

DEVELOPMENT_MEDIA_KEY = "keel-dev-media-signing-key"
DEFAULT_APP_VERSIONS_FILE = Path(__file__).resolve().parent / "app_versions.json"


class CoreSettings(ServiceSettings):
    service_name: str = "core"
    # The thresholds document: from this file, or with DISCOVERY=consul from this Consul KV
    # key (the file still answers while the key is unset).
    app_versions_file: Path = DEFAULT_APP_VERSIONS_FILE
    app_versions_consul_key: str = "keel/core/app-versions"
    app_versions_cache_seconds: float = Field(default=30.0, gt=0)
    # Orders one account may place in 24 hours (issue #11): each locks stock and sends a
    # receipt, so a stolen or scripted account must not drain a catalogue or the mail budget.
    # A marketplace whose buyers are businesses may need more.
    orders_per_buyer_per_day: int = Field(default=200, gt=0)
    # Deadline of one GetUsers call to auth.
    auth_timeout_seconds: float = Field(default=2.0, gt=0)
    # The product read cache: "auto" is Redis when REDIS_URL is set, else a file next to a
    # SQLite database (shared by exactly the processes sharing the database), else none.
    product_cache: Literal["auto", "redis", "sqlite", "off"] = "auto"
    # The cache's Redis when it is not REDIS_URL's (which also holds the session denylist).
    product_cache_url: str | None = None
    # A backstop only (invalidation is by write); bounds staleness after a cache outage.
    product_cache_ttl_seconds: float = Field(default=300.0, gt=0)
    # Hits also copied into each process (docs/caching.md), so a repeated read costs no round
    # trip: with Redis under a lease (writes wait until every process dropped its copy); with
    # the SQLite file, while an epoch the host's processes share has not moved.
    product_cache_near: bool = True
    # Product images (#18): "local" files under media_dir, uploads signed with
    # media_signing_key and sent to media_upload_url (core's route, on the gateway's
    # origin); or "s3": media_bucket, optionally at media_s3_endpoint_url (an
    # S3-compatible server). Processed images are read at media_public_url + key.
    media_store: Literal["local", "s3"] = "local"
    media_dir: Path = Path("var/media")
    media_upload_url: str = "http://127.0.0.1:8080/v1/core/uploads/"
    media_public_url: str = "http://127.0.0.1:8080/media/"
    media_signing_key: SecretStr = SecretStr(DEVELOPMENT_MEDIA_KEY)
    media_bucket: str = ""
    media_s3_endpoint_url: str | None = None
    media_s3_region: str = "eu-west-1"

    @model_validator(mode="after")
    def _no_development_media_key_in_production(self) -> CoreSettings:
        # Anyone who knows the development key could sign uploads to a local store.
        if (
            self.environment == "production"
            and self.media_store == "local"
            and self.media_signing_key.get_secret_value() == DEVELOPMENT_MEDIA_KEY
        ):
            raise ValueError("MEDIA_SIGNING_KEY must be set in production (or MEDIA_STORE=s3)")
        return self


def load_core_settings() -> CoreSettings:
    return load_settings(CoreSettings)
