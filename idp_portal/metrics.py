"""The portal's own Prometheus metrics (prometheus-client), served at /metrics.

- requests by view, method and status, and their latency by view (RequestMetricsMiddleware);
  the view label is the resolved URL name, never the path, so ids in paths add no series;
- Celery tasks by name and final state, and their durations (task signals, in the process
  that runs the task: the worker serves them on WORKER_METRICS_PORT, see `serve_worker`);
- read when scraped, one cheap query each (StateCollector): the broker's queue depth (Redis
  only) and provisioning requests by state.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by
the processes: prometheus-client then keeps each process's values in files there and /metrics
adds them up (its multiprocess mode).
"""

import logging
import os
import time

from celery.signals import task_postrun, task_prerun, worker_init
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpRequest
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)
# The *_created series double the output and no dashboard or alert of ours reads them.
disable_created_metrics()

UNRESOLVED = "<unresolved>"  # a 404 that matched no URL: one series for every unknown path
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "portal_http_requests", "HTTP requests answered", ["view", "method", "status"]
)
HTTP_DURATION = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by view",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CELERY_TASKS = Counter("portal_celery_tasks", "Celery tasks run, by final state", ["task", "state"])
CELERY_DURATION = Histogram(
    "portal_celery_task_duration_seconds",
    "Time a Celery task ran, by task",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0),
)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# --- HTTP --------------------------------------------------------------------------------


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else UNRESOLVED


class RequestMetricsMiddleware:
    """Counts every response and times it, labelled by the URL name the request resolved to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_DURATION.labels(view).observe(time.perf_counter() - started)
        return response


# --- Celery ------------------------------------------------------------------------------


@task_prerun.connect(weak=False)
def _task_started(task=None, **kwargs) -> None:
    if task is not None:
        task.request.metrics_started = time.perf_counter()


@task_postrun.connect(weak=False)
def _task_finished(task=None, state=None, **kwargs) -> None:
    """Counted once a run ends: success, failure, or retry (a retry is counted again)."""
    if task is None:
        return
    CELERY_TASKS.labels(task.name, (state or "unknown").lower()).inc()
    started = getattr(task.request, "metrics_started", None)
    if started is not None:
        CELERY_DURATION.labels(task.name).observe(time.perf_counter() - started)


def worker_registry() -> CollectorRegistry:
    """The worker's metrics: every pool process's, in multiprocess mode."""
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@worker_init.connect(weak=False)
def serve_worker(**kwargs):
    """In the Celery worker's main process: serve the task metrics on WORKER_METRICS_PORT
    (the server, or None when not asked for).

    Tasks run in pool processes, so with the prefork pool their counts reach this server only
    through PROMETHEUS_MULTIPROC_DIR (the worker's own, not shared with the web server). It
    shows task counts only, without a token: keep the port inside the cluster."""
    port = getattr(settings, "WORKER_METRICS_PORT", 0)
    if not port:
        return None
    server, _ = start_http_server(port, registry=worker_registry())
    logger.info("task metrics served on port %s at /metrics", port)
    return server


# --- state read at scrape time -----------------------------------------------------------


def _redis_queue_keys(queue: str) -> list[str]:
    """kombu's Redis transport keeps one list per priority step: `name`, `name\\x06\\x163`…"""
    return [queue] + [f"{queue}\x06\x16{step}" for step in (3, 6, 9)]


def queue_depths(broker_url: str, queues: list[str]) -> dict[str, int] | None:
    """Messages waiting per queue (Redis LLEN in one round trip); None for other brokers or
    when Redis does not answer (the gauge is then absent rather than a false zero)."""
    if not broker_url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                for key in _redis_queue_keys(queue):
                    pipe.llen(key)
            lengths = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("queue depth not read: %s: %s", exc.__class__.__name__, exc)
        return None
    per_queue = len(_redis_queue_keys(""))
    return {q: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, q in enumerate(queues)}


def requests_by_state() -> dict[str, int]:
    """Provisioning requests per state (one GROUP BY), every state present, zeros included."""
    from provisioning.choices import RequestState
    from provisioning.models import ProvisioningRequest

    counts = dict.fromkeys(RequestState.values, 0)
    rows = ProvisioningRequest.objects.order_by().values_list("state").annotate(n=Count("pk"))
    counts.update(dict(rows))
    return counts


class StateCollector:
    """Gauges computed when Prometheus scrapes, from the broker and the database."""

    def collect(self):
        from idp_portal.celery import app

        queues = [app.conf.task_default_queue]
        depths = queue_depths(str(app.conf.broker_url or ""), queues)
        if depths is not None:
            gauge = GaugeMetricFamily(
                "portal_celery_queue_depth", "Messages waiting in the broker", labels=["queue"]
            )
            for queue, depth in depths.items():
                gauge.add_metric([queue], depth)
            yield gauge
        try:
            counts = requests_by_state()
        except DatabaseError as exc:  # the rest of /metrics still helps to find out why
            logger.warning("request states not read: %s: %s", exc.__class__.__name__, exc)
            return
        states = GaugeMetricFamily(
            "portal_provisioning_requests", "Provisioning requests by state", labels=["state"]
        )
        for state, count in counts.items():
            states.add_metric([state], count)
        yield states


def exposition() -> bytes:
    """Everything /metrics shows: this process's (or all processes') metrics, then the state."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(StateCollector())
    return own + generate_latest(state)
