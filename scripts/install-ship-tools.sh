#!/usr/bin/env bash
# The shipping tests' tools, from PyPI only, each in var/ and made once:
#   var/compose-schema/compose_spec.json  the Compose Specification's JSON schema, as shipped
#                                          in the PyPI docker-compose 1.29.2 wheel
#   var/bugsink-venv                       Bugsink (a Django app with its own pins) + gunicorn
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo "$HOME/.local/bin/uv")}
BUGSINK_VERSION=${BUGSINK_VERSION:-2.6.2}
COMPOSE_WHEEL_VERSION=1.29.2

schema=var/compose-schema/compose_spec.json
if [ ! -s "$schema" ]; then
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$tmp" \
    "docker-compose==$COMPOSE_WHEEL_VERSION" 2>/dev/null
  mkdir -p "$(dirname "$schema")"
  python3 - "$tmp"/docker_compose-*.whl "$schema" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    open(sys.argv[2], "wb").write(wheel.read("compose/config/compose_spec.json"))
PY
  rm -rf "$tmp"
fi

venv=var/bugsink-venv
if [ ! -e "$venv/.bugsink-$BUGSINK_VERSION" ]; then
  rm -rf "$venv"
  "$UV" venv --quiet --python 3.11 "$venv"
  "$UV" pip install --quiet --compile-bytecode --python "$venv/bin/python" "bugsink==$BUGSINK_VERSION" gunicorn
  touch "$venv/.bugsink-$BUGSINK_VERSION"
fi
