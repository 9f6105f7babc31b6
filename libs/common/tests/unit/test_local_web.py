"""``keel-local web``: one gunicorn, each port one service's app, its log lines named so."""

from __future__ import annotations

from typing import Any

from keel_common.local_web import PortDispatcher
from keel_common.logging import current_service


def app_of(name: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [f"{name} as {current_service.get()}".encode()]

    return app


def test_a_request_reaches_the_app_of_its_port_and_logs_as_that_service() -> None:
    dispatcher = PortDispatcher(
        {8001: ("auth", app_of("auth")), 8004: ("search", app_of("search"))}
    )

    def call(port: int) -> bytes:
        return b"".join(dispatcher({"SERVER_PORT": str(port)}, lambda *_: None))

    assert call(8004) == b"search as search"
    assert call(8001) == b"auth as auth"
    assert current_service.get() is None  # reset after the request
