"""The baseline: hello-world Flask, served by the same gunicorn configuration as every service
(``keel_common.http.gunicorn_conf``: gthread, same workers and threads)."""

from __future__ import annotations

from flask import Flask, jsonify

from keel_common.settings import ServiceSettings

FACTORY = "hello:create_app()"


def create_app() -> Flask:
    app = Flask("hello")
    app.add_url_rule("/hello", "hello", lambda: jsonify(hello="world"))
    return app


def settings() -> ServiceSettings:
    return ServiceSettings(service_name="hello", log_level="WARNING")


if __name__ == "__main__":
    from keel_common.http.server import serve

    serve(FACTORY, settings())
