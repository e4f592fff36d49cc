"""A real `service` request per shipped golden path, then what a developer and Argo CD get:
the created repository cloned and its own CI tests run from the clone, and the GitOps
repository whose overlays list the observability bundle."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from observability.services import bundle_resources
from provisioning import engine, extensions
from provisioning.choices import RequestState
from provisioning.git_host.plumbing import read_files
from provisioning.golden_paths import deployments, services
from provisioning.models import Environment, ServiceOrigin

ENVS = ("dev", "staging", "prod")


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


def create(gp, personas, name: str):
    """Submit and apply the request synchronously, as a worker would."""
    extensions.register_bundle("observability", bundle_resources)
    values = {s["name"]: s["default"] for s in gp.parameters}
    staging = Environment.objects.get(name="staging")
    request = services.submit_new_service(
        personas.teammate, gp, name, personas.team, "Takes payments", values, staging
    )
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    return request


def ci_test_command(workflow: Path) -> list[str]:
    """The `run:` of the workflow's test job, with this interpreter standing for `python`."""
    job = yaml.safe_load(workflow.read_text())["jobs"]["test"]
    [command] = [step["run"] for step in job["steps"] if "run" in step]
    argv = shlex.split(command)
    return [sys.executable, *argv[1:]] if argv[0] == "python" else argv


@pytest.mark.parametrize(
    ("slug", "runs", "passed"),
    [
        ("python-http", [sys.executable, "-m", "unittest"], "Ran 8 tests"),
        ("node-http", ["npm", "test"], "# pass 6"),  # package.json: "test": "node --test"
    ],
)
def test_the_cloned_repository_passes_its_own_ci_tests(
    slug, runs, passed, golden_paths, personas, git_dir, tmp_path
):
    create(golden_paths[slug], personas, "checkout")
    clone = tmp_path / "clone"
    cloned = run(["git", "clone", "--quiet", str(git_dir / "checkout.git"), str(clone)], tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    workflow = clone / ".github/workflows/ci.yaml"
    assert workflow.is_file() and (clone / "Dockerfile").is_file()
    assert yaml.safe_load((clone / "catalog-info.yaml").read_text())["metadata"]["name"] == (
        "checkout"
    )
    command = ci_test_command(workflow)
    assert command[: len(runs)] == runs
    tests = run(command, clone)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert passed in tests.stdout + tests.stderr


def test_the_gitops_repository_deploys_the_bundle_through_every_overlay(
    python_http, personas, git_dir
):
    create(python_http, personas, "checkout")
    gitops = read_files(git_dir / "gitops.git", "main")
    for env in ENVS:
        overlay = yaml.safe_load(gitops[f"apps/checkout/overlays/{env}/kustomization.yaml"])
        assert overlay["components"] == [f"../../{env}/observability"]
        assert f"apps/checkout/{env}/observability/workload-patch.yaml" in gitops
        app = yaml.safe_load(gitops[f"argocd/checkout/checkout-{env}.yaml"])
        assert app["spec"]["source"]["path"] == f"apps/checkout/overlays/{env}"
    staging = yaml.safe_load(gitops["apps/checkout/overlays/staging/kustomization.yaml"])
    assert staging["images"][0]["newTag"] and "../../base" in staging["resources"]


def test_a_later_deployment_keeps_the_component_listed_once(python_http, personas, git_dir):
    create(python_http, personas, "checkout")
    origin = ServiceOrigin.objects.get(name="checkout")
    for env_name, tag in (("staging", "v2"), ("dev", "v3")):
        env = Environment.objects.get(name=env_name)
        deploy = deployments.deploy(personas.teammate, origin, env, tag)
        assert engine.apply(deploy.pk, "w1").state == RequestState.SUCCEEDED
        path = f"apps/checkout/overlays/{env_name}/kustomization.yaml"
        overlay = yaml.safe_load(read_files(git_dir / "gitops.git", "main")[path])
        assert overlay["images"][0]["newTag"] == tag
        assert overlay["components"] == [f"../../{env_name}/observability"]
