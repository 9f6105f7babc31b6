"""Build the service images with podman/buildah and run the platform's processes from them.

Every process is a container the way the chart runs it: host network (ports stay on
loopback), read-only root filesystem, the image's non-root user, every capability dropped,
a tmpfs at /tmp; against the real PostgreSQL and RabbitMQ and behind the real nginx gateway
(tests/e2e/platform.py, which starts the same platform from .venv for the e2e suite).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from keel_common.testing import free_port
from keel_common.testing.certificates import TestCertificateAuthority
from tests.e2e.platform import KINDS, Backends, Platform, service_env, start_gateway, wait_ready
from tests.e2e.servers import SERVICES

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "docker" / "podman" / "containers.conf"
ENV = dict(os.environ, CONTAINERS_CONF=str(CONF), BUILDAH_ISOLATION="chroot")
STOP_GRACE = 20


def podman(*args: str, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run(
        ["podman", *args], env=ENV, capture_output=True, text=True, timeout=timeout
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


@dataclass
class Build:
    image: str
    seconds: float
    output: str

    @property
    def size_mb(self) -> float:
        return int(podman("image", "inspect", "--format", "{{.Size}}", self.image)) / 1e6

    def cached_steps(self) -> list[str]:
        """The Dockerfile steps podman answered from its layer cache ("Using cache")."""
        steps = re.split(r"^(?=(?:\[\d+/\d+\] )?STEP \d+/\d+: )", self.output, flags=re.M)
        return [s.splitlines()[0] for s in steps if "--> Using cache" in s]


def build(
    service: str, context: Path = ROOT, tag: str = "test", dockerfile: str = "Dockerfile"
) -> Build:
    """``keel-<service>`` from ``docker/<dockerfile>`` (the console has its own)."""
    image = f"localhost/keel-{service}:{tag}"
    started = time.monotonic()
    done = subprocess.run(
        [
            "podman",
            "build",
            "--layers",
            "--file",
            str(context / "docker" / dockerfile),
            "--build-arg",
            f"SERVICE={service}",
            "--tag",
            image,
            str(context),
        ],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"building {image} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return Build(image, seconds, done.stdout + done.stderr)


def copy_context(destination: Path) -> Path:
    """The repository's tracked files (what a CI checkout holds), to build with changes."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in files.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


def smoke(image: str, service: str) -> subprocess.CompletedProcess[str]:
    """The image's smoke check: its entry point answers --help and its package imports."""
    probe = f"import keel_{service}.bootstrap; import keel_common"
    script = f"keel --help >/dev/null && python -c '{probe}'"
    return subprocess.run(
        ["podman", "run", "--rm", "--read-only", "--entrypoint", "sh", image, "-c", script],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_argv(name: str, image: str, env: dict[str, str], shared: Path, *args: str) -> list[str]:
    """`podman run` in the foreground: its exit status is the container's. ``shared`` holds
    the only writable paths besides /tmp: the delivery log and search's embedded index (the
    chart's volumes)."""
    argv = [
        "podman",
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
        "--cap-drop",
        "all",
        "--security-opt",
        "no-new-privileges",
        "--tmpfs",
        "/tmp",
        "--volume",
        f"{shared / 'outbox'}:/outbox",
        "--volume",
        f"{shared / 'search-index'}:/search-index",
        "--volume",
        f"{shared / 'certs'}:/certs:ro",
        "--stop-timeout",
        str(STOP_GRACE),
    ]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    return [*argv, image, *args]


def container_env(svc: str, ports: dict[str, dict[str, int]], backends: Backends) -> dict[str, str]:
    # Only the service's own settings: the host's environment stays out of the container.
    with mock.patch.dict(os.environ, {}, clear=True):
        env = service_env(svc, ports, backends, Path("/"))
    env["FILE_DELIVERY_DIR"] = "/outbox"
    env["PROMETHEUS_MULTIPROC_DIR"] = "/tmp/prometheus"
    env["SEARCH_INDEX_DIR"] = "/search-index"
    return env


def certificates(ca: TestCertificateAuthority, svc: str, workdir: Path) -> dict[str, str]:
    """The service's mTLS certificate, mounted read-only at /certs/<svc> like cert-manager's
    secret (readable by the image's user 10001: test keys only)."""
    directory = ca.issue(svc).write(workdir / "certs" / svc)
    for path in (workdir / "certs", directory, *directory.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return {
        "GRPC_TLS_CERT_FILE": f"/certs/{svc}/tls.crt",
        "GRPC_TLS_KEY_FILE": f"/certs/{svc}/tls.key",
        "GRPC_TLS_CA_FILE": f"/certs/{svc}/ca.crt",
    }


def start(
    workdir: Path,
    backends: Backends,
    images: dict[str, str],
    prefix: str,
    extra_env: dict[str, str] | None = None,
) -> Platform:
    """Migrate with `keel migrate` containers, then every process, then the gateway."""
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    for writable in ("outbox", "search-index"):
        (workdir / writable).mkdir()
        (workdir / writable).chmod(0o777)  # written by the image's user 10001
    ports = {s: {k: free_port() for k in KINDS} for s in SERVICES}
    ca = TestCertificateAuthority()
    env = {
        s: container_env(s, ports, backends) | certificates(ca, s, workdir) | (extra_env or {})
        for s in SERVICES
    }
    platform = Platform(f"http://127.0.0.1:{free_port()}", workdir, ports, env, ca)
    for svc in SERVICES:
        name = f"{prefix}-{svc}-migrate"
        done = subprocess.run(
            run_argv(name, images[svc], env[svc], workdir, "migrate"),
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    try:
        for svc in SERVICES:
            for kind in KINDS:
                name = f"{prefix}-{svc}-{kind}"
                platform.spawn(
                    f"{svc}-{kind}", run_argv(name, images[svc], env[svc], workdir, kind), ENV
                )
        start_gateway(platform, int(platform.base_url.rsplit(":", 1)[1]))
        wait_ready(platform, 600)
    except BaseException:
        stop(platform, prefix)
        raise
    return platform


def stop(platform: Platform, prefix: str) -> dict[str, int | None]:
    """`podman stop` every container (SIGTERM, then SIGKILL after the grace); exit codes."""
    names = [f"{prefix}-{p}" for p in platform.processes if p != "gateway"]
    podman("stop", "--ignore", "--time", str(STOP_GRACE), *names, check=False, timeout=120)
    codes: dict[str, int | None] = {}
    for process, proc in platform.processes.items():
        if process == "gateway":
            proc.terminate()
        try:
            codes[process] = proc.wait(STOP_GRACE + 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            codes[process] = None
    for log in platform._log_files:
        log.close()
    return codes
