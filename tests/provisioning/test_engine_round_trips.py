"""The engine's own cost, in round trips to the database (its time is measured by
tests/bench/provisioning_bench.py): a claim that returns the row (and the steps with it), one
transaction per step's start and per step's end, the finish with the last end. On PostgreSQL
each of those transactions is one round trip, and the claim also stores its event and the
first step's start; SQLite runs the same statements one by one inside `atomic`, in process,
the claim's event sent with the first start."""

import pytest
from django.db import IntegrityError, connection

from provisioning import batched_writes, engine, services
from provisioning.choices import EventKind, RequestState, ResourceState, StepState
from provisioning.models import ProvisionedResource, RequestStep
from tests.provisioning.test_engine import BUCKET, QUEUE, submit


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the call: nothing after it runs."""


def round_trips(postgresql: int, sqlite: int) -> int:
    return postgresql if connection.vendor == "postgresql" else sqlite


def test_a_one_step_request_takes_two_round_trips(
    personas, petstore, dev, recording_driver, django_assert_num_queries
):
    request = submit(personas, petstore, dev)
    # the claim (UPDATE … RETURNING) with its event, the step's start and the steps, then the
    # step's end with the finish: two on PostgreSQL since the step's start went into the
    # claim's query and the after-request hooks get the steps the claim read (was four, then
    # three). SQLite reads the steps apart, starts the step apart and sends each statement of
    # a transaction on its own, between a savepoint and its release (the test's own
    # transaction is around it).
    with django_assert_num_queries(round_trips(2, 12)):
        assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    request.refresh_from_db()
    assert request.state == RequestState.SUCCEEDED and request.heartbeat_at is None
    assert list(request.events.values_list("kind", "message")) == [
        (EventKind.TRANSITION, "Requested by teammate: " + request.plan["summary"]),
        (EventKind.TRANSITION, "Queued: a worker starts on it next"),
        (EventKind.TRANSITION, "running on w1"),
        (EventKind.CALL, "aws: ensure s3-bucket payments-petstore-dev-assets (attempt 1)"),
        (EventKind.CALL, "aws: created s3-bucket payments-petstore-dev-assets"),
        (EventKind.TRANSITION, "Succeeded: every step is done"),
    ]
    resource = ProvisionedResource.objects.get()
    assert resource.state == ResourceState.ACTIVE
    assert resource.identifier == "id:payments-petstore-dev-assets"


def test_each_further_step_adds_one_round_trip(
    personas, petstore, dev, recording_driver, django_assert_num_queries
):
    request = submit(personas, petstore, dev, "queue", QUEUE)
    # The first step's end goes with the second step's start (3 on PostgreSQL, was 5: the
    # first step's start is in the claim's query, and the hooks no longer read the steps).
    with django_assert_num_queries(round_trips(3, 18)):
        assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert set(request.steps.values_list("state", "attempts")) == {(StepState.SUCCEEDED, 1)}


def test_a_duplicate_message_costs_one_query_and_writes_nothing(
    personas, petstore, dev, recording_driver, django_assert_num_queries
):
    request = submit(personas, petstore, dev)
    assert engine.claim(request.pk, "w1").worker == "w1"
    events = request.events.count()
    with django_assert_num_queries(1):
        assert engine.apply(request.pk, "w2").state == "nothing to do"
    request.refresh_from_db()
    assert request.worker == "w1" and request.events.count() == events


def test_the_claim_returns_the_row_it_took(personas, petstore, dev, recording_driver):
    request = submit(personas, petstore, dev)
    claimed = engine.claim(request.pk, "w1")
    assert claimed.pk == request.pk and claimed.state == RequestState.RUNNING
    assert claimed.plan == request.plan and claimed.started_at == claimed.heartbeat_at
    claimed.refresh_from_db()
    assert claimed.state == RequestState.RUNNING and claimed.worker == "w1"
    assert engine.claim(request.pk, "w2") is None


def test_a_step_start_is_stored_before_the_call(personas, petstore, dev, recording_driver):
    """A worker killed during the call leaves the step running, its attempt counted and the
    log saying what it was doing; the next worker takes it up from there."""
    recording_driver.failures["payments-petstore-dev-assets"] = [WorkerKilled()]
    request = submit(personas, petstore, dev)
    with pytest.raises(WorkerKilled):
        engine.apply(request.pk, "w1")
    step = request.steps.get()
    assert step.state == StepState.RUNNING and step.attempts == 1
    assert list(request.events.values_list("message", flat=True))[-2:] == [
        "running on w1",
        "aws: ensure s3-bucket payments-petstore-dev-assets (attempt 1)",
    ]
    request.refresh_from_db()
    assert request.state == RequestState.RUNNING
    request.__class__.objects.filter(pk=request.pk).update(state=RequestState.QUEUED)
    assert engine.apply(request.pk, "w2").state == RequestState.SUCCEEDED
    step.refresh_from_db()
    assert step.attempts == 2 and step.state == StepState.SUCCEEDED
    assert request.events.filter(message__contains="was interrupted (attempt 1)").exists()


def test_submit_reads_the_policy_once_and_creates_the_request_queued(
    personas, petstore, dev, recording_driver, django_assert_num_queries
):
    # the policy; then in a transaction (a savepoint here): the request, then its names, steps,
    # events and audit event together (one round trip on PostgreSQL, four inserts in a
    # savepoint on SQLite). Five since the audit event joined the others (was six).
    with django_assert_num_queries(round_trips(5, 10)):
        request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    assert request.state == RequestState.QUEUED and request.heartbeat_at
    assert request.resources.get().environment == dev


def test_a_held_request_is_created_waiting_with_no_heartbeat(
    personas, petstore, prod, recording_driver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        request = services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    assert request.state == RequestState.AWAITING_APPROVAL and request.heartbeat_at is None
    assert callbacks == []  # nothing is sent to a worker before the approval
    assert request.events.last().message.startswith("Waiting for approval:")


def test_the_claim_with_steps_reads_them_as_the_orm_does(personas, petstore, dev, recording_driver):
    """On PostgreSQL the claim's one query returns raw rows, converted as the ORM would."""
    request = submit(personas, petstore, dev, "queue", QUEUE)
    taken = engine.claim_and_start(request.pk, "w1")
    claimed, steps = taken.request, taken.steps
    stored = type(request).objects.get(pk=request.pk)
    fields = [f.attname for f in type(request)._meta.concrete_fields]
    assert [getattr(claimed, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert isinstance(claimed.plan, dict) and claimed.heartbeat_at.tzinfo is not None
    step_fields = [f.attname for f in type(steps[0])._meta.concrete_fields]
    assert [[getattr(s, f) for f in step_fields] for s in steps] == [
        [getattr(s, f) for f in step_fields] for s in request.steps.order_by("position")
    ]
    assert [s.resource["name"] for s in steps] == [
        "payments-petstore-dev-events-dlq",
        "payments-petstore-dev-events",
    ]
    again = engine.claim_and_start(request.pk, "w2")
    assert (again.request, again.steps) == (None, [])


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_leaves_none_of_its_statements(
    personas, petstore, dev, recording_driver
):
    """A step's start or end is one transaction: all of it is stored, or none."""
    request = submit(personas, petstore, dev, "queue", QUEUE)
    first, second = request.steps.order_by("position")
    events = request.events.count()
    writes = (
        engine.Writes(request)
        .update(RequestStep, {"pk": first.pk}, message="half done")
        .event(EventKind.INFO, "never stored")
        .update(RequestStep, {"pk": second.pk}, position=first.position)  # one step per position
    )
    with pytest.raises(IntegrityError):
        writes.send()
    first.refresh_from_db()
    assert first.message == "" and request.events.count() == events


def test_the_heartbeat_touches_only_the_requests_in_flight(
    personas, petstore, dev, recording_driver
):
    request = submit(personas, petstore, dev)
    claimed = engine.claim(request.pk, "w1")
    with engine.Heartbeat(request.pk, "w1") as first:
        thread = engine.Heartbeat._thread
        with engine.Heartbeat(request.pk + 1000, "w1"):
            assert engine.Heartbeat._thread is thread  # one thread per process, kept
        type(request).objects.filter(pk=request.pk).update(heartbeat_at=None)
        assert engine.Heartbeat.beat() == 1
        request.refresh_from_db()
        assert request.heartbeat_at is not None and request.heartbeat_at >= claimed.heartbeat_at
    assert first.request_id not in engine.Heartbeat._in_flight
    type(request).objects.filter(pk=request.pk).update(heartbeat_at=None)
    assert engine.Heartbeat.beat() == 0
    request.refresh_from_db()
    assert request.heartbeat_at is None and thread.is_alive()


def test_with_server_side_binding_each_statement_goes_on_its_own(
    personas, petstore, dev, recording_driver, monkeypatch
):
    """Server-side binding prepares every query, and a prepared query holds one statement."""
    options = {**connection.settings_dict.get("OPTIONS", {}), "server_side_binding": True}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert not batched_writes.several_statements_per_query()
    request = submit(personas, petstore, dev, "queue", QUEUE)
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert request.events.last().message == "Succeeded: every step is done"
