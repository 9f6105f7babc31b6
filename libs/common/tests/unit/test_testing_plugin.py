"""The test plugin keeps what tests write inside their own tmp_path."""

from __future__ import annotations

from pathlib import Path

from keel_common.settings import ServiceSettings, load_settings


class _Settings(ServiceSettings):
    service_name: str = "svc"


def test_a_broker_built_without_a_url_writes_under_tmp_path(tmp_path: Path) -> None:
    settings = load_settings(_Settings)
    assert settings.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.db'}"
