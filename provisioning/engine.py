"""Apply a queued request: claim it, run each step's idempotent ensure, record everything.

The database row is the job: a worker claims it with a conditional update, proves it is alive
with a heartbeat, and leaves every step's state, attempts and outcome behind, so another worker
(or a retry after a failure) carries on from the first step that has not succeeded.
"""

import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from provisioning.choices import EventKind, RequestState, ResourceState, StepState
from provisioning.drivers.base import (
    DriverError,
    EnsureResult,
    PlannedResource,
    ResourceMissing,
    TransientError,
)
from provisioning.drivers.registry import get_driver
from provisioning.extensions import after_request, rendered
from provisioning.models import ProvisionedResource, ProvisioningRequest, RequestStep
from provisioning.services import enqueue, record

logger = logging.getLogger(__name__)

# A running request whose heartbeat is older than this is presumed orphaned by a dead worker.
LEASE = timedelta(seconds=getattr(settings, "PROVISIONING_LEASE_SECONDS", 60))
# A queued request untouched for this long is presumed to have lost its broker message. Longer
# than the lease: under load a request legitimately waits minutes for a free worker, and
# re-sending then only adds messages the claim turns away.
QUEUED_RESEND = timedelta(seconds=getattr(settings, "PROVISIONING_QUEUED_RESEND_SECONDS", 600))
# One step may be tried this many times (transient errors and worker deaths together).
MAX_ATTEMPTS = getattr(settings, "PROVISIONING_MAX_ATTEMPTS", 6)
# A request of thousands of steps (an observability backfill) runs in slices: past this many
# seconds the worker queues it again between two steps, so no task reaches Celery's soft time
# limit (which would fail the step it interrupts).
SLICE_SECONDS = getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", 900) / 2
BACKOFF_BASE, BACKOFF_CAP = 2.0, 120.0


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: float | None = None


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: a random delay up to base·2^attempt, capped."""
    return random.uniform(BACKOFF_BASE / 2, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


def claim(request_id: int, worker: str) -> bool:
    """Take a queued request; exactly one worker wins, duplicates of the message do nothing."""
    now = timezone.now()
    return bool(
        ProvisioningRequest.objects.filter(pk=request_id, state=RequestState.QUEUED).update(
            state=RequestState.RUNNING,
            worker=worker,
            heartbeat_at=now,
            started_at=Coalesce(F("started_at"), now),
        )
    )


class Heartbeat:
    """Touch the request's heartbeat from a side thread while a step is in flight."""

    def __init__(self, request_id: int, worker: str):
        self.request_id, self.worker = request_id, worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self._stop.wait(LEASE.total_seconds() / 4):
                try:
                    ProvisioningRequest.objects.filter(
                        pk=self.request_id, state=RequestState.RUNNING, worker=self.worker
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    # The database restarted or blipped: reconnect on the next beat. If it stays
                    # away past the lease, the reconciler hands the request to another worker.
                    logger.warning("heartbeat of request %s failed; retrying", self.request_id)
                    connection.close()
        finally:
            connection.close()


def apply(request_id: int, worker: str) -> Outcome:
    """Run a queued request to the end, to a retry, or to a readable failure.

    Stale database connections are Celery's to recycle (its Django fixup closes them around
    every task), not ours: closing here would also break a caller's open transaction.
    """
    if not claim(request_id, worker):
        return Outcome("nothing to do")
    request = ProvisioningRequest.objects.get(pk=request_id)
    record(request, "worker", EventKind.TRANSITION, f"running on {worker}")
    started, ran = time.monotonic(), False
    with Heartbeat(request_id, worker):
        for step in request.steps.order_by("position"):
            if step.state == StepState.SUCCEEDED:
                continue
            if ran and time.monotonic() - started > SLICE_SECONDS:
                return _next_slice(request, step)
            outcome, ran = _run_step(request, step), True
            if outcome is not None:
                return outcome
    _finish(request, RequestState.SUCCEEDED, "")
    return Outcome(RequestState.SUCCEEDED)


def _run_step(request: ProvisioningRequest, step: RequestStep) -> Outcome | None:
    if step.state == StepState.RUNNING:
        record(
            request,
            "worker",
            EventKind.INFO,
            f"step {step.position + 1} was interrupted (attempt {step.attempts}); running it again",
        )
    if step.attempts >= MAX_ATTEMPTS:
        return _fail(
            request,
            step,
            f"gave up after {step.attempts} attempts: the last one said "
            f"'{step.message or 'no answer (the worker stopped)'}'. Retry when the cause is fixed.",
        )
    step.attempts += 1
    step.state, step.started_at = StepState.RUNNING, timezone.now()
    step.save(update_fields=["attempts", "state", "started_at"])
    resource = PlannedResource.from_json(step.resource)
    record(
        request,
        "worker",
        EventKind.CALL,
        f"{resource.provider}: ensure {resource.kind} {resource.name} (attempt {step.attempts})",
    )
    try:
        resource = rendered(resource)  # a step stored as inputs becomes the whole resource now
        result = _decommission(resource) if step.action == "decommission" else _ensure(resource)
    except TransientError as exc:
        return _retry_later(request, step, str(exc))
    except DriverError as exc:
        return _fail(request, step, str(exc))
    except Exception as exc:  # a bug must fail the step visibly, not kill the worker in a loop
        logger.exception("unexpected error in request %s step %s", request.pk, step.position)
        return _fail(
            request,
            step,
            f"unexpected error in the portal ({exc.__class__.__name__}); "
            "the platform team has the details in the worker log",
        )
    _succeed(request, step, resource, result)
    return None


def _ensure(resource: PlannedResource) -> EnsureResult:
    driver = get_driver(resource.provider)
    if resource.kind == "kv-secret":
        return driver.ensure(resource, secrets=_new_credentials(resource))
    if resource.kind == "rds-instance" and (path := resource.config.get("credentials_path")):
        stored = get_driver("vault").read_secret(path["mount"], path["path"]) or {}
        if not stored.get("password"):
            raise DriverError(
                f"no database password at {path['mount']}/{path['path']}: retry the request"
            )
        return driver.ensure(resource, secrets={"password": stored["password"]})
    return driver.ensure(resource)


def _decommission(resource: PlannedResource) -> EnsureResult:
    return get_driver(resource.provider).decommission(resource)


def _new_credentials(resource: PlannedResource) -> dict:
    """Fresh credentials; the Vault driver keeps an existing secret rather than overwrite it."""
    return {
        "username": "app",
        "password": secrets.token_urlsafe(32),
        "host": "",
        "port": "5432",
        "dbname": resource.config.get("path", "").split("/")[1].replace("-", "_")
        if "/" in resource.config.get("path", "")
        else "app",
    }


def _succeed(request, step: RequestStep, resource: PlannedResource, result: EnsureResult) -> None:
    step.state, step.finished_at = StepState.SUCCEEDED, timezone.now()
    step.outcome, step.identifier = result.outcome, result.identifier
    step.message = result.message or f"{result.outcome} {resource.kind} {resource.name}"
    step.save(update_fields=["state", "finished_at", "outcome", "identifier", "message"])
    inventory = ProvisionedResource.objects.filter(
        provider=resource.provider, kind=resource.kind, name=resource.name
    )
    if step.action == "decommission":
        inventory.delete()  # the name is free for a new request again
    else:
        inventory.update(
            state=ResourceState.ACTIVE,
            identifier=result.identifier,
            tags=resource.tags,
            config=resource.config,
            drift=[],
            last_checked_at=timezone.now(),
        )
    record(request, "worker", EventKind.CALL, f"{resource.provider}: {step.message}")


def _retry_later(request, step: RequestStep, message: str) -> Outcome:
    delay = backoff(step.attempts)
    step.state, step.message = StepState.PENDING, message
    step.save(update_fields=["state", "message"])
    # Queued again; the heartbeat is set to when the retry is due so the reconciler waits for it.
    ProvisioningRequest.objects.filter(pk=request.pk).update(
        state=RequestState.QUEUED, heartbeat_at=timezone.now() + timedelta(seconds=delay)
    )
    record(
        request,
        "worker",
        EventKind.RETRY,
        f"temporary error: {message}; retrying in {delay:.0f}s "
        f"(attempt {step.attempts} of {MAX_ATTEMPTS})",
    )
    return Outcome(RequestState.QUEUED, retry_in=delay)


def _next_slice(request, step: RequestStep) -> Outcome:
    """Queue the request again from `step`; the task sends itself again at once."""
    ProvisioningRequest.objects.filter(pk=request.pk).update(
        state=RequestState.QUEUED, heartbeat_at=timezone.now()
    )
    record(
        request,
        "worker",
        EventKind.INFO,
        f"ran {SLICE_SECONDS:.0f}s: continuing from step {step.position + 1} in a new task",
    )
    return Outcome(RequestState.QUEUED, retry_in=0)


def _fail(request, step: RequestStep, message: str) -> Outcome:
    step.state, step.message, step.finished_at = StepState.FAILED, message, timezone.now()
    step.save(update_fields=["state", "message", "finished_at"])
    record(request, "worker", EventKind.ERROR, f"step {step.position + 1} failed: {message}")
    _finish(request, RequestState.FAILED, message)
    return Outcome(RequestState.FAILED)


def _finish(request, state: str, failure: str) -> None:
    ProvisioningRequest.objects.filter(pk=request.pk).update(
        state=state, failure=failure, finished_at=timezone.now(), heartbeat_at=None
    )
    said = f"Failed: {failure}" if failure else f"{state.capitalize()}: every step is done"
    record(request, "worker", EventKind.TRANSITION, said)
    after_request(request)


def reconcile_stalled(now=None) -> list[int]:
    """Re-queue requests whose worker died (stale heartbeat) or whose message was lost.

    1. running with a heartbeat older than the lease: the worker is gone, queue again;
    2. queued and untouched for QUEUED_RESEND: the broker lost the message, send it again.
    The claim in `apply` makes a duplicate message harmless.
    """
    now = now or timezone.now()
    stalled = Q(state=RequestState.RUNNING, heartbeat_at__lt=now - LEASE) | Q(
        state=RequestState.QUEUED, heartbeat_at__lt=now - QUEUED_RESEND
    )
    requeued = []
    for request in ProvisioningRequest.objects.filter(stalled):
        was_running = request.state == RequestState.RUNNING
        changed = ProvisioningRequest.objects.filter(
            pk=request.pk, state=request.state, heartbeat_at=request.heartbeat_at
        ).update(state=RequestState.QUEUED, heartbeat_at=now)
        if not changed:
            continue
        request.refresh_from_db()
        why = (
            f"worker {request.worker or '?'} stopped responding; re-queued"
            if was_running
            else "the queued message was lost; sent again"
        )
        enqueue(request, "reconciler", why)
        requeued.append(request.pk)
    return requeued


def check_drift(resource: ProvisionedResource) -> str:
    """Compare one inventory row with the real thing; record and return its new state."""
    planned = PlannedResource(
        resource.provider, resource.kind, resource.name, resource.tags, resource.config
    )
    try:
        differences = get_driver(resource.provider).check_drift(planned)
    except ResourceMissing:
        state, differences = (
            ResourceState.MISSING,
            [f"{resource.kind} {resource.name} no longer exists"],
        )
    except DriverError as exc:
        logger.info("drift check of %s skipped: %s", resource.name, exc)
        return resource.state
    else:
        state = ResourceState.DRIFTED if differences else ResourceState.ACTIVE
    ProvisionedResource.objects.filter(pk=resource.pk).update(
        state=state, drift=differences, last_checked_at=timezone.now()
    )
    return state


def check_all_drift() -> dict[str, int]:
    """Check every live resource whose provider is connected; count the resulting states."""
    from provisioning.drivers.registry import connection_statuses

    connected = [p for p, (ok, _) in connection_statuses().items() if ok]
    counts: dict[str, int] = {}
    live = ProvisionedResource.objects.filter(
        provider__in=connected,
        state__in=[ResourceState.ACTIVE, ResourceState.DRIFTED, ResourceState.MISSING],
    )
    for resource in live.iterator():
        state = check_drift(resource)
        counts[state] = counts.get(state, 0) + 1
    return counts
