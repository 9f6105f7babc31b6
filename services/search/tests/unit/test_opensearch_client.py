"""Which OpenSearch a URL names, and how requests to it are authenticated; and the settings
that choose the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from keel_common.settings import ConfigError, load_settings
from keel_search.adapters.opensearch_client import aws_endpoint, connect
from keel_search.config import SearchSettings

AWS_URL = "https://vpc-keel-production-abc123.eu-west-1.es.amazonaws.com"


@pytest.fixture
def no_aws_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """botocore sees only the environment given by the test: no files, no metadata service."""
    for name in ("AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (AWS_URL, ("eu-west-1", "es")),
        ("https://search-keel-x.us-gov-west-1.es.amazonaws.com:443", ("us-gov-west-1", "es")),
        ("https://abc.eu-central-1.aoss.amazonaws.com", ("eu-central-1", "aoss")),
        ("http://127.0.0.1:9200", None),
        ("https://admin:secret@opensearch.internal:9200", None),
        ("https://x.eu-west-1.es.amazonaws.com.example.org", None),
    ],
)
def test_amazon_endpoints_are_recognised_with_their_region(
    url: str, expected: tuple[str, str] | None
) -> None:
    assert aws_endpoint(url) == expected


def test_requests_to_amazon_opensearch_are_signed_for_its_region(
    no_aws_profile: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    connection = connect(AWS_URL).transport.connection_pool.connection
    headers = connection.http_auth("GET", f"{AWS_URL}/keel-products/_search", None, {})
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/es/aws4_request" in headers["Authorization"]


def test_amazon_opensearch_without_credentials_fails_at_start(no_aws_profile: None) -> None:
    with pytest.raises(RuntimeError, match="no AWS credentials"):
        connect(AWS_URL)


def test_other_servers_get_the_url_as_given() -> None:
    connection = connect("https://admin:s3cret@opensearch.internal:9200").transport.connection_pool
    assert connection.connection.host == "https://opensearch.internal:9200"
    assert connection.connection.headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("values", "engine"),
    [
        ({}, "embedded"),
        ({"opensearch_url": AWS_URL}, "opensearch"),  # what Terraform gives Helm
        ({"opensearch_url": AWS_URL, "search_engine": "embedded"}, "embedded"),
    ],
)
def test_the_engine_follows_opensearch_url_unless_named(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], engine: str
) -> None:
    for name in ("SEARCH_ENGINE", "OPENSEARCH_URL", "OPENSEARCH_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings(SearchSettings, **values).search_engine == engine


def test_opensearch_needs_its_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENSEARCH_URL", "OPENSEARCH_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as error:
        load_settings(SearchSettings, search_engine="opensearch")
    assert "required when SEARCH_ENGINE=opensearch" in error.value.problems["OPENSEARCH_URL"]
