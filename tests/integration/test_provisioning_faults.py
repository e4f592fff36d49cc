"""Faults with real components: Celery worker processes on Redis, PostgreSQL, a moto server
behind a fault-injecting proxy. Nothing is lost, nothing is made twice."""

import os
import shutil
import subprocess
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from provisioning import engine, services
from provisioning.choices import RequestState
from provisioning.models import ProvisionedResource, ProvisioningRequest
from tests.factories import make_component
from tests.integration.conftest import kill_worker, needs_redis_and_postgres, wait_for, worker_log
from tests.provisioning.conftest import default_environment

pytestmark = needs_redis_and_postgres

QUEUE = {
    "purpose": "events",
    "fifo": False,
    "dead_letter": True,
    "max_receive_count": 5,
    "visibility_timeout": 30,
    "retention_days": 4,
}


def bucket(purpose: str) -> dict:
    return {"purpose": purpose, "versioning": True, "encryption": "AES256", "lifecycle": "none"}


@pytest.fixture
def setup(transactional_db, personas, fault_proxy):
    petstore = make_component("petstore", owner=personas.team)
    env = {
        "AWS_ENDPOINT_URL": fault_proxy.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    return personas, petstore, default_environment("dev"), env


def state_of(request_id: int) -> str:
    return ProvisioningRequest.objects.get(pk=request_id).state


def reconcile_as_if_the_lease_ran_out() -> list[int]:
    """What the beat task does once a lease has passed, without waiting for it."""
    later = max(engine.LEASE, engine.QUEUED_RESEND) + timedelta(seconds=1)
    return engine.reconcile_stalled(now=timezone.now() + later)


def queue_names(aws) -> list[str]:
    urls = aws.client("sqs").list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[-1] for url in urls)


def test_a_killed_worker_is_replaced_and_each_queue_exists_once(
    setup, aws, fault_proxy, worker_factory
):
    personas, petstore, dev, env = setup
    fault_proxy.delay("CreateQueue", seconds=4)  # the first create is in flight when we kill
    request = services.submit_request(personas.teammate, "queue", petstore, dev, QUEUE)
    first = worker_factory("doomed", env)
    assert wait_for(lambda: fault_proxy.count("CreateQueue") >= 1, timeout=30), worker_log(first)
    kill_worker(first)
    assert state_of(request.pk) == RequestState.RUNNING  # orphaned mid-step

    worker_factory("rescuer", env)
    assert reconcile_as_if_the_lease_ran_out() == [request.pk]
    assert wait_for(lambda: state_of(request.pk) == RequestState.SUCCEEDED, timeout=60)

    assert queue_names(aws) == ["payments-petstore-dev-events", "payments-petstore-dev-events-dlq"]
    assert ProvisionedResource.objects.filter(request=request).count() == 2
    log = " | ".join(request.events.values_list("message", flat=True))
    assert "stopped responding; re-queued" in log and "was interrupted" in log


def test_flushing_redis_loses_no_request(setup, aws, worker_factory):
    personas, petstore, dev, env = setup
    requests = [
        services.submit_request(personas.teammate, "s3-bucket", petstore, dev, bucket(f"b{i}"))
        for i in range(5)
    ]
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # every queued message is gone
    worker_factory("after-flush", env)
    time.sleep(2)
    assert {state_of(r.pk) for r in requests} == {RequestState.QUEUED}
    assert sorted(reconcile_as_if_the_lease_ran_out()) == sorted(r.pk for r in requests)
    assert wait_for(
        lambda: all(state_of(r.pk) == RequestState.SUCCEEDED for r in requests), timeout=90
    )
    buckets = {b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]}
    assert {f"payments-petstore-dev-b{i}" for i in range(5)} <= buckets


def test_throttling_then_success_and_a_permanent_error_then_retry(
    setup, aws, fault_proxy, worker_factory
):
    personas, petstore, dev, env = setup
    fault_proxy.throttle("CreateBucket", times=4)  # more than botocore's own 3 attempts
    request = services.submit_request(
        personas.teammate, "s3-bucket", petstore, dev, bucket("assets")
    )
    worker_factory("w", env)
    assert wait_for(lambda: state_of(request.pk) == RequestState.SUCCEEDED, timeout=90)
    assert request.events.filter(kind="retry").exists()

    fault_proxy.fail(
        "CreateBucket", times=1, status=403, code="AccessDenied", message="Access Denied"
    )
    second = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, bucket("logs"))
    assert wait_for(lambda: state_of(second.pk) == RequestState.FAILED, timeout=60)
    second.refresh_from_db()
    assert "ask the platform team" in second.failure or "Access Denied" in second.failure
    assert services.retry_request(second, personas.teammate)
    assert wait_for(lambda: state_of(second.pk) == RequestState.SUCCEEDED, timeout=60)


def test_a_lost_create_response_is_found_by_name_not_made_twice(
    setup, aws, fault_proxy, worker_factory
):
    personas, petstore, dev, env = setup
    fault_proxy.lose_response("CreateQueue", times=3)  # botocore retries inside the call, too
    request = services.submit_request(
        personas.teammate, "queue", petstore, dev, {**QUEUE, "dead_letter": False}
    )
    worker_factory("w", env)
    assert wait_for(lambda: state_of(request.pk) == RequestState.SUCCEEDED, timeout=90)
    assert queue_names(aws) == ["payments-petstore-dev-events"]


def test_two_people_claiming_one_name_at_once_get_one_resource(setup, aws):
    personas, petstore, dev, env = setup
    outcomes = []

    def claim(user):
        try:
            services.submit_request(user, "s3-bucket", petstore, dev, bucket("shared"))
            outcomes.append("created")
        except services.NameTaken as exc:
            outcomes.append(f"{exc} <- {exc.__cause__!r}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(u,)) for u in (personas.owner, personas.teammate)
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert outcomes.count("created") == 1
    assert any("already taken" in o or "just taken" in o for o in outcomes if o != "created")
    assert ProvisionedResource.objects.filter(name="payments-petstore-dev-shared").count() == 1


def _restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.skipif(
    not shutil.which("pg_ctlcluster") or os.geteuid() != 0,
    reason="restarting PostgreSQL needs pg_ctlcluster and root (both present in CI)",
)
def test_the_database_restarting_under_the_workers_loses_nothing(
    setup, aws, fault_proxy, worker_factory
):
    personas, petstore, dev, env = setup
    fault_proxy.delay("CreateQueue", seconds=3)
    request = services.submit_request(
        personas.teammate, "queue", petstore, dev, {**QUEUE, "dead_letter": False}
    )
    worker = worker_factory("w", {**env, "PROVISIONING_LEASE_SECONDS": "5"})
    assert wait_for(lambda: fault_proxy.count("CreateQueue") >= 1, timeout=30), worker_log(worker)
    _restart_postgres()  # while the worker waits on AWS; its connection dies under it
    connection.close()  # ours died too; the next query reconnects
    assert wait_for(lambda: psycopg_ready(), timeout=60)

    def finished() -> bool:
        # What the beat task does every 15 s: a request whose worker lost its footing is re-queued.
        reconcile_as_if_the_lease_ran_out() if state_of(
            request.pk
        ) == RequestState.RUNNING else None
        return state_of(request.pk) == RequestState.SUCCEEDED

    assert wait_for(finished, timeout=90, interval=2), worker_log(worker)
    assert queue_names(aws) == ["payments-petstore-dev-events"]


def psycopg_ready() -> bool:
    try:
        connection.ensure_connection()
        return True
    except Exception:
        connection.close()
        return False
