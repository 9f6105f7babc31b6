from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from keel_common.db import create_engine, make_session_factory
from keel_common.testing.plugin import upgrade_from_template
from keel_notification.adapters.orm import start_mappers
from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork
from keel_notification.testing.apns_server import ApnsTestServer, apns_signing_key
from keel_notification.testing.asgi import AsgiServer
from keel_notification.testing.fcm_server import FcmTestServer
from keel_notification.testing.sms_server import SmsTestServer
from keel_notification.testing.tls import TlsFiles, self_signed

TEAM_ID, KEY_ID, TOPIC = "TEAM123456", "KEY1234567", "dev.keel.app"
ACCOUNT_SID, AUTH_TOKEN = "AC" + "0" * 32, "twilio-auth-token"
TRANSACTIONAL_FROM, PROMOTIONAL_SERVICE = "+15550100", "MG" + "1" * 32


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> TlsFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


@dataclass
class Apns:
    server: ApnsTestServer
    url: str
    private_key: str
    team_id: str = TEAM_ID
    key_id: str = KEY_ID
    topic: str = TOPIC

    @property
    def provider_url(self) -> str:
        """This stand-in as ``PUSH_PROVIDERS`` names it."""
        host, key = urlsplit(self.url).netloc, quote(self.private_key, safe="")
        return f"apns://{self.key_id}:{key}@{host}?team={self.team_id}&topic={self.topic}"


@pytest.fixture
def apns(tls) -> Iterator[Apns]:
    private_key, public_key = apns_signing_key()
    app = ApnsTestServer(team_id=TEAM_ID, key_id=KEY_ID, public_key=public_key, topic=TOPIC)
    with AsgiServer(app, tls) as url:
        yield Apns(app, url, private_key)


@dataclass
class Fcm:
    server: FcmTestServer
    url: str
    account: dict

    @property
    def provider_url(self) -> str:
        """This stand-in as ``PUSH_PROVIDERS`` names it."""
        key = quote(json.dumps(self.account), safe="")
        return f"fcm://:{key}@{urlsplit(self.url).netloc}"


@pytest.fixture
def fcm(tls) -> Iterator[Fcm]:
    app = FcmTestServer()
    server = AsgiServer(app, tls)
    with server as url:
        yield Fcm(app, url, app.service_account(url))


@dataclass
class Sms:
    server: SmsTestServer
    url: str
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    transactional_from: str = TRANSACTIONAL_FROM
    promotional_service: str = PROMOTIONAL_SERVICE

    def provider_url(self, url: str | None = None) -> str:
        """This account on this stand-in (or on ``url``) as ``SMS_PROVIDERS`` names it."""
        host = urlsplit(url or self.url).netloc
        senders = f"tx={self.transactional_from}&promo={self.promotional_service}"
        return f"twilio+http://{self.account_sid}:{self.auth_token}@{host}?{senders}"


@pytest.fixture
def sms() -> Iterator[Sms]:
    app = SmsTestServer(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        senders={TRANSACTIONAL_FROM},
        services={PROMOTIONAL_SERVICE},
    )
    with AsgiServer(app, None) as url:
        yield Sms(app, url)


MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def engine(database_url):
    upgrade_from_template(database_url, MIGRATIONS)
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sql_uow(engine) -> SqlAlchemyUnitOfWork:
    start_mappers()
    return SqlAlchemyUnitOfWork(make_session_factory(engine))
