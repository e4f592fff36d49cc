"""On PostgreSQL the claim's query also stores the claim's event and starts the first step left
to run (attempt counted, call event stored) when it is pending with attempts to spare: what
`_run_step` would have stored, one round trip earlier."""

import logging

import pytest
from django.db import connection

from provisioning import engine
from provisioning.choices import EventKind, RequestState, StepState
from provisioning.models import RequestStep
from tests.provisioning.test_engine import QUEUE, submit

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="several statements in one query: PostgreSQL"
)


def test_the_claim_starts_the_first_pending_step_and_logs_what_it_stored(
    personas, petstore, dev, recording_driver, caplog
):
    request = submit(personas, petstore, dev, "queue", QUEUE)
    before = request.events.count()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="provisioning.services"):
        claim = engine.claim_and_start(request.pk, "w1")
    claimed, steps, started = claim.request, claim.steps, claim.started_step
    first, second = RequestStep.objects.filter(request=request).order_by("position")
    assert claimed.state == RequestState.RUNNING and started == first.pk
    assert (first.state, first.attempts, first.started_at is not None) == (
        StepState.RUNNING,
        1,
        True,
    )
    assert (second.state, second.attempts) == (StepState.PENDING, 0)
    assert [(s.pk, s.state, s.attempts) for s in steps] == [
        (first.pk, StepState.RUNNING, 1),
        (second.pk, StepState.PENDING, 0),
    ]
    stored = list(request.events.values_list("kind", "message"))[before:]
    assert stored == [
        (EventKind.TRANSITION, "running on w1"),
        (EventKind.CALL, "aws: ensure sqs-queue payments-petstore-dev-events-dlq (attempt 1)"),
    ]
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [
        f"request {request.pk} [{kind}] worker: {message}" for kind, message in stored
    ]
    assert engine.claim_and_start(request.pk, "w2") == engine.Claim(None, [])  # a duplicate
    assert request.events.count() == before + 2


def test_the_claim_starts_the_first_step_not_yet_done_at_its_next_attempt(
    personas, petstore, dev, recording_driver
):
    request = submit(personas, petstore, dev, "queue", QUEUE)
    first, second = RequestStep.objects.filter(request=request).order_by("position")
    RequestStep.objects.filter(pk=first.pk).update(state=StepState.SUCCEEDED, attempts=1)
    RequestStep.objects.filter(pk=second.pk).update(attempts=2)  # two transient failures
    assert engine.claim_and_start(request.pk, "w1").started_step == second.pk
    assert request.events.last().message == (
        "aws: ensure sqs-queue payments-petstore-dev-events (attempt 3)"
    )


def test_a_step_out_of_attempts_is_not_started_and_fails_as_before(
    personas, petstore, dev, recording_driver
):
    request = submit(personas, petstore, dev)
    RequestStep.objects.filter(request=request).update(attempts=engine.MAX_ATTEMPTS)
    assert engine.apply(request.pk, "w1").state == RequestState.FAILED
    step = request.steps.get()
    assert step.attempts == engine.MAX_ATTEMPTS and recording_driver.calls == []
    messages = list(request.events.values_list("message", flat=True))
    assert messages[-3:-1] == ["running on w1", "step 1 failed: " + step.message]
    assert messages.count("running on w1") == 1
    assert step.message.startswith(f"gave up after {engine.MAX_ATTEMPTS} attempts")
