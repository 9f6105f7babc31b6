"""The pipeline parses, every job runs `make` targets that exist, deploys are gated right."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / ".gitlab-ci.yml"
MAKEFILES = [REPO / "Makefile", REPO / "deploy" / "deploy.mk"]
TARGET = re.compile(r"^([a-zA-Z_][a-zA-Z0-9_-]*):(?!=)", re.M)
GLOBAL_KEYWORDS = {"stages", "workflow", "variables", "default", "include", "image", "services"}


def pipeline() -> dict[str, Any]:
    return dict(yaml.safe_load(PIPELINE.read_text()))


def resolved_jobs() -> dict[str, dict[str, Any]]:
    """Visible jobs with their `extends` applied (hashes merged deeply, as GitLab does)."""
    config = pipeline()

    def resolve(name: str) -> dict[str, Any]:
        job = config[name]
        parents = job.get("extends", [])
        merged: dict[str, Any] = {}
        for parent in [parents] if isinstance(parents, str) else parents:
            merged = merge(merged, resolve(parent))
        return merge(merged, {k: v for k, v in job.items() if k != "extends"})

    return {
        name: resolve(name)
        for name, job in config.items()
        if name not in GLOBAL_KEYWORDS and not name.startswith(".") and isinstance(job, dict)
    }


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make_targets() -> set[str]:
    targets: set[str] = set()
    for path in MAKEFILES:
        targets.update(TARGET.findall(path.read_text()))
    return targets


def test_every_job_script_is_make_targets_that_exist():
    targets = make_targets()
    for name, job in resolved_jobs().items():
        assert job.get("script"), f"{name} has no script"
        for line in job["script"]:
            words = shlex.split(line)
            assert words[0] == "make", f"{name}: '{line}' (scripts call make targets only)"
            wanted = [w for w in words[1:] if "=" not in w and not w.startswith("-")]
            assert wanted and set(wanted) <= targets, f"{name}: unknown target in '{line}'"


def test_the_stages_cover_lint_test_build_scan_and_deploy():
    config = pipeline()
    assert config["stages"] == ["lint", "test", "build", "scan", "infrastructure", "deploy"]
    stages = {job["stage"] for job in resolved_jobs().values()}
    assert stages == set(config["stages"])


def test_needs_and_extends_point_at_existing_jobs():
    config = pipeline()
    for name, job in resolved_jobs().items():
        for need in job.get("needs", []):
            assert (need if isinstance(need, str) else need["job"]) in config, (name, need)


def test_tests_run_against_real_postgres_and_rabbitmq_and_fail_instead_of_skipping():
    job = resolved_jobs()["test"]
    images = {service["name"].split(":")[0] for service in job["services"]}
    assert {"postgres", "rabbitmq"} <= images
    assert job["variables"]["CI"] == "true"
    assert job["script"] == ["make checkov-venv", "make test"]


def test_images_are_built_daemonless_and_pushed_only_from_the_default_branch():
    job = resolved_jobs()["images"]
    assert any("buildkit" in s["name"] and "rootless" in s["name"] for s in job["services"])
    assert "docker:dind" not in str(job) and "privileged" not in str(job)
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]


def test_staging_deploys_itself_and_production_waits_for_a_person():
    jobs = resolved_jobs()
    staging, production = jobs["deploy:staging"], jobs["deploy:production"]
    assert staging["script"] == production["script"] == ["make kubeconfig", "make deploy"]
    assert (
        staging["variables"]["ENV"] == "staging" and production["variables"]["ENV"] == "production"
    )
    assert staging["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert production["rules"][0]["when"] == "manual"
    assert "deploy:staging" in production["needs"]
    deploy_recipe = (REPO / "deploy" / "deploy.mk").read_text().split("\ndeploy:")[1]
    assert "upgrade --install" in deploy_recipe and "--atomic --wait" in deploy_recipe


def test_terraform_applies_are_manual_and_follow_a_saved_plan():
    jobs = resolved_jobs()
    for env in ("staging", "production"):
        apply = jobs[f"tf-apply:{env}"]
        assert apply["rules"][0]["when"] == "manual"
        assert apply["needs"] == [f"tf-plan:{env}"]
        assert apply["script"] == ["make tf-apply"]
        assert jobs[f"tf-plan:{env}"]["artifacts"]["paths"] == ["terraform/envs/$ENV/tfplan"]


def test_every_deploy_target_is_described_for_make_help():
    text = (REPO / "deploy" / "deploy.mk").read_text()
    for target in TARGET.findall(text):
        if target == "check-env":
            continue
        assert re.search(rf"^{target}:.*## \S", text, re.M), target
    for wanted in ("images", "helm-lint", "helm-template", "deploy", "tf-plan", "tf-apply"):
        assert wanted in TARGET.findall(text)
    assert {"checkov", "checkov-venv"} <= set(TARGET.findall(text))
