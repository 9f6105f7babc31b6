#!/usr/bin/env bash
# What `make test` needs beyond the Python workspace, installed on a fresh machine (CI runs
# on a fresh clone): nginx (gateway), promtool (alert rules), podman/buildah/debootstrap (the
# image tests build and run the images), chromium (browser tests). Each is installed only when
# missing, so a prepared machine pays one `command -v` per tool.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || need+=(runc)
command -v fuse-overlayfs >/dev/null 2>&1 || need+=(fuse-overlayfs)
command -v newuidmap >/dev/null 2>&1 || need+=(uidmap)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "please install: ${need[*]} (make test needs them)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's packages start system daemons Keel does not use; stop them so ports stay free.
$SUDO service nginx stop >/dev/null 2>&1 || true
$SUDO service prometheus stop >/dev/null 2>&1 || true
