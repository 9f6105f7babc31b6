"""The OpenSearch client for ``OPENSEARCH_URL``.

An Amazon OpenSearch Service domain (what Terraform provisions) allows no anonymous or
password access: every request is signed with AWS SigV4 by the search service's IAM role,
which reaches the pod through IRSA. botocore's default credential chain picks that role up
(``AWS_ROLE_ARN`` + ``AWS_WEB_IDENTITY_TOKEN_FILE``) and renews it; the region is part of
the endpoint's host name. Any other URL is used as is (``https://user:pass@host:9200``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import botocore.session
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth, Urllib3HttpConnection

# vpc-keel-production-abc123.eu-west-1.es.amazonaws.com; aoss = OpenSearch Serverless.
_AWS_HOST = re.compile(
    r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?P<service>es|aoss)\.amazonaws\.com$"
)


def aws_endpoint(url: str) -> tuple[str, str] | None:
    """``(region, service)`` when ``url`` is an Amazon OpenSearch endpoint, else ``None``."""
    host = urlsplit(url).hostname or ""
    match = _AWS_HOST.search(host)
    if match is None:
        return None
    return match["region"], match["service"]


def connect(url: str) -> OpenSearch:
    """A client for ``url``; opens no connection until the first request."""
    endpoint = aws_endpoint(url)
    if endpoint is None:
        return OpenSearch(url)
    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise RuntimeError(
            "OPENSEARCH_URL is an Amazon OpenSearch endpoint but no AWS credentials were found "
            "to sign requests with (IRSA: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)"
        )
    region, service = endpoint
    return OpenSearch(
        url,
        http_auth=Urllib3AWSV4SignerAuth(credentials, region, service),
        connection_class=Urllib3HttpConnection,
    )
