"""/metrics: who may read it, and that it counts what the issue asks (requests by view and
status, latency, Celery tasks, queue depth, provisioning requests by state)."""

import re
import socket
import urllib.request

import pytest
import redis
from prometheus_client import REGISTRY

from idp_portal.celery import app as celery_app
from idp_portal.metrics import UNRESOLVED, exposition, queue_depths, serve_worker
from provisioning.choices import RequestState
from provisioning.models import ProvisioningRequest
from tests.helpers import run_portal

REDIS_DB = "redis://127.0.0.1:6379/14"


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def gauge_in(text: str, name: str, **labels) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


@celery_app.task(name="tests.metrics.succeed")
def succeed() -> str:
    return "ok"


@celery_app.task(name="tests.metrics.fail")
def fail() -> None:
    raise RuntimeError("the task failed on purpose")


# --- who may read it ---------------------------------------------------------------------


@pytest.mark.django_db
def test_under_debug_without_a_token_anyone_reads_the_metrics(client, settings):
    settings.DEBUG, settings.METRICS_TOKEN = True, ""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "portal_provisioning_requests" in response.content.decode()


def test_in_production_without_a_token_the_metrics_are_closed_and_say_why(client, settings):
    settings.DEBUG, settings.METRICS_TOKEN = False, ""
    response = client.get("/metrics")
    assert response.status_code == 403
    assert "until METRICS_TOKEN is set" in response.json()["error"]


@pytest.mark.parametrize("authorization", ["", "Bearer wrong", "Basic c2NyYXBlcg==", "Bearer"])
def test_with_a_token_only_its_bearer_reads_the_metrics(client, settings, authorization):
    settings.METRICS_TOKEN = "scrape-secret-1"
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


@pytest.mark.django_db
def test_the_token_opens_the_metrics_without_a_session(client, settings):
    settings.DEBUG, settings.METRICS_TOKEN = False, "scrape-secret-1"
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-1")
    assert response.status_code == 200


# --- what it counts ----------------------------------------------------------------------


def test_requests_are_counted_by_url_name_method_and_status(client):
    labels = {"view": "healthz", "method": "GET", "status": "200"}
    before = sample("portal_http_requests_total", **labels)
    timed = sample("portal_http_request_duration_seconds_count", view="healthz")
    client.get("/healthz")
    assert sample("portal_http_requests_total", **labels) == before + 1
    assert sample("portal_http_request_duration_seconds_count", view="healthz") == timed + 1


@pytest.mark.django_db
def test_paths_that_match_no_url_share_one_series(client):
    labels = {"view": UNRESOLVED, "method": "GET", "status": "404"}
    before = sample("portal_http_requests_total", **labels)
    client.get("/no-such-page-1/")
    client.get("/no-such-page-2/")
    assert sample("portal_http_requests_total", **labels) == before + 2
    assert "no-such-page" not in exposition().decode()


def test_a_path_with_ids_is_labelled_by_its_url_name(client):
    """The catalog's service page: one series whatever the service (sign-in redirect here)."""
    view = "catalog:service_detail"
    before = sample("portal_http_requests_total", view=view, method="GET", status="302")
    client.get("/catalog/services/default/petstore/")
    client.get("/catalog/services/default/billing/")
    assert sample("portal_http_requests_total", view=view, method="GET", status="302") == before + 2


def test_celery_tasks_are_counted_by_final_state_and_timed():
    done = sample("portal_celery_tasks_total", task=succeed.name, state="success")
    failed = sample("portal_celery_tasks_total", task=fail.name, state="failure")
    timed = sample("portal_celery_task_duration_seconds_count", task=succeed.name)
    succeed.apply()
    fail.apply()
    assert sample("portal_celery_tasks_total", task=succeed.name, state="success") == done + 1
    assert sample("portal_celery_tasks_total", task=fail.name, state="failure") == failed + 1
    assert sample("portal_celery_task_duration_seconds_count", task=succeed.name) == timed + 1


@pytest.mark.django_db
def test_provisioning_requests_are_gauged_by_state_in_one_query(
    personas, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(celery_app.conf, "broker_url", "filesystem://")
    for state in (RequestState.QUEUED, RequestState.QUEUED, RequestState.FAILED):
        ProvisioningRequest.objects.create(
            requester=personas.owner, team=personas.team, type="bucket", state=state
        )
    with django_assert_num_queries(1):
        text = exposition().decode()
    assert gauge_in(text, "portal_provisioning_requests", state="queued") == 2
    assert gauge_in(text, "portal_provisioning_requests", state="failed") == 1
    assert gauge_in(text, "portal_provisioning_requests", state="running") == 0


@pytest.fixture
def broker_db():
    client = redis.Redis.from_url(REDIS_DB)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"these tests need Redis at {REDIS_DB}")
    client.flushdb()
    yield client
    client.flushdb()


def test_queue_depth_adds_up_every_priority_list_of_a_queue(broker_db):
    broker_db.rpush("celery", "m1", "m2", "m3")
    broker_db.rpush("celery\x06\x166", "m4")
    broker_db.rpush("other", "m5")
    assert queue_depths(REDIS_DB, ["celery", "other", "empty"]) == {
        "celery": 4,
        "other": 1,
        "empty": 0,
    }


@pytest.mark.django_db
def test_queue_depth_is_on_the_metrics_page_with_a_redis_broker(broker_db, monkeypatch):
    # Celery prefers CELERY_BROKER_URL from the environment (CI sets it) to its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", REDIS_DB)
    monkeypatch.setattr(celery_app.conf, "broker_url", REDIS_DB)
    broker_db.rpush("celery", "m1", "m2")
    assert gauge_in(exposition().decode(), "portal_celery_queue_depth", queue="celery") == 2


def test_queue_depth_is_absent_for_other_brokers_and_when_redis_does_not_answer():
    assert queue_depths("filesystem://", ["celery"]) is None
    assert queue_depths("redis://127.0.0.1:1/0", ["celery"]) is None


def test_a_worker_serves_its_task_metrics_on_its_port(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.WORKER_METRICS_PORT = probe.getsockname()[1]
    server = serve_worker()
    try:
        succeed.apply()
        url = f"http://127.0.0.1:{settings.WORKER_METRICS_PORT}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    done = gauge_in(text, "portal_celery_tasks_total", state="success", task=succeed.name)
    assert done is not None and done >= 1


def test_without_a_port_a_worker_serves_nothing(settings):
    settings.WORKER_METRICS_PORT = 0
    assert serve_worker() is None


def test_gunicorn_workers_metrics_add_up_in_multiprocess_mode(tmp_path):
    """Two processes answer a request each; a third one's /metrics output shows both."""
    env = {
        "DEBUG": "true",
        "IDP_DATA_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "testserver",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "CELERY_BROKER_URL": "filesystem://",
    }
    (tmp_path / "prom").mkdir()
    answer = (
        "import django; django.setup(); from django.test import Client; Client().get('/healthz')"
    )
    for _ in range(2):
        assert run_portal(["-c", answer], env).returncode == 0
    read = (
        "import django; django.setup(); from idp_portal.metrics import exposition;"
        "print(exposition().decode())"
    )
    result = run_portal(["-c", read], {**env, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    labels = {"method": "GET", "status": "200", "view": "healthz"}
    assert gauge_in(result.stdout, "portal_http_requests_total", **labels) == 2, result.stderr
