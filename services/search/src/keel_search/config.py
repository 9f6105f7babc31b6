"""The search service's settings: ``ServiceSettings`` plus what only search needs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from keel_common.settings import ServiceSettings, load_settings


class SearchSettings(ServiceSettings):
    service_name: str = "search"
    # embedded: tantivy on local disk (one writer: the worker); elasticsearch: a cluster.
    search_engine: Literal["embedded", "elasticsearch"] = "embedded"
    search_index_dir: Path = Path("var/search-index")
    # May carry credentials (https://user:pass@host:9200), hence a secret.
    elasticsearch_url: SecretStr | None = Field(default=None, validate_default=True)
    elasticsearch_index: str = "keel-products"
    # Consumer threads of the worker; their changes share index commits (group commit).
    search_consumers: int = Field(default=16, ge=1, le=256)
    # The most product changes the worker writes in one index commit.
    search_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Deadline of the whole ListProducts stream during a rebuild.
    rebuild_timeout_seconds: float = Field(default=3600.0, gt=0)

    @field_validator("elasticsearch_url")
    @classmethod
    def _needed_by_elasticsearch(cls, value: SecretStr | None, info: ValidationInfo) -> object:
        if value is None and info.data.get("search_engine") == "elasticsearch":
            raise ValueError("required when SEARCH_ENGINE=elasticsearch")
        return value


def load_search_settings() -> SearchSettings:
    return load_settings(SearchSettings)
