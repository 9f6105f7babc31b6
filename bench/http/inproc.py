"""In-process CPU per request against hello-world Flask, for a loaded machine.

    uv run python bench/http/inproc.py                  # 100k-product index, 2,000 calls each
    uv run python bench/http/inproc.py --calls 500 --products 20000

wrk's figures move with every other process on the machine; CPU time spent by this process
does not (much). Each WSGI app (hello-world, search on a 100k-product embedded index, auth
on SQLite) is called directly in a loop with the same prepared environ, and
``time.process_time`` (every thread of the process) is divided by the calls, in rounds that
alternate with hello-world's (printed per row). The ratio is hello-world's CPU per request
over the call's: the same meaning as ``run.py``'s req/s ratio
when the CPU is the bottleneck, without gunicorn's share (the same for every app, so these
ratios are lower than through gunicorn). Access log lines are written (to /dev/null), as
in a real process at LOG_LEVEL=INFO. Search rows come twice: ``[cache on]`` (the default;
a repeated call is answered by the result cache) and ``[cache off]`` (SEARCH_CACHE_ENTRIES=0).
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from keel_common.logging import configure_logging

sys.path.insert(0, str(Path(__file__).resolve().parent))

import platform_ as keel
import run as http_run

WsgiApp = Callable[..., Any]
SEARCHES = ("wireless headph", "lamp", "lamp ", "black ", "")
NAME = 58  # the call column's width


def caller(app: WsgiApp, path: str, headers: dict[str, str]) -> Callable[[], str]:
    """One request to ``app`` per call, answering its status line."""
    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    status: list[str] = []

    def start_response(code: str, _headers: Any, _exc: Any = None) -> None:
        status.append(code)

    def once() -> str:
        body = app(environ | {"wsgi.input": io.BytesIO()}, start_response)
        for _ in body:
            pass
        getattr(body, "close", lambda: None)()
        return status.pop()

    return once


def cpu_ms(once: Callable[[], str], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        once()
    return (time.process_time() - started) * 1000 / calls


def measure(hello: Callable[[], str], once: Callable[[], str], calls: int) -> tuple[float, float]:
    """CPU ms per request of ``once`` and of hello-world, in alternating rounds, so a change
    in the machine's load weighs on both alike; fails on a non-2xx answer."""
    for _ in range(max(20, calls // 10)):
        if not (code := once()).startswith("2"):
            raise RuntimeError(f"answered {code}")
        hello()
    rounds, ours, baseline = 5, 0.0, 0.0
    for _ in range(rounds):
        baseline += cpu_ms(hello, calls // rounds) / rounds
        ours += cpu_ms(once, calls // rounds) / rounds
    return ours, baseline


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def migrated(service: str, workdir: Path, env: dict[str, str]) -> None:
    done = subprocess.run([keel.BIN / f"keel-{service}", "migrate"], env=os.environ | env,
                          cwd=workdir, capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"keel-{service} migrate: {done.stderr[-2000:]}")


def service_env(service: str, workdir: Path) -> dict[str, str]:
    return {
        "ENVIRONMENT": "development", "DISCOVERY": "static", "LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite:///{workdir / 'var' / service}.db",
        "BROKER_URL": f"sqla+sqlite:///{workdir / 'var' / 'broker.db'}",
        "SEARCH_INDEX_DIR": str(workdir / "var" / "search-index"),
        "JWKS_URL": "http://127.0.0.1:1/.well-known/jwks.json",
    }  # fmt: skip


def search_app(workdir: Path, settings: dict[str, str] | None = None) -> WsgiApp:
    from keel_search.entrypoints.flask_app import create_app

    env = service_env("search", workdir) | (settings or {})
    migrated("search", workdir, env)
    with environment(env):
        return create_app()


def auth_app(workdir: Path) -> tuple[WsgiApp, dict[str, str]]:
    """The auth app and the headers of a signed-in user."""
    from keel_auth.entrypoints.flask_app import create_app

    env = service_env("auth", workdir) | {"ARGON2_MEMORY_KIB": "7168", "ARGON2_TIME_COST": "1"}
    migrated("auth", workdir, env)
    with environment(env):
        app = create_app()
    client = app.test_client()
    credentials = {"email": "bench@example.com", "password": "a-long-bench-password-1"}
    for path in ("/v1/auth/signup", "/v1/auth/login"):
        answer = client.post(path, json=credentials, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        if answer.status_code >= 300:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.get_data(as_text=True)}")
        if path.endswith("signup"):  # as if the emailed link had been followed
            with sqlite3.connect(workdir / "var" / "auth.db") as db:
                db.execute("UPDATE users SET email_verified = 1")
    login = answer
    return app, {"Authorization": f"Bearer {login.get_json()['access_token']}"}


PRODUCT = {"title": "Walnut desk", "description": "Solid walnut", "price_cents": 45_000,
           "currency": "EUR", "category": "furniture", "stock": 10**9}  # fmt: skip


def core_app(workdir: Path) -> tuple[WsgiApp, str]:
    """The core app on the embedded default (SQLite, its product cache a file beside it) and
    the id of the newest of 25 products, listed as ``run.py``'s seed lists them (through the
    use case: the app checks tokens against an auth this bench does not run)."""
    from keel_core.domain.actors import Actor
    from keel_core.domain.commands import CreateProduct
    from keel_core.entrypoints.flask_app import create_app
    from keel_core.service_layer import products

    env = service_env("core", workdir)
    migrated("core", workdir, env)
    with environment(env):
        app = create_app()
    core = app.extensions["keel_core"]
    seller = Actor(uuid.uuid4())
    for n in range(25):
        made = products.create_product(
            core.uow(), seller, CreateProduct(PRODUCT | {"title": f"Desk {n}"})
        )
    return app, str(made.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--products", type=int, default=100_000, help="search index size")
    args = parser.parse_args()
    out = os.fdopen(os.dup(1), "w", buffering=1)
    print(f"machine: {http_run.machine()}", file=out)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)
    print(f"calls: {args.calls} per row, in-process WSGI, CPU of this process", file=out)
    with tempfile.TemporaryDirectory(prefix="bench-inproc-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        seconds = keel.build_search_index(workdir, args.products)
        print(f"search index: {args.products} products, built in {seconds:.0f} s", file=out)
        os.chdir(workdir)  # var/ paths (revocations, rate limits) land in the scratch dir
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # access log lines: written, not shown
        # As ``keel-<svc> web`` does: without it the root logger's WARNING level drops every
        # access line before it is made, and each row leaves out its cost.
        configure_logging("bench", "INFO")
        import hello

        rows: list[tuple[str, WsgiApp, str, dict[str, str]]] = []
        # The same call repeated: after the first, the result cache answers ([cache on], the
        # default); the engine's own cost is the [cache off] app's (SEARCH_CACHE_ENTRIES=0).
        search = search_app(workdir)
        uncached = search_app(workdir, {"SEARCH_CACHE_ENTRIES": "0"})
        for label, app in (("cache on", search), ("cache off", uncached)):
            for text in SEARCHES:
                rows.append((f"GET /v1/search/products?q={text!r} [{label}]", app,
                             f"/v1/search/products?q={text}", {}))  # fmt: skip
        auth, headers = auth_app(workdir)
        rows.append(("GET /v1/auth/me", auth, "/v1/auth/me", headers))
        # Cache hits after the first call, as in run.py's wrk runs of the same two reads.
        core, product_id = core_app(workdir)
        rows.append(("GET /v1/products/{id}", core, f"/v1/products/{product_id}", {}))
        rows.append(("GET /v1/products?limit=20", core, "/v1/products?limit=20", {}))
        hello_call = caller(hello.create_app(), "/hello", {})
        print(f"\n  {'call':<{NAME}} {'ms CPU':>7}  {'hello':>7}  ratio", file=out)
        for name, app, path, call_headers in rows:
            ms, baseline = measure(hello_call, caller(app, path, call_headers), args.calls)
            ratio = baseline / ms
            print(f"  {name:<{NAME}} {ms:>7.3f}  {baseline:>7.3f}  {ratio:>5.2f}x", file=out)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)


if __name__ == "__main__":
    main()
