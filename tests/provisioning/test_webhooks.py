"""POST /hooks/github/: signed deliveries record builds, commit times and deployment outcomes;
unsigned, badly signed and replayed ones record nothing."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from idp_portal.models import AuditEvent
from provisioning.demo import seed_golden_paths
from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models import (
    Build,
    ChangeCommit,
    Deployment,
    GoldenPath,
    ServiceOrigin,
    WebhookDelivery,
)
from tests.provisioning.conftest import default_environment
from tests.provisioning.github_webhooks.payloads import payload, repository, signed

SECRET = "hook-secret-for-tests"
URL = "/hooks/github/"
SHA = "a" * 40


@pytest.fixture
def origin(personas, settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    seed_golden_paths()
    return ServiceOrigin.objects.create(
        name="checkout",
        golden_path=GoldenPath.objects.get(slug="python-http"),
        team=personas.team,
        image="ghcr.io/acme/checkout",
    )


def deliver(event: str, body: dict, delivery: str = "d-1", signature: str | None = None):
    raw = json.dumps(body).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    signature = signed(SECRET, raw) if signature is None else signature
    if signature:
        headers["X-Hub-Signature-256"] = signature
    # A fresh client with CSRF checks on: the hook must pass without a session or token.
    client = Client(enforce_csrf_checks=True)
    return client.post(URL, raw, content_type="application/json", headers=headers)


def workflow_run(name: str = "checkout", conclusion: str = "success") -> dict:
    head = {
        "id": SHA,
        "timestamp": "2026-02-01T10:00:00Z",
        "author": {"name": "Ann Author", "email": "ann@example.com"},
    }
    run = {
        "id": 4242,
        "name": "CI",
        "head_sha": SHA,
        "conclusion": conclusion,
        "html_url": "https://github.com/acme/checkout/actions/runs/4242",
        "updated_at": "2026-02-01T10:07:00Z",
        "head_commit": head,
    }
    return payload("workflow_run$completed", repository=repository(name), workflow_run=run)


def test_a_signed_workflow_run_records_a_build_with_its_commit_time(origin):
    response = deliver("workflow_run", workflow_run())
    assert response.status_code == 200, response.content
    build = Build.objects.get()
    assert (build.origin, build.repository, build.run_id, build.head_sha) == (
        origin,
        "acme/checkout",
        4242,
        SHA,
    )
    assert build.committed_at == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    assert (build.author, build.conclusion, build.workflow) == ("Ann Author", "success", "CI")
    assert ChangeCommit.objects.get(sha=SHA).committed_at == build.committed_at
    assert WebhookDelivery.objects.get().outcome == "recorded"
    event = AuditEvent.objects.get(action="deploy_events.record")
    assert (event.actor_name, event.object_type) == ("GitHub webhook", "provisioning.build")
    assert SECRET not in event.detail


def test_a_replayed_delivery_records_nothing_new(origin):
    deliver("workflow_run", workflow_run())
    again = deliver("workflow_run", workflow_run(conclusion="failure"))
    assert again.status_code == 200 and again.json()["status"] == "already processed"
    assert Build.objects.get().conclusion == "success"
    assert WebhookDelivery.objects.count() == 1


def test_a_bad_signature_is_refused_and_records_nothing(origin):
    response = deliver("workflow_run", workflow_run(), signature="sha256=" + "0" * 64)
    assert response.status_code == 403 and "bad signature" in response.json()["error"]
    assert not Build.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_body_changed_after_signing_is_refused(origin):
    body = workflow_run()
    signature = signed(SECRET, json.dumps(body).encode())
    body["workflow_run"]["conclusion"] = "failure"
    assert deliver("workflow_run", body, signature=signature).status_code == 403


def test_an_unsigned_delivery_is_refused(origin):
    response = deliver("workflow_run", workflow_run(), signature="")
    assert response.status_code == 401 and "X-Hub-Signature-256" in response.json()["error"]
    assert not Build.objects.exists()


def test_without_a_secret_every_delivery_is_refused(origin, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    response = deliver("workflow_run", workflow_run())
    assert response.status_code == 503 and "GITHUB_WEBHOOK_SECRET" in response.json()["error"]
    assert not Build.objects.exists()


def test_an_unknown_repository_is_accepted_and_ignored(origin):
    response = deliver("workflow_run", workflow_run(name="not-ours"))
    assert response.status_code == 202 and response.json()["status"] == "ignored"
    assert not Build.objects.exists() and not ChangeCommit.objects.exists()


def test_an_event_the_portal_does_not_use_is_accepted_and_ignored(origin):
    body = payload("ping$event")
    assert deliver("issues", body).status_code == 202
    assert deliver("ping", body, delivery="d-2").status_code == 200


def test_a_push_records_each_commits_time(origin):
    commit = {
        **payload("push$event")["head_commit"],
        "id": SHA,
        "timestamp": "2026-02-01T09:30:00+01:00",
        "author": {"name": "Ann", "email": "ann@example.com", "username": "ann"},
    }
    body = payload(
        "push$event", repository=repository("checkout"), commits=[commit], head_commit=commit
    )
    assert deliver("push", body).status_code == 200
    recorded = ChangeCommit.objects.get()
    assert recorded.committed_at == datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
    assert recorded.author == "ann"


def test_a_deployment_status_sets_the_deployments_outcome(origin, personas):
    dev = default_environment("dev")
    d = Deployment.objects.create(
        origin=origin,
        environment=dev,
        tag=SHA,
        requested_by=personas.teammate,
        status=DeploymentStatus.COMMITTED,
        committed_at=timezone.now(),
    )
    body = payload(
        "deployment_status$created",
        repository=repository("checkout"),
        deployment={"sha": SHA, "environment": "dev"},
        deployment_status={"state": "failure", "environment": "dev", "description": "boom"},
    )
    assert deliver("deployment_status", body).status_code == 200
    d.refresh_from_db()
    assert d.rollout == RolloutStatus.DEGRADED and "boom" in d.rollout_detail


def test_a_deployment_status_for_no_portal_deployment_is_ignored(origin):
    body = payload(
        "deployment_status$created",
        repository=repository("checkout"),
        deployment={"sha": SHA, "environment": "dev"},
        deployment_status={"state": "success", "environment": "dev"},
    )
    response = deliver("deployment_status", body)
    assert (
        response.status_code == 202
        and "no committed portal deployment" in response.json()["detail"]
    )


def test_a_body_that_is_not_json_is_a_clear_400(origin):
    raw = b"payload=%7B%7D"
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "d-9",
        "X-Hub-Signature-256": signed(SECRET, raw),
    }
    response = Client().post(
        URL, raw, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert response.status_code == 400 and "content type to json" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_a_push_larger_than_the_site_limit_is_read(origin, settings):
    commits = [
        {**payload("push$event")["head_commit"], "id": f"{i:040x}", "message": "m" * 5000}
        for i in range(1, 30)
    ]
    body = payload("push$event", repository=repository("checkout"), commits=commits)
    assert len(json.dumps(body)) > settings.MAX_REQUEST_BODY_BYTES
    assert deliver("push", body).status_code == 200
    assert ChangeCommit.objects.count() == 30  # the 29 commits and the head commit


def test_a_delivery_over_the_webhook_limit_is_refused(origin, settings):
    settings.WEBHOOK_MAX_BYTES = 1000
    response = deliver("workflow_run", workflow_run())
    assert response.status_code == 413 and not Build.objects.exists()
