#!/usr/bin/env bash
# Build stand-in base images under the exact names docker/Dockerfile uses, from Debian's own
# packages: no container registry is reachable on these machines. CI on GitLab pulls the real
# python:3.11.14-slim-bookworm and ghcr.io/astral-sh/uv images instead.
#   python stand-in: debootstrap --variant=minbase bookworm + Debian's python3.11, with
#                    /usr/local/bin/python3.11 and pip where the official image has them.
#   uv stand-in:     the uv binary from the PyPI `uv` wheel, in an image FROM scratch.
# The debootstrap root filesystem is cached as var/container-base/bookworm-python.tar.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/docker/podman/containers.conf}"

PYTHON_IMAGE=$(sed -n 's/^FROM \(python:[^ ]*\) AS build$/\1/p' docker/Dockerfile)
UV_IMAGE=$(sed -n 's/^FROM \(ghcr.io\/astral-sh\/uv:[^ ]*\) AS uv$/\1/p' docker/Dockerfile)
UV_VERSION=${UV_IMAGE##*:}
CACHE=var/container-base
ROOTFS_TAR=$CACHE/bookworm-python.tar
mkdir -p "$CACHE"

MINBASE_TAR=$CACHE/bookworm-minbase.tar

debootstrap_minbase() {
  echo "debootstrap --variant=minbase bookworm (cached afterwards in $MINBASE_TAR)"
  debootstrap --variant=minbase \
    --include=python3.11,python3.11-venv,python3-distutils,python3-lib2to3,python3-pip-whl,python3-setuptools-whl,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  tar --numeric-owner -C "$root" -cf "$MINBASE_TAR.tmp" . && mv "$MINBASE_TAR.tmp" "$MINBASE_TAR"
}

build_rootfs() {
  root=$(mktemp -d /tmp/keel-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  if [ -s "$MINBASE_TAR" ]; then tar --numeric-owner -C "$root" -xf "$MINBASE_TAR"; else debootstrap_minbase; fi
  # Where the official image has them: python at /usr/local/bin, pip/setuptools installed
  # with pip (the Dockerfile uninstalls them), no "externally managed" marker. Debian disables
  # ensurepip for its python; pip installs itself from Debian's wheel instead.
  # The build machine's own extra CAs (an egress proxy's, say): builds inside the stand-in
  # reach PyPI the way the host does. Real bases on GitLab need none of this.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  fi
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$(command -v chroot)" "$root" /bin/sh -euc '
    update-ca-certificates >/dev/null
    ln -sf /usr/bin/python3.11 /usr/local/bin/python3.11
    ln -sf /usr/bin/python3.11 /usr/local/bin/python3
    ln -sf /usr/bin/python3.11 /usr/local/bin/python
    rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
    python3.11 "$(ls /usr/share/python-wheels/pip-*.whl)/pip" install --quiet \
      --no-warn-script-location --root-user-action=ignore --no-index \
      --find-links /usr/share/python-wheels pip setuptools
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /root/.cache'
  tar --numeric-owner -C "$root" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
}

if ! podman image exists "$PYTHON_IMAGE"; then
  [ -s "$ROOTFS_TAR" ] || build_rootfs
  podman import --quiet --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' "$ROOTFS_TAR" "$PYTHON_IMAGE" >/dev/null
  echo "stand-in $PYTHON_IMAGE imported"
fi

if ! podman image exists "$UV_IMAGE"; then
  wheel_dir=$CACHE/uv-$UV_VERSION
  if [ ! -x "$wheel_dir/uv" ]; then
    rm -rf "$wheel_dir.tmp" && mkdir -p "$wheel_dir.tmp"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$wheel_dir.tmp" \
      --platform manylinux_2_17_x86_64 "uv==$UV_VERSION"
    python3 -m zipfile -e "$wheel_dir.tmp"/uv-*.whl "$wheel_dir.tmp/x"
    mkdir -p "$wheel_dir"
    install -m 0755 "$wheel_dir.tmp"/x/uv-*.data/scripts/uv "$wheel_dir/uv"
    install -m 0755 "$wheel_dir.tmp"/x/uv-*.data/scripts/uvx "$wheel_dir/uvx"
    rm -rf "$wheel_dir.tmp"
  fi
  ctr=$(buildah from scratch)
  buildah copy --quiet "$ctr" "$wheel_dir/uv" "$wheel_dir/uvx" / >/dev/null
  buildah config --entrypoint '["/uv"]' "$ctr"
  buildah commit --quiet --rm "$ctr" "$UV_IMAGE" >/dev/null
  echo "stand-in $UV_IMAGE built from the PyPI uv $UV_VERSION wheel"
fi
