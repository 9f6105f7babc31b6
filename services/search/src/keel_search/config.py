"""The search service's settings: ``ServiceSettings`` plus what only search needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from keel_common.settings import ServiceSettings, load_settings


class SearchSettings(ServiceSettings):
    service_name: str = "search"
    # embedded: tantivy on local disk (one writer: the worker); opensearch: a cluster.
    # Unset: opensearch when OPENSEARCH_URL is set (all Terraform hands to Helm), else embedded.
    search_engine: Literal["embedded", "opensearch"] = "embedded"
    search_index_dir: Path = Path("var/search-index")
    # May carry credentials (https://user:pass@host:9200), hence a secret. An Amazon
    # OpenSearch endpoint carries none: requests are signed with the pod's IAM role.
    opensearch_url: SecretStr | None = Field(default=None, validate_default=True)
    opensearch_index: str = "keel-products"
    # Consumer threads of the worker; their changes share index commits (group commit).
    search_consumers: int = Field(default=16, ge=1, le=256)
    # The most product changes the worker writes in one index commit.
    search_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Deadline of the whole ListProducts stream during a rebuild.
    rebuild_timeout_seconds: float = Field(default=3600.0, gt=0)
    # Search answers kept per process, keyed by the index state they were made from (an
    # engine that cannot name its state, OpenSearch, is never cached). 0 in either: off.
    search_cache_entries: int = Field(default=2048, ge=0, le=1_000_000)
    search_cache_bytes: int = Field(default=32_000_000, ge=0)
    # Embedded engine: how often, at most, a web or gRPC process looks for the worker's
    # commits (Elasticsearch's refresh_interval, OpenSearch's default too): a change is
    # searchable within this long after the worker applied it, and the result cache, which
    # a commit empties, lives at least this long while orders change stock. 0: every search.
    search_refresh_seconds: float = Field(default=1.0, ge=0, le=60)

    @model_validator(mode="before")
    @classmethod
    def _engine_of_the_url(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        engine = data.get("search_engine")
        if not engine:
            engine = "opensearch" if data.get("opensearch_url") else "embedded"
        return {**data, "search_engine": engine}

    @field_validator("opensearch_url")
    @classmethod
    def _needed_by_opensearch(cls, value: SecretStr | None, info: ValidationInfo) -> object:
        if value is None and info.data.get("search_engine") == "opensearch":
            raise ValueError("required when SEARCH_ENGINE=opensearch")
        return value


def load_search_settings() -> SearchSettings:
    return load_settings(SearchSettings)
