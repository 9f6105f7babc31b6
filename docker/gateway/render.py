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
import string
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
SERVICES = ("auth", "core", "notification", "search")

# Each path routes itself and everything under "<path>/" (the Kubernetes Ingress "Prefix"
# rule): /v1/products matches /v1/products/42 but never /v1/productsearch. A trailing "/" in
# the table changes nothing. Paths in EXACT route only themselves.
ROUTES: dict[str, tuple[str, ...]] = {
    "auth": ("/v1/auth/", "/.well-known/jwks.json"),
    "core": (
        "/v1/products",
        "/v1/orders",
        "/v1/app-version",
        "/v1/core/",
        "/v1/admin/products",
        "/v1/admin/orders",
        "/v1/admin/app-versions",
    ),
    "notification": (
        "/v1/devices",
        "/v1/notifications",
        "/v1/admin/notifications",
        "/v1/notification/",
    ),
    "search": ("/v1/search/", "/v1/admin/search/"),
}
# The back-office console (apps/console): routed only when --console is given.
CONSOLE_ROUTES = ("/admin/",)
EXACT = frozenset({"/.well-known/jwks.json"})

PROBLEMS = {
    404: ("Not Found", "No route matches this path."),
    413: ("Content Too Large", "The request body is larger than 1 MiB."),
    429: ("Too Many Requests", "Too many requests from this address; retry later."),
    500: ("Internal Server Error", "The gateway failed to handle the request."),
    502: ("Bad Gateway", "The service behind this path is not answering."),
    503: ("Service Unavailable", "The service behind this path is unavailable."),
    504: ("Gateway Timeout", "The service behind this path took too long to answer."),
}


class _NginxTemplate(string.Template):
    # nginx uses $ for its own variables, so the template's placeholders are @{name}.
    delimiter = "@"


def upstream_block(service: str, address: str) -> str:
    return (
        f"    upstream {service} {{\n"
        f"        server {address} max_fails=0;\n"
        f"        keepalive 16;\n"
        f"    }}"
    )


def location_blocks(service: str, path: str) -> list[str]:
    proxy = f"proxy_pass http://{service};"
    if path in EXACT:
        return [f"        location = {path} {{ {proxy} }}"]
    base = path.rstrip("/")
    return [
        f"        location = {base} {{ {proxy} }}",
        f"        location {base}/ {{ {proxy} }}",
    ]


def problem_block(status: int, title: str, detail: str) -> str:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    # The request id goes into the body as an nginx variable, so it is spliced in after dumping.
    text = json.dumps(body)[:-1] + ', "request_id": "$keel_request_id"}'
    return (
        f"        location = /_problem/{status} {{\n"
        f"            internal;\n"
        f"            types {{ }}\n"
        f"            default_type application/problem+json;\n"
        f"            return {status} '{text}';\n"
        f"        }}"
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
        upstreams=upstreams,
        problems=problems,
        routes=routes,
    )


def make_dirs(prefix: Path) -> None:
    """nginx creates its temp folders but not their parents; logs/ must exist too."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:8080", help="address:port to serve on")
    for service in SERVICES:
        parser.add_argument(f"--{service}", required=True, help=f"{service} HTTP host:port")
    parser.add_argument("--console", help="back-office console HTTP host:port (routes /admin/)")
    parser.add_argument("--prefix", required=True, help="folder for pid, logs and temp files")
    parser.add_argument("--access-log", help="access log path (default PREFIX/logs/access.log)")
    parser.add_argument("--daemon", action="store_true", help="let nginx fork to background")
    parser.add_argument("--workers", default="1", help="worker_processes (a number or auto)")
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
