"""Render or lint the keel chart offline, as `helm template` / `helm lint` would, with real Helm.

    uv run python deploy/render_manifests.py --env staging --out var/rendered/staging.yaml
    uv run python deploy/render_manifests.py --all --out-dir var/rendered
    uv run python deploy/render_manifests.py --lint

--env layers values-<env>.yaml and, when present, the Terraform values var/infra-<env>.yaml
(else the example in ci/<env>-infra-values.yaml), like `make deploy` does. --all renders every
profile the tests render, for checkov.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import helm_python
import yaml

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "deploy" / "helm" / "keel"
PROFILES: dict[str, list[str]] = {
    "default": [],
    "staging": ["values-staging.yaml", "ci/staging-infra-values.yaml"],
    "production": ["values-production.yaml", "ci/production-infra-values.yaml"],
    "queue-autoscaling": ["ci/queue-autoscaling-values.yaml"],
    "minimal": ["ci/minimal-values.yaml"],
}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of values files: maps merge, anything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def values_for(files: list[Path]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in files:
        values = merge(values, yaml.safe_load(path.read_text()) or {})
    return values


def env_files(env: str) -> list[Path]:
    infra = REPO / "var" / f"infra-{env}.yaml"
    example = CHART / "ci" / f"{env}-infra-values.yaml"
    return [CHART / f"values-{env}.yaml", infra if infra.exists() else example]


def profile_values(profile: str) -> dict[str, Any]:
    return values_for([CHART / name for name in PROFILES[profile]])


def render_chart(
    values: dict[str, Any], release: str = "keel", namespace: str = "keel"
) -> dict[str, str]:
    """Template path -> rendered text, as `helm upgrade` would render it (hooks included)."""
    with helm_python.Chart.load(CHART) as chart:
        return chart.render(values, name=release, namespace=namespace, is_upgrade=True)


def render(files: list[Path], release: str, namespace: str) -> str:
    rendered = render_chart(values_for(files), release, namespace)
    docs = [
        f"# Source: {path}\n{text.strip()}\n"
        for path, text in sorted(rendered.items())
        if not path.endswith("NOTES.txt") and text.strip()
    ]
    return "---\n".join(docs)


def lint(kube_version: str) -> int:
    """helm lint --strict for every profile; prints each finding, fails on warnings and errors."""
    worst = 0
    for name, files in PROFILES.items():
        report = helm_python.lint(
            CHART, values_for([CHART / f for f in files]), strict=True, kube_version=kube_version
        )
        for message in report["messages"]:
            print(f"{name}: [{message['severity']}] {message['path']}: {message['error']}")
            worst = max(worst, message["severity"])
        print(f"{name}: linted, {len(report['errors'])} errors")
        worst = max(worst, 3 if report["errors"] else 0)
    return 1 if worst >= 2 else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=["staging", "production"])
    parser.add_argument("--all", action="store_true", help="every test profile")
    parser.add_argument("--lint", action="store_true", help="lint every profile (strict)")
    parser.add_argument("--kube-version", default="v1.33.0", help="cluster version to lint for")
    parser.add_argument("--out", type=Path, help="output file for --env (default: stdout)")
    parser.add_argument("--out-dir", type=Path, default=REPO / "var" / "rendered")
    parser.add_argument("--release", default="keel")
    parser.add_argument("--namespace", default="keel")
    args = parser.parse_args(argv)
    if args.lint:
        return lint(args.kube_version)
    if args.all:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for name, files in PROFILES.items():
            text = render([CHART / f for f in files], args.release, args.namespace)
            (args.out_dir / f"{name}.yaml").write_text(text)
        return 0
    if not args.env:
        parser.error("give --env staging|production or --all")
    text = render(env_files(args.env), args.release, args.namespace)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
