# syntax=docker/dockerfile:1.7
#
# The back-office console's image (apps/console): the same two stages, pinned bases and
# non-root runtime as docker/Dockerfile, for an app with no database, gRPC or worker.
#   docker buildx build -f docker/console.Dockerfile -t keel-console .
# It runs `keel-console web` (gunicorn); the console talks to the platform's public API only.
#
# checkov:skip=CKV_DOCKER_2:Kubernetes liveness/readiness/startup probes replace HEALTHCHECK

FROM ghcr.io/astral-sh/uv:0.13.8 AS uv

# ---------------------------------------------------------------------------- build
FROM python:3.11.14-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY apps/console/pyproject.toml apps/console/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package keel-console

COPY libs/common/src libs/common/src
COPY apps/console/src apps/console/src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package keel-console \
 && python -m compileall -q libs/common/src apps/console

# -------------------------------------------------------------------------- runtime
FROM python:3.11.14-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="keel-console" \
      org.opencontainers.image.description="Keel back-office console (server-rendered, no script)" \
      org.opencontainers.image.licenses="Apache-2.0"

RUN python -m pip uninstall --yes --no-cache-dir pip setuptools wheel \
 && groupadd --system --gid 10001 keel \
 && useradd --system --uid 10001 --gid keel --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin keel

COPY --from=build /app /app

ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_PORT=8080

WORKDIR /app/apps/console
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["keel-console"]
CMD ["web"]
