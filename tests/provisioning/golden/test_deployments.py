"""Deploy to staging and promote to production: GitOps commits, records, approvals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import access
from provisioning import engine
from provisioning.choices import RequestState
from provisioning.git_host.plumbing import read_files
from provisioning.golden_paths import deployments, services
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.golden_paths.cluster import NOT_CONNECTED, summarize
from provisioning.golden_paths.sections import deployments_section
from provisioning.models import Deployment, Environment, ProvisioningRequest
from tests.factories import make_component

DEPLOY = "/provisioning/services/checkout/deploy/"
PAGE = "/catalog/services/default/checkout/"


@pytest.fixture
def live(personas, python_http):
    """checkout, created from the Python golden path and applied for real."""
    staging = Environment.objects.get(name="staging")
    request = services.submit_new_service(
        personas.teammate, python_http, "checkout", personas.team, "Takes card payments",
        {"port": 8080, "python_version": "3.12"}, staging,
    )  # fmt: skip
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    return request


def overlay(git_dir, env):
    return read_files(git_dir / "gitops.git", "main", f"apps/checkout/overlays/{env}")


def apply_latest():
    latest = ProvisioningRequest.objects.latest("pk")
    return engine.apply(latest.pk, "w2").state


def test_deploy_to_staging_commits_the_tag_and_records_it(member_client, live, git_dir):
    response = member_client.post(DEPLOY, {"environment": "staging", "tag": "3f9c2e1"})
    request = ProvisioningRequest.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert request.type == "deploy" and request.state == RequestState.QUEUED
    assert apply_latest() == RequestState.SUCCEEDED
    assert "newTag: 3f9c2e1" in overlay(git_dir, "staging")["kustomization.yaml"]
    deployment = Deployment.objects.get(request=request)
    assert deployment.status == DeploymentStatus.COMMITTED and deployment.gitops_commit
    assert deployment.requested_by.username == "teammate"


def test_a_tag_naming_a_commit_of_the_repository_records_when_that_change_was_committed(
    member_client, live, git_dir
):
    import subprocess
    from datetime import datetime

    repo = git_dir / "checkout.git"
    head, when = subprocess.run(
        ["git", f"--git-dir={repo}", "log", "-1", "--format=%H %cI", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    first = Deployment.objects.get(request=live)  # the first deployment: the head commit
    assert first.tag == head and first.change_committed_at == datetime.fromisoformat(when)

    member_client.post(DEPLOY, {"environment": "staging", "tag": head[:7]})
    assert apply_latest() == RequestState.SUCCEEDED
    short = Deployment.objects.latest("pk")
    assert short.change_committed_at == first.change_committed_at

    member_client.post(DEPLOY, {"environment": "staging", "tag": "3f9c2e1"})  # not a commit
    assert apply_latest() == RequestState.SUCCEEDED
    assert Deployment.objects.latest("pk").change_committed_at is None


def test_promote_to_production_waits_for_a_leads_approval(client, live, personas, git_dir):
    client.force_login(personas.teammate)
    client.post(DEPLOY, {"environment": "prod", "tag": "3f9c2e1"})
    request = ProvisioningRequest.objects.latest("pk")
    assert request.state == RequestState.AWAITING_APPROVAL
    assert apply_latest() == "nothing to do"
    assert "../../base" not in overlay(git_dir, "prod")["kustomization.yaml"]

    client.force_login(personas.owner)
    client.post(f"/provisioning/requests/{request.pk}/approve/")
    assert apply_latest() == RequestState.SUCCEEDED
    prod = overlay(git_dir, "prod")["kustomization.yaml"]
    assert "newTag: 3f9c2e1" in prod and "../../base" in prod


def test_the_service_page_shows_environments_versions_and_the_cluster_status(member_client, live):
    html = member_client.get(PAGE).content.decode()
    assert "Environments &amp; deployments" in html
    assert "Created from <strong>Python HTTP service</strong> version 1" in html
    assert NOT_CONNECTED in html
    assert "Promote to Production" in html and "not deployed" in html


def test_a_deploy_waiting_for_approval_is_shown_as_such(member_client, live):
    member_client.post(DEPLOY, {"environment": "prod", "tag": "3f9c2e1"})
    assert "3f9c2e1: awaiting approval" in member_client.get(PAGE).content.decode()


def test_an_outsider_cannot_deploy(outsider_client, live):
    assert outsider_client.post(DEPLOY, {"environment": "staging", "tag": "x1"}).status_code == 403
    assert not ProvisioningRequest.objects.filter(type="deploy").exists()


def test_a_bad_tag_deploys_nothing_and_says_why(member_client, live):
    response = member_client.post(
        DEPLOY, {"environment": "staging", "tag": "not a tag"}, follow=True
    )
    assert "Nothing deployed: use letters, digits" in response.content.decode()
    assert not ProvisioningRequest.objects.filter(type="deploy").exists()


def test_deploy_only_takes_post(member_client, live):
    assert member_client.get(DEPLOY).status_code == 405


def test_a_service_not_made_from_a_golden_path_says_so(member_client, personas):
    make_component("legacy", owner=personas.team)
    html = member_client.get("/catalog/services/default/legacy/").content.decode()
    assert "was not created from a golden path" in html


@pytest.mark.parametrize(
    ("status", "image", "says"),
    [
        (
            {"updatedReplicas": 2, "availableReplicas": 2},
            "app:abc",
            "rollout complete: 2/2 ready, 3 restarts",
        ),
        (
            {"updatedReplicas": 1, "availableReplicas": 1},
            "app:abc",
            "rolling out: 1/2 updated, 1 ready, 3 restarts",
        ),
        ({}, "app:old", "waiting for Argo CD to sync abc"),
    ],
)
def test_the_cluster_status_is_summarized_in_words(status, image, says):
    deployment = {
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": image}]}}},
        "status": status,
    }
    pods = [{"status": {"containerStatuses": [{"restartCount": 3}]}}]
    assert summarize(deployment, pods, "abc").text == says


def test_the_section_costs_the_same_queries_however_many_deployments(rf, live, personas):
    request = rf.get("/")
    request.user = personas.teammate
    component = live.__class__.objects.get(pk=live.pk).component

    def count():
        access.forget_roles(personas.teammate)  # each page view reads the memberships once
        with CaptureQueriesContext(connection) as queries:
            deployments_section(request, component)
        return len(queries)

    before = count()
    origin = component.golden_path_origin
    staging = Environment.objects.get(name="staging")
    for tag in ("a1", "b2", "c3"):
        deployments.deploy(personas.teammate, origin, staging, tag)
    assert count() == before <= 4
