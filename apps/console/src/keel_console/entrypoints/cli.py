"""``keel-console web``: serve the console under gunicorn (``keel_common.http.serve``)."""

from __future__ import annotations

import argparse

from keel_common.http import serve
from keel_console.config import load_console_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="keel-console", description=__doc__)
    parser.add_argument("command", choices=["web"], help="serve the console over HTTP")
    parser.parse_args(argv)
    serve("keel_console.entrypoints.flask_app:create_app()", load_console_settings())
