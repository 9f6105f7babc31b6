"""One encoding for every provider: a URL, one list per channel, comma-separated.

    EMAIL_PROVIDERS=smtp+starttls://user:pass@smtp.example.com:587,smtps://...
    SMS_PROVIDERS=twilio://SID:TOKEN@api.twilio.com?tx=%2B15550100&promo=MG...,file://var/outbox/sms
    PUSH_PROVIDERS=apns://KEY_ID:PEM@api.push.apple.com?team=TEAM&topic=app.bundle,fcm://...

Each adapter reads its own scheme (``SmtpEmailProvider.from_url``, ``TwilioSmsProvider.from_url``,
...). User, password and parameters are percent-decoded, so a secret holding a comma is
written ``%2C`` and one holding ``@`` or ``:`` is written ``%40`` or ``%3A``; ``+`` stays a
plus (``tx=+15550100`` works). Errors never repeat a URL: it may hold a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class ProviderUrl:
    scheme: str
    host: str
    port: int | None
    path: str
    #: ``host[:port]`` as written (case kept), for schemes whose "host" is not one.
    netloc: str = ""
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    params: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, url: str) -> ProviderUrl:
        """Raises ``ValueError`` naming what is wrong, never the URL itself."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"{parts.scheme}: the port is not a number") from None
        params: dict[str, str] = {}
        for pair in filter(None, parts.query.split("&")):
            name, _, value = pair.partition("=")
            params[unquote(name)] = unquote(value)
        return cls(
            scheme=parts.scheme.lower(),
            host=parts.hostname or "",
            port=port,
            path=parts.path,
            netloc=parts.netloc.rpartition("@")[2],
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            params=params,
        )

    def require(self, *names: str) -> None:
        missing = [name for name in names if not self.params.get(name)]
        if missing:
            raise ValueError(f"{self.scheme}: needs {', '.join(f'{n}=' for n in missing)}")

    def base_url(self, default_port: int | None = None, *, tls: bool = True) -> str:
        """``https://host[:port][/path]`` (``http://`` when ``tls`` is false)."""
        if not self.host:
            raise ValueError(f"{self.scheme}: needs a host")
        port = self.port or default_port
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        netloc += f":{port}" if port else ""
        return f"{'https' if tls else 'http'}://{netloc}{self.path.rstrip('/')}"


def file_directory(url: ProviderUrl) -> Path:
    """``file://var/outbox/sms`` is the relative folder ``var/outbox/sms``;
    ``file:///srv/outbox/sms`` an absolute one."""
    directory = unquote(url.netloc + url.path)
    if not directory:
        raise ValueError("file: needs a folder, e.g. file://var/outbox/email")
    return Path(directory)
