#!/usr/bin/env bash
# bench/http/run.py drives the services with wrk (a C load generator: the client must not be
# the bottleneck it measures). Debian/Ubuntu package it; macOS has it in Homebrew.
set -euo pipefail
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
elif command -v brew >/dev/null 2>&1; then
  brew install wrk
else
  echo "please install wrk (https://github.com/wg/wrk); bench/http falls back to a Python client" >&2
  exit 1
fi
