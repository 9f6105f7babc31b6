"""The image tests catch a broken image: a Dockerfile whose COPY misses a path or leaves the
service's package out fails its build or its smoke check (#17). Each variant rebuilds one
image from the warm layer cache of the ``images`` fixture, so only the changed steps run."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import podman

CODE_COPY = "COPY services/${SERVICE}/src services/${SERVICE}/src\n"
BROKEN = {
    "a COPY of a path that does not exist": CODE_COPY + "COPY services/${SERVICE}/no-such-dir /x\n",
    "a COPY that leaves out the package": "",
    "a COPY of the package to the wrong place": "COPY services/${SERVICE}/src /app/misplaced\n",
}


def test_the_smoke_check_passes_on_the_real_images(images: dict[str, podman.Build]) -> None:
    for svc, built in images.items():
        checked = podman.smoke(built.image, svc)
        assert checked.returncode == 0, (svc, checked.stdout, checked.stderr)


@pytest.mark.parametrize("replacement", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_copy_fails_the_build_or_the_smoke_check(
    images: dict[str, podman.Build], tmp_path: Path, replacement: str
) -> None:
    context = podman.copy_context(tmp_path / "context")
    dockerfile = context / "docker" / "Dockerfile"
    text = dockerfile.read_text()
    assert CODE_COPY in text, "the Dockerfile's code COPY changed: update this test"
    dockerfile.write_text(text.replace(CODE_COPY, replacement))
    try:
        built = podman.build("search", context, tag="broken")
    except RuntimeError:
        return  # the build refused it
    try:
        assert podman.smoke(built.image, "search").returncode != 0, "a broken image passed"
    finally:
        podman.podman("rmi", "--force", built.image, check=False)
