#!/usr/bin/env bash
# make run needs nginx (the same gateway config the e2e tests and the ingress routes use).
set -euo pipefail
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx
  # Debian starts a system nginx on port 80; Keel runs its own instance under var/gateway.
  $SUDO service nginx stop >/dev/null 2>&1 || true
elif command -v brew >/dev/null 2>&1; then
  brew install nginx
else
  echo "please install nginx (https://nginx.org/en/linux_packages.html) and run make run again" >&2
  exit 1
fi
