from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from keel_common.logging import configure_logging
from keel_common.settings import ConfigError, ServiceSettings, load_settings

DB_PASSWORD = "pg-Secret-Value-77"
SIGNING_KEY = "-----BEGIN PRIVATE KEY-----MIIEvQ"


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    signing_key: SecretStr
    smtp_password: SecretStr | None = None


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SERVICE_NAME", "DATABASE_URL", "BROKER_URL", "SIGNING_KEY", "SIGNING_KEY_FILE",
        "STATIC_SERVICES", "HTTP_PORT", "LOG_LEVEL", "DISCOVERY", "SENTRY_DSN", "REDIS_URL",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_defaults_follow_the_architecture_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNING_KEY", SIGNING_KEY)
    settings = load_settings(AuthSettings)
    assert settings.database_url == "sqlite:///var/auth.db"
    assert settings.broker_url == "sqla+sqlite:///var/broker.db"
    assert settings.events_exchange == "keel.events"
    assert settings.static_services["core"] == "127.0.0.1:50052"
    assert settings.discovery == "static"
    assert settings.redis_url is None


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("HTTP_PORT", "9001")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("STATIC_SERVICES", "auth=a:1, core=b:2")
    monkeypatch.setenv("SENTRY_DSN", "")  # empty means unset, as in most deploy tooling
    settings = load_settings(AuthSettings)
    assert settings.http_port == 9001
    assert settings.log_level == "DEBUG"
    assert settings.static_services == {"auth": "a:1", "core": "b:2"}
    assert settings.sentry_dsn is None
    assert settings.signing_key.get_secret_value() == SIGNING_KEY


def test_settings_are_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(AuthSettings, signing_key=SIGNING_KEY)
    with pytest.raises(ValueError, match="frozen"):
        settings.http_port = 1  # type: ignore[misc]


def test_missing_required_setting_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(AuthSettings)
    assert caught.value.problems == {"SIGNING_KEY": "missing (set SIGNING_KEY or SIGNING_KEY_FILE)"}
    assert "SIGNING_KEY" in str(caught.value)


def test_every_invalid_setting_is_named_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PORT", "not-a-port")
    monkeypatch.setenv("DISCOVERY", "zookeeper")
    monkeypatch.setenv("SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("STATIC_SERVICES", f"auth={SIGNING_KEY}")
    with pytest.raises(ConfigError) as caught:
        load_settings(AuthSettings)
    assert set(caught.value.problems) == {"HTTP_PORT", "DISCOVERY", "STATIC_SERVICES"}
    assert "not-a-port" not in str(caught.value)
    assert SIGNING_KEY not in str(caught.value)
    assert caught.value.__context__ is None  # the ValidationError holding inputs is not chained


def test_service_name_is_required_by_the_base_class() -> None:
    with pytest.raises(ConfigError, match="SERVICE_NAME"):
        load_settings(ServiceSettings)


def test_secret_from_a_mounted_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "signing_key"
    secret_file.write_text(SIGNING_KEY + "\n")
    monkeypatch.setenv("SIGNING_KEY_FILE", str(secret_file))
    settings = load_settings(AuthSettings)
    assert settings.signing_key.get_secret_value() == SIGNING_KEY


def test_any_setting_may_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url_file = tmp_path / "database_url"
    url_file.write_text(f"postgresql+psycopg://keel:{DB_PASSWORD}@db/keel")
    monkeypatch.setenv("DATABASE_URL_FILE", str(url_file))
    settings = load_settings(AuthSettings, signing_key=SIGNING_KEY)
    assert settings.database_url == f"postgresql+psycopg://keel:{DB_PASSWORD}@db/keel"


def test_unreadable_secret_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIGNING_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError) as caught:
        load_settings(AuthSettings)
    assert list(caught.value.problems) == ["SIGNING_KEY_FILE"]


def test_both_name_and_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "signing_key"
    secret_file.write_text("from-file")
    monkeypatch.setenv("SIGNING_KEY_FILE", str(secret_file))
    monkeypatch.setenv("SIGNING_KEY", SIGNING_KEY)
    with pytest.raises(ConfigError, match="either SIGNING_KEY or SIGNING_KEY_FILE"):
        load_settings(AuthSettings)


def test_secrets_never_appear_in_repr_str_or_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://keel:{DB_PASSWORD}@db/keel")
    monkeypatch.setenv("SENTRY_DSN", "https://abc@o1.ingest.sentry.io/2")
    settings = load_settings(AuthSettings, signing_key=SIGNING_KEY, smtp_password="smtp-pw-9")
    stream = io.StringIO()
    handler = configure_logging("auth", stream=stream)
    try:
        logging.getLogger("keel.test").info("settings %s / %r", settings, settings)
        logging.getLogger("keel.test").info("loaded", extra={"settings": settings})
    finally:
        logging.getLogger().removeHandler(handler)
    for text in (repr(settings), str(settings), stream.getvalue()):
        assert DB_PASSWORD not in text
        assert SIGNING_KEY not in text
        assert "smtp-pw-9" not in text
        assert "postgresql+psycopg://keel:" in text  # the rest of the URL is still useful
