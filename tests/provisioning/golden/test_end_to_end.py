"""A new service through the real engine and the real git host: repository, GitOps, catalog."""

import subprocess

import pytest

from catalog.models import Component
from provisioning import engine
from provisioning import services as provisioning
from provisioning.choices import RequestState, StepState
from provisioning.git_host.plumbing import read_files
from provisioning.golden_paths import services
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.models import Deployment, Environment, ProvisionedResource, ServiceOrigin


def log(repo):
    return subprocess.run(
        ["git", f"--git-dir={repo}", "log", "--format=%H %s", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip


@pytest.fixture
def created(personas, python_http):
    staging = Environment.objects.get(name="staging")
    request = services.submit_new_service(
        personas.teammate, python_http, "checkout", personas.team, "Takes card payments",
        {"port": 8080, "python_version": "3.12"}, staging,
    )  # fmt: skip
    return request


def test_the_request_makes_the_repository_gitops_files_catalog_entry_and_first_deploy(
    created, git_dir
):
    assert engine.apply(created.pk, "w1").state == RequestState.SUCCEEDED
    created.refresh_from_db()
    assert [s.state for s in created.steps.all()] == [StepState.SUCCEEDED] * created.steps.count()

    repo_files = read_files(git_dir / "checkout.git", "main")
    assert {"app/server.py", "tests/test_server.py", "Dockerfile", "README.md"} <= set(repo_files)
    assert {".github/workflows/ci.yaml", "catalog-info.yaml"} <= set(repo_files)
    assert len(log(git_dir / "checkout.git")) == 1

    head = log(git_dir / "checkout.git")[0].split()[0]
    gitops = read_files(git_dir / "gitops.git", "main")
    assert "apps/checkout/base/deployment.yaml" in gitops
    assert f"newTag: {head}" in gitops["apps/checkout/overlays/staging/kustomization.yaml"]
    assert "../../base" not in gitops["apps/checkout/overlays/prod/kustomization.yaml"]
    assert {f"argocd/checkout/checkout-{e}.yaml" for e in ("dev", "staging", "prod")} <= set(gitops)
    assert log(git_dir / "gitops.git")[0].endswith(f"Deploy checkout:{head} to staging")

    component = Component.objects.get(name="checkout")
    assert component.owner == created.team and component.language == "python"
    assert component.search_text == "checkout  takes card payments python"
    assert component.annotations["portal.internal/golden-path"] == "python-http@1"
    assert ServiceOrigin.objects.get(name="checkout").component == component
    created.refresh_from_db()
    assert created.component == component
    assert not ProvisionedResource.objects.filter(request=created, component=None).exists()

    (deployment,) = Deployment.objects.all()
    assert deployment.status == DeploymentStatus.COMMITTED and deployment.tag == head
    assert deployment.gitops_commit == log(git_dir / "gitops.git")[0].split()[0]


def test_kubernetes_and_vault_are_left_out_when_not_connected(created):
    providers = {s.resource["provider"] for s in created.steps.all()}
    assert providers == {"git", "portal"}
    assert any(
        "will be created when the platform team connects Kubernetes" in n
        for n in created.plan["notes"]
    )


def test_a_retry_after_a_failure_converges_without_duplicate_commits(created, git_dir, monkeypatch):
    real = services.register_component

    def broken(name):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "register_component", broken)
    assert engine.apply(created.pk, "w1").state == RequestState.FAILED
    assert not Component.objects.filter(name="checkout").exists()
    monkeypatch.setattr(services, "register_component", real)
    provisioning.retry_request(created, created.requester)
    assert engine.apply(created.pk, "w2").state == RequestState.SUCCEEDED
    assert len(log(git_dir / "checkout.git")) == 1
    assert Component.objects.filter(name="checkout").count() == 1
