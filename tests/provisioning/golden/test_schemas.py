"""Every generated manifest, Application and pipeline against its real schema (schemas/)."""

import json
import shutil
import subprocess

import pytest

from provisioning.golden_paths import argo, manifests, validation
from provisioning.golden_paths.planning import plan_service, workload
from provisioning.golden_paths.services import new_service
from provisioning.models import Environment

CRD_DIR = validation.SCHEMAS / "crd"


@pytest.fixture(scope="session")
def crd_validator():
    """Run the CRD validators (npm packages, see schemas/SOURCES.md) on a list of objects."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip(
            "Node.js and npm are needed to run the Argo CD and ExternalSecret CRD validators"
        )
    if not (CRD_DIR / "node_modules").exists():
        install = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=CRD_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if install.returncode:
            pytest.skip(f"could not install the CRD validators: {install.stderr[-300:]}")

    def validate(objects: list[dict]) -> list[str]:
        run = subprocess.run(
            ["node", "validate.mjs"], cwd=CRD_DIR, input=json.dumps(objects),
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return json.loads(run.stdout)

    return validate


@pytest.fixture(params=["python-http", "node-http"])
def service(request, golden_paths, personas):
    gp = golden_paths[request.param]
    values = {s["name"]: s["default"] for s in gp.parameters}
    staging = Environment.objects.get(name="staging")
    return new_service(gp, "checkout", personas.team, "Takes payments", values, staging)


def every_object(svc):
    w = workload(svc)
    for env in svc.environments:
        yield from manifests.effective_objects(w, env, "3f9c2e1")
        yield argo.application(w, env, "file:///srv/git/gitops.git")


def test_every_kubernetes_object_is_valid_in_every_environment(service):
    objects = list(every_object(service))
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    assert {"ServiceAccount", "NetworkPolicy", "ExternalSecret", "Application"} <= kinds
    assert [p for o in objects for p in validation.kubernetes_problems(o)] == []


def test_the_base_files_are_the_objects_the_schema_accepted(service):
    w = workload(service)
    for path, text in manifests.base_files(w).items():
        obj = validation.load_yaml(text)
        if obj["kind"] != "Kustomization":
            assert validation.kubernetes_problems(obj) == [], path


def test_the_crds_accept_the_applications_and_external_secrets(service, crd_validator):
    objects = [o for o in every_object(service) if validation.object_key(o) in validation.CRD_KINDS]
    assert len(objects) == 6
    assert crd_validator(objects) == ["ok"] * 6


def test_the_crd_validators_do_reject_a_broken_object(crd_validator):
    broken = {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": {"name": "x"},
        "spec": {"secretStoreRef": {"kind": "ClusterSecretStore"}},
    }
    (message,) = crd_validator([broken])
    assert "secretStoreRef must have required property" in message


def test_the_pipeline_is_a_valid_github_workflow(service):
    plan = plan_service(service)
    text = plan.repository_files[".github/workflows/ci.yaml"]
    assert validation.workflow_problems(text) == []
    workflow = validation.load_yaml(text)
    assert list(workflow["jobs"]) == ["lint", "test", "build", "update-gitops"]
    assert "${{ github.sha }}" in text


def test_the_schemas_do_reject_mistakes():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                  "spec": {"replica": 2, "selector": {}, "template": {}}}  # fmt: skip
    assert "'replica' was unexpected" in validation.kubernetes_problems(deployment)[0]
    assert validation.workflow_problems("name: CI\non: push\njobs:\n  a:\n    stepz: []\n")
