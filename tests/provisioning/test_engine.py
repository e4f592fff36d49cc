"""The request engine: submit → plan → claim names → queue → apply, retries and recovery."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import access
from provisioning import engine, services
from provisioning.choices import RequestState, ResourceState, StepState
from provisioning.models import ProvisionedResource, ProvisioningRequest
from provisioning.planning import PlanError
from tests.provisioning.recording_driver import PermanentError, TransientError

BUCKET = {"purpose": "assets", "versioning": True, "encryption": "AES256", "lifecycle": "none"}
QUEUE = {
    "purpose": "events",
    "fifo": False,
    "dead_letter": True,
    "max_receive_count": 5,
    "visibility_timeout": 30,
    "retention_days": 4,
}


def submit(personas, petstore, env, type_="s3-bucket", params=None, key=""):
    return services.submit_request(personas.teammate, type_, petstore, env, params or BUCKET, key)


def test_submit_plans_claims_names_and_queues_on_commit(
    personas, petstore, dev, recording_driver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        request = submit(personas, petstore, dev)
    assert request.state == RequestState.QUEUED
    assert len(callbacks) == 1  # the task is sent only once the transaction commits
    resource = ProvisionedResource.objects.get()
    assert (
        resource.name == "payments-petstore-dev-assets" and resource.state == ResourceState.PENDING
    )
    assert (
        resource.tags["cost-center"] == "engineering"
        and resource.tags["managed-by"] == "idp-portal"
    )


def test_apply_runs_every_step_and_records_the_log(personas, petstore, dev, recording_driver):
    request = submit(personas, petstore, dev, "queue", QUEUE)
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    request.refresh_from_db()
    assert request.state == RequestState.SUCCEEDED and request.finished_at
    assert recording_driver.calls == [
        "payments-petstore-dev-events-dlq",
        "payments-petstore-dev-events",
    ]
    assert set(request.resources.values_list("state", flat=True)) == {ResourceState.ACTIVE}
    log = [e.message for e in request.events.all()]
    assert any("ensure sqs-queue payments-petstore-dev-events-dlq" in m for m in log)
    assert log[-1] == "Succeeded: every step is done"


def test_a_second_message_for_the_same_request_does_nothing(
    personas, petstore, dev, recording_driver
):
    request = submit(personas, petstore, dev)
    engine.apply(request.pk, "w1")
    assert engine.apply(request.pk, "w2").state == "nothing to do"
    assert recording_driver.calls == ["payments-petstore-dev-assets"]


def test_transient_errors_retry_with_backoff_then_succeed(
    personas, petstore, dev, recording_driver
):
    recording_driver.failures["payments-petstore-dev-assets"] = [
        TransientError("SlowDown: 503")
    ] * 2
    request = submit(personas, petstore, dev)
    first = engine.apply(request.pk, "w1")
    assert first.state == RequestState.QUEUED and 0 < first.retry_in <= engine.BACKOFF_CAP
    engine.apply(request.pk, "w1")
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    step = request.steps.get()
    assert step.attempts == 3 and step.state == StepState.SUCCEEDED
    assert request.events.filter(kind="retry").count() == 2


def test_a_permanent_error_fails_with_its_message_and_retry_resumes(
    personas, petstore, dev, recording_driver
):
    recording_driver.failures["payments-petstore-dev-events"] = [
        PermanentError("the queue name is taken")
    ]
    request = submit(personas, petstore, dev, "queue", QUEUE)
    assert engine.apply(request.pk, "w1").state == RequestState.FAILED
    request.refresh_from_db()
    assert request.failure == "the queue name is taken"
    assert services.retry_request(request, personas.teammate)
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    # The dead-letter queue succeeded the first time and was not ensured again.
    assert recording_driver.calls.count("payments-petstore-dev-events-dlq") == 1


def test_the_attempt_cap_ends_a_request_that_keeps_failing(
    personas, petstore, dev, recording_driver
):
    recording_driver.failures["payments-petstore-dev-assets"] = [TransientError("timeout")] * 50
    request = submit(personas, petstore, dev)
    for _ in range(engine.MAX_ATTEMPTS + 1):
        outcome = engine.apply(request.pk, "w1")
    assert outcome.state == RequestState.FAILED
    request.refresh_from_db()
    assert "gave up after" in request.failure and "timeout" in request.failure


def test_the_reconciler_takes_over_from_a_dead_worker(personas, petstore, dev, recording_driver):
    request = submit(personas, petstore, dev)
    assert engine.claim(request.pk, "dead-worker")
    request.steps.update(state=StepState.RUNNING, attempts=1)  # it died mid-call
    later = timezone.now() + engine.LEASE + timedelta(seconds=1)
    assert engine.reconcile_stalled(now=later) == [request.pk]
    assert engine.apply(request.pk, "w2").state == RequestState.SUCCEEDED
    log = " | ".join(request.events.values_list("message", flat=True))
    assert "dead-worker stopped responding; re-queued" in log and "was interrupted" in log
    assert request.steps.get().attempts == 2


def test_the_reconciler_resends_a_lost_queued_message(personas, petstore, dev, recording_driver):
    request = submit(personas, petstore, dev)
    # Waiting in a long queue for longer than the lease is normal: nothing is re-sent yet.
    assert engine.reconcile_stalled(now=timezone.now() + engine.LEASE + timedelta(seconds=1)) == []
    later = timezone.now() + engine.QUEUED_RESEND + timedelta(seconds=1)
    assert engine.reconcile_stalled(now=later) == [request.pk]
    assert "the queued message was lost" in request.events.last().message


def test_the_reconciler_leaves_healthy_requests_alone(personas, petstore, dev, recording_driver):
    request = submit(personas, petstore, dev)
    engine.claim(request.pk, "alive")
    assert engine.reconcile_stalled() == []


def test_a_repeated_idempotency_key_returns_the_first_request(
    personas, petstore, dev, recording_driver
):
    first = submit(personas, petstore, dev, key="k-1")
    again = submit(personas, petstore, dev, key="k-1")
    assert again.pk == first.pk
    assert ProvisioningRequest.objects.count() == 1 and ProvisionedResource.objects.count() == 1


def test_two_requests_for_the_same_name_leave_one_and_explain(
    personas, petstore, dev, recording_driver
):
    submit(personas, petstore, dev)
    with pytest.raises(
        services.NameTaken, match="already taken by team Payments .*pick another purpose"
    ):
        submit(personas, petstore, dev)
    assert ProvisioningRequest.objects.count() == 1


def test_production_waits_for_approval_by_a_lead(
    personas, petstore, prod, recording_driver, second_lead
):
    request = submit(personas, petstore, prod)
    assert request.state == RequestState.AWAITING_APPROVAL
    assert engine.apply(request.pk, "w1").state == "nothing to do"
    assert not access.can(personas.teammate, "request.approve", request)
    assert access.can(second_lead, "request.approve", request)
    assert services.approve_request(request, second_lead)
    assert not services.approve_request(request, second_lead)  # a second click is a no-op
    request.refresh_from_db()
    assert request.state == RequestState.QUEUED and request.approved_by == second_lead


def test_cancel_releases_the_names(personas, petstore, prod, recording_driver):
    request = submit(personas, petstore, prod)
    assert services.cancel_request(request, personas.teammate)
    assert not ProvisionedResource.objects.exists()
    submit(personas, petstore, prod)  # the name is free again


def test_a_database_password_goes_to_vault_and_nowhere_else(
    personas, petstore, dev, recording_driver, caplog
):
    dev.vpc_id, dev.subnet_ids = "vpc-1", ["subnet-a", "subnet-b"]
    dev.save()
    request = submit(
        personas,
        petstore,
        dev,
        "postgres-database",
        {
            "purpose": "db",
            "size": "small",
            "engine_version": "16",
            "high_availability": False,
            "backup_retention_days": 7,
        },
    )
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    password = recording_driver.secrets_seen[0]["password"]
    assert recording_driver.secrets_seen[1] == {"password": password}  # RDS got Vault's password
    stored = [
        str(request.plan),
        str(request.parameters),
        caplog.text,
        *request.events.values_list("message", flat=True),
        *request.steps.values_list("message", flat=True),
    ]
    assert not any(password in text for text in stored)


def test_a_database_needs_network_placement(personas, petstore, dev):
    with pytest.raises(PlanError, match="no network placement"):
        submit(personas, petstore, dev, "postgres-database", {"purpose": "db", "size": "small"})


def test_an_unexpected_bug_fails_the_step_visibly(personas, petstore, dev, recording_driver):
    recording_driver.failures["payments-petstore-dev-assets"] = [KeyError("boom")]
    request = submit(personas, petstore, dev)
    assert engine.apply(request.pk, "w1").state == RequestState.FAILED
    request.refresh_from_db()
    assert "unexpected error in the portal (KeyError)" in request.failure


def test_the_apply_task_retries_itself_on_a_database_error():
    from django.db import DatabaseError

    from provisioning.tasks import apply_request

    assert DatabaseError in apply_request.autoretry_for
    assert apply_request.retry_backoff and apply_request.max_retries == 6
