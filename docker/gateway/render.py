"""Render the gateway's nginx.conf from nginx.conf.template (standard library only).

    python docker/gateway/render.py --listen 127.0.0.1:8080 --auth 127.0.0.1:8001 \
        --core 127.0.0.1:8002 --notification 127.0.0.1:8003 --search 127.0.0.1:8004 \
        --prefix DIR > DIR/nginx.conf
    nginx -p DIR -e DIR/logs/error.log -c DIR/nginx.conf

ROUTES is the gateway's routing table (docs/architecture.md); the Helm chart's ingress serves
the same paths (deploy/tests/test_gateway.py checks that the two agree).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import string
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
SERVICES = ("auth", "core", "notification", "search")

# Each path routes itself and everything under "<path>/" (the Kubernetes Ingress "Prefix"
# rule): /v1/products matches /v1/products/42 but never /v1/productsearch. A trailing "/" in
# the table changes nothing. Paths in EXACT route only themselves.
ROUTES: dict[str, tuple[str, ...]] = {
    "auth": ("/v1/auth/", "/.well-known/jwks.json", "/v1/admin/users", "/v1/admin/auth/"),
    "core": (
        "/v1/products",
        "/v1/orders",
        "/v1/app-version",
        "/v1/core/",
        "/v1/admin/products",
        "/v1/admin/orders",
        "/v1/admin/app-versions",
        "/v1/admin/audit",
    ),
    "notification": (
        "/v1/devices",
        "/v1/notifications",
        "/v1/admin/notifications",
        "/v1/admin/notification/",
        "/v1/notification/",
    ),
    "search": ("/v1/search/", "/v1/admin/search/"),
}
# The back-office console (apps/console): routed only when --console is given.
CONSOLE_ROUTES = ("/admin/",)
EXACT = frozenset({"/.well-known/jwks.json"})

PROBLEMS = {
    400: ("Bad Request", "The gateway could not read the request."),
    404: ("Not Found", "No route matches this path."),
    405: ("Method Not Allowed", "The gateway never forwards TRACE or unknown methods."),
    413: ("Content Too Large", "The request body is larger than 1 MiB."),
    414: ("URI Too Long", "The request line is longer than the gateway accepts."),
    429: ("Too Many Requests", "Too many requests from this address; retry later."),
    500: ("Internal Server Error", "The gateway failed to handle the request."),
    502: ("Bad Gateway", "The service behind this path is not answering."),
    503: ("Service Unavailable", "The service behind this path is unavailable."),
    504: ("Gateway Timeout", "The service behind this path took too long to answer."),
}


class _NginxTemplate(string.Template):
    # nginx uses $ for its own variables, so the template's placeholders are @{name}.
    delimiter = "@"


def upstream_block(service: str, addresses: str) -> str:
    """One upstream with a server per comma-separated address: while one instance stops,
    nginx retries an idempotent request whose connection it reset on another."""
    servers = "".join(
        f"        server {address.strip()} max_fails=0;\n" for address in addresses.split(",")
    )
    return (
        f"    upstream {service} {{\n"
        f"{servers}"
        f"        keepalive 16;\n"
        # Shorter than gunicorn's keepalive (5 s): nginx never reuses a connection the
        # service is closing for idleness.
        f"        keepalive_timeout 4s;\n"
        f"    }}"
    )


# The console's pages set their own Content-Security-Policy (its stylesheet, form-action
# 'self'); the API's no-referrer would make Chromium send ``Origin: null`` on the console's
# own form posts, which its CSRF check refuses. A location with its own add_header drops the
# server's, so the others are repeated here.
# The console's own copies are hidden so that each header is sent once.
CONSOLE_HEADERS = (
    "proxy_hide_header Referrer-Policy; "
    "proxy_hide_header X-Content-Type-Options; "
    "add_header X-Request-ID $keel_request_id always; "
    "add_header X-Content-Type-Options nosniff always; "
    "add_header Referrer-Policy same-origin always; "
)


def location_blocks(service: str, path: str) -> list[str]:
    proxy = f"proxy_pass http://{service};"
    if service == "console":
        proxy = CONSOLE_HEADERS + proxy
    if path in EXACT:
        return [f"        location = {path} {{ {proxy} }}"]
    base = path.rstrip("/")
    return [
        f"        location = {base} {{ {proxy} }}",
        f"        location {base}/ {{ {proxy} }}",
    ]


# nginx refuses TRACE itself, before routing; RFC 9110 wants an Allow header on a 405.
ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


def problem_block(status: int, title: str, detail: str) -> str:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    # The request id goes into the body as an nginx variable, so it is spliced in after dumping.
    text = json.dumps(body)[:-1] + ', "request_id": "$keel_request_id"}'
    return (
        f"        location = /_problem/{status} {{\n"
        f"            internal;\n"
        f"            types {{ }}\n"
        f"            default_type application/problem+json;\n"
        + (
            # add_header here replaces the server's, so the request id is added again.
            f'            add_header Allow "{ALLOW}" always;\n'
            f"            add_header X-Request-ID $keel_request_id always;\n"
            if status == 405
            else ""
        )
        + f"            return {status} '{text}';\n"
        f"        }}"
    )


def media_block(media_dir: str) -> str:
    """Product images (#18): processed files of core's local object store, read-only, and a
    body limit for direct uploads to it (core checks the signed size; S3 in production)."""
    images = Path(media_dir).resolve() / "images"
    return (
        "        location /media/images/ {\n"
        f"            alias {images}/;\n"
        "            types { image/jpeg jpg; image/png png; }\n"
        "            default_type application/octet-stream;\n"
        '            add_header X-Content-Type-Options "nosniff" always;\n'
        '            add_header Cache-Control "public, max-age=31536000, immutable";\n'
        "        }\n"
        "        location /v1/core/uploads/ {\n"
        "            client_max_body_size 11m;\n"
        "            proxy_request_buffering off;\n"
        "            proxy_pass http://core;\n"
        "        }"
    )


def render(args: argparse.Namespace) -> str:
    prefix = str(Path(args.prefix).resolve())
    upstreams = "\n".join(upstream_block(s, getattr(args, s)) for s in SERVICES)
    routes = "\n".join(
        block for s in SERVICES for path in ROUTES[s] for block in location_blocks(s, path)
    )
    if args.console:
        upstreams += "\n" + upstream_block("console", args.console)
        routes += "\n" + "\n".join(
            block for path in CONSOLE_ROUTES for block in location_blocks("console", path)
        )
    problems = "\n".join(problem_block(code, *text) for code, text in PROBLEMS.items())
    return _NginxTemplate(TEMPLATE.read_text()).substitute(
        daemon="" if args.daemon else "daemon off;",
        workers=args.workers,
        prefix=prefix,
        access_log=args.access_log or f"{prefix}/logs/access.log",
        listen=args.listen,
        rate=args.rate,
        # nginx refuses burst=0; no burst at all means the same.
        burst=f"burst={args.burst} nodelay" if args.burst else "nodelay",
        connections=args.connections,
        worker_connections=args.worker_connections,
        nofile=args.worker_connections * 2 + 64,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        backlog=args.backlog,
        upstreams=upstreams,
        problems=problems,
        routes=routes,
        media=media_block(args.media),
    )


def make_dirs(prefix: Path) -> None:
    """nginx creates its temp folders but not their parents; logs/ must exist too."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and (closed := unreachable(prefix)):
        print(
            f"warning: {closed} is closed to other users; nginx started as root runs its "
            "workers as nobody, which then cannot write request bodies over 16 KiB to "
            f"{prefix / 'tmp'} and answers them 500. Use a prefix every user can enter.",
            file=sys.stderr,
        )


def unreachable(prefix: Path) -> Path | None:
    """The first folder on the way to ``prefix`` that other users may not enter."""
    for folder in reversed([prefix.resolve(), *prefix.resolve().parents]):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:8080", help="address:port to serve on")
    for service in SERVICES:
        parser.add_argument(
            f"--{service}", required=True, help=f"{service} HTTP host:port[,host:port...]"
        )
    parser.add_argument("--console", help="back-office console HTTP host:port (routes /admin/)")
    parser.add_argument("--prefix", required=True, help="folder for pid, logs and temp files")
    parser.add_argument("--access-log", help="access log path (default PREFIX/logs/access.log)")
    parser.add_argument("--media", default="var/media", help="core's local object store folder")
    parser.add_argument("--daemon", action="store_true", help="let nginx fork to background")
    parser.add_argument(
        "--workers", default="auto", help="worker_processes (a number, or auto: one per core)"
    )
    parser.add_argument(
        "--worker-connections", type=int, default=8192, help="connections per worker process"
    )
    parser.add_argument("--backlog", type=int, default=4096, help="listen queue length")
    parser.add_argument(
        "--header-timeout", type=int, default=10, help="seconds to wait for the request headers"
    )
    parser.add_argument(
        "--body-timeout", type=int, default=10, help="seconds between two reads of the body"
    )
    parser.add_argument("--rate", type=int, default=20, help="requests per second per client IP")
    parser.add_argument("--burst", type=int, default=40, help="requests over the rate let through")
    parser.add_argument("--connections", type=int, default=50, help="open connections per IP")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    make_dirs(Path(args.prefix))
    sys.stdout.write(render(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
