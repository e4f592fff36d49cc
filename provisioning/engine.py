"""Apply a queued request: claim it, run each step's idempotent ensure, record everything.

The database row is the job: a worker claims it with a conditional update, proves it is alive
with a heartbeat, and leaves every step's state, attempts and outcome behind, so another worker
(or a retry after a failure) carries on from the first step that has not succeeded.
"""

import logging
import os
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.db.models.sql import DeleteQuery
from django.utils import timezone

from provisioning.batched_writes import (
    insert_statements,
    instances,
    send_together,
    several_statements_per_query,
    update_statement,
)
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
from provisioning.models import (
    ProvisionedResource,
    ProvisioningRequest,
    RequestEvent,
    RequestStep,
)
from provisioning.services import enqueue, log_event, new_event

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


def claim(request_id: int, worker: str) -> ProvisioningRequest | None:
    """Take a queued request with one `UPDATE … RETURNING`: exactly one worker gets the row
    back, a duplicate of the message gets None."""
    now = ProvisioningRequest._meta.get_field("heartbeat_at").get_db_prep_value(
        timezone.now(), connection
    )
    params = [RequestState.RUNNING, worker, now, now, request_id, RequestState.QUEUED]
    return next(iter(ProvisioningRequest.objects.raw(_claim_sql()[0], params)), None)


def claim_with_steps(request_id: int, worker: str) -> tuple[ProvisioningRequest | None, list]:
    """The claim and, when it took the request, its steps in position order (two round trips:
    where one query may hold several statements, `claim_and_start` does more in one)."""
    request = claim(request_id, worker)
    if request is None:
        return None, []
    return request, list(RequestStep.objects.filter(request_id=request_id).order_by("position"))


@dataclass(frozen=True)
class Claim:
    """What `claim_and_start` took: the request (None: another worker has it), its steps as
    stored after the claim, the step it started (if any), and whether it stored its event."""

    request: ProvisioningRequest | None
    steps: list
    started_step: int | None = None
    event_stored: bool = False


def claim_and_start(request_id: int, worker: str) -> Claim:
    """`claim_with_steps`, and on PostgreSQL, in the same transaction, the claim's event and
    the start of the first step left to run when it is pending with attempts to spare (its
    attempt counted, its call event stored, as `_start_step` would): one round trip where the
    start was another. Elsewhere nothing but the claim (`_start_step` starts the step)."""
    if not several_statements_per_query():
        return Claim(*claim_with_steps(request_id, worker))
    now = timezone.now()
    steps_sql, start_sql = _claim_sql()[1], _start_sql()
    db_now = ProvisioningRequest._meta.get_field("heartbeat_at").get_db_prep_value(now, connection)
    params = [
        RequestState.RUNNING, worker, db_now, db_now, request_id, RequestState.QUEUED,
        request_id, StepState.SUCCEEDED,
        StepState.RUNNING, db_now, StepState.PENDING, MAX_ATTEMPTS,
        request_id, db_now, EventKind.TRANSITION, f"running on {worker}",
        request_id, db_now, EventKind.CALL,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"{start_sql};\n{steps_sql}", [*params, request_id])
        claimed = cursor.fetchall()
        cursor.nextset()
        step_rows = cursor.fetchall()
    if not claimed:
        return Claim(None, [])
    request = instances(ProvisioningRequest, [row[:-1] for row in claimed])[0]
    steps, started = instances(RequestStep, step_rows), claimed[0][-1]
    log_event(request_id, "worker", EventKind.TRANSITION, f"running on {worker}")
    for step in steps:
        if step.pk == started:
            log_event(request_id, "worker", EventKind.CALL, _call(step))
    return Claim(request, steps, started, event_stored=True)


def _call(step: RequestStep) -> str:
    """The call event of a step's start (the claim's query writes the same in SQL)."""
    r = step.resource
    return f"{r['provider']}: ensure {r['kind']} {r['name']} (attempt {step.attempts})"


def _start_sql() -> str:
    """The claim (returning the request's columns and the id of the step it started), the
    start of the first step left when it is pending with attempts to spare, and their events
    (the call event's message as `_call` makes it), in one statement."""
    if (built := _START_SQL.get(connection.vendor)) is not None:
        return built
    quote = connection.ops.quote_name
    request, step, event = (
        quote(m._meta.db_table) for m in (ProvisioningRequest, RequestStep, RequestEvent)
    )
    columns = ", ".join(quote(f.column) for f in ProvisioningRequest._meta.concrete_fields)
    sql = f"""WITH claimed AS (
    UPDATE {request} SET state = %s, worker = %s, heartbeat_at = %s,
        started_at = COALESCE(started_at, %s)
    WHERE id = %s AND state = %s RETURNING {columns}
), first AS (
    SELECT id FROM {step} WHERE request_id = %s AND state <> %s
        AND EXISTS (SELECT 1 FROM claimed) ORDER BY position LIMIT 1
), started AS (
    UPDATE {step} SET attempts = attempts + 1, state = %s, started_at = %s
    WHERE id = (SELECT id FROM first) AND state = %s AND attempts < %s
    RETURNING id, attempts, resource
), logged AS (
    INSERT INTO {event} (request_id, at, actor, kind, message)
    SELECT %s, %s, 'worker', %s, %s FROM claimed
    UNION ALL
    SELECT %s, %s + interval '1 microsecond', 'worker', %s,
        (resource->>'provider') || ': ensure ' || (resource->>'kind') || ' '
        || (resource->>'name') || ' (attempt ' || attempts || ')'
    FROM started
)
SELECT {columns}, (SELECT id FROM started) FROM claimed"""  # noqa: S608 - names only
    _START_SQL[connection.vendor] = sql
    return sql


# The claim's SQL (UPDATE … RETURNING every column) and the steps' SELECT (one parameter, the
# request's id), per database vendor: built once, as the names never change.
_CLAIM_SQL: dict[str, tuple[str, str]] = {}
_START_SQL: dict[str, str] = {}  # claim_and_start's statement, per vendor likewise


def _claim_sql() -> tuple[str, str]:
    if (built := _CLAIM_SQL.get(connection.vendor)) is not None:
        return built
    meta, quote = ProvisioningRequest._meta, connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    table, where = quote(meta.db_table), "WHERE id = %s AND state = %s"
    values = "state = %s, worker = %s, heartbeat_at = %s, started_at = COALESCE(started_at, %s)"
    sql = f"UPDATE {table} SET {values} {where} RETURNING {columns}"  # noqa: S608 - names only
    steps = RequestStep.objects.filter(request_id=0).order_by("position")
    steps_sql = steps.query.sql_with_params()[0]
    _CLAIM_SQL[connection.vendor] = sql, steps_sql
    return sql, steps_sql


class Writes:
    """The writes of one moment of a request (a step's start, its end, the finish), sent
    together as one transaction (`batched_writes.send_together`: one round trip on PostgreSQL);
    `steps` are the request's steps as the claim read them (kept for the after-request hooks)."""

    def __init__(self, request: ProvisioningRequest, steps: list | None = None) -> None:
        self.request, self.steps = request, steps or []
        self.statements: list[tuple[str, tuple]] = []
        self.events: list[RequestEvent] = []

    def update(self, model, where: dict, **values) -> "Writes":
        """Set `values` on the rows whose fields equal `where`'s."""
        self.statements.append(update_statement(model, where, values))
        return self

    def delete(self, model, where: dict) -> "Writes":
        query = DeleteQuery(model)
        query.add_q(Q(**where))
        self.statements.append(query.get_compiler(connection=connection).as_sql())
        return self

    def event(self, kind: str, message: str) -> "Writes":
        self.events.append(new_event(self.request, "worker", kind, message))
        return self

    def send(self) -> None:
        statements = self.statements + insert_statements(self.events)
        self.statements, self.events = [], []
        send_together(statements)


class Heartbeat:
    """Touch the heartbeat of the requests in flight while their steps run.

    One side thread per worker process, started with its first request and kept: entering and
    leaving only add and remove the request under a lock, so a request's lead time does not
    wait for a thread to start and to stop (each a trip through the OS scheduler, milliseconds
    on a busy machine)."""

    _lock = threading.Lock()
    _in_flight: dict[int, str] = {}  # request id → worker
    _thread: threading.Thread | None = None
    _pid = 0

    def __init__(self, request_id: int, worker: str):
        self.request_id, self.worker = request_id, worker

    def __enter__(self) -> "Heartbeat":
        with Heartbeat._lock:
            Heartbeat._in_flight[self.request_id] = self.worker
            # A forked worker child inherits the parent's state but not its threads.
            thread = Heartbeat._thread
            if thread is None or not thread.is_alive() or Heartbeat._pid != os.getpid():
                Heartbeat._pid = os.getpid()
                Heartbeat._thread = threading.Thread(
                    target=Heartbeat._run, name="provisioning-heartbeat", daemon=True
                )
                Heartbeat._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with Heartbeat._lock:
            Heartbeat._in_flight.pop(self.request_id, None)

    @staticmethod
    def beat() -> int:
        """Touch every request in flight (still running on its worker); how many were."""
        with Heartbeat._lock:
            in_flight = dict(Heartbeat._in_flight)
        for request_id, worker in in_flight.items():
            try:
                ProvisioningRequest.objects.filter(
                    pk=request_id, state=RequestState.RUNNING, worker=worker
                ).update(heartbeat_at=timezone.now())
            except DatabaseError:
                # The database restarted or blipped: reconnect on the next beat. If it stays
                # away past the lease, the reconciler hands the request to another worker.
                logger.warning("heartbeat of request %s failed; retrying", request_id)
                connection.close()
        return len(in_flight)

    @staticmethod
    def _run() -> None:
        while True:
            time.sleep(LEASE.total_seconds() / 4)
            try:
                if Heartbeat.beat():
                    connection.close()  # hold no idle connection between beats
            except Exception:  # the thread must outlive any one beat; the next one tries again
                logger.exception("provisioning heartbeat failed")


def apply(request_id: int, worker: str) -> Outcome:
    """Run a queued request to the end, to a retry, or to a readable failure.

    On PostgreSQL one round trip before the first step's call (the claim, its event, the first
    step's start and the steps), then one per further step's start and one per step's end; a
    step's end goes with the next step's start, the last one with the finish. Elsewhere (or
    when the first step cannot simply start: interrupted, out of attempts) the claim's event
    goes with the first step's start.

    Stale database connections are Celery's to recycle (its Django fixup closes them around
    every task), not ours: closing here would also break a caller's open transaction.
    """
    claim = claim_and_start(request_id, worker)
    if claim.request is None:
        return Outcome("nothing to do")
    writes = Writes(claim.request, claim.steps)
    if not claim.event_stored:  # it goes with the first step's start
        writes.event(EventKind.TRANSITION, f"running on {worker}")
    started, ran = time.monotonic(), False
    with Heartbeat(request_id, worker):
        for step in claim.steps:
            if step.state == StepState.SUCCEEDED:
                continue
            if ran and time.monotonic() - started > SLICE_SECONDS:
                return _next_slice(writes, step)
            outcome, ran = _run_step(writes, step, step.pk == claim.started_step), True
            if outcome is not None:
                return outcome
    _finish(writes, RequestState.SUCCEEDED, "")
    return Outcome(RequestState.SUCCEEDED)


def _run_step(writes: Writes, step: RequestStep, started: bool = False) -> Outcome | None:
    """Start the step (one transaction with the writes before it: the claim's event, the
    previous step's end) unless the claim `started` it, ensure, then leave its end to go with
    the next write."""
    if not started:
        outcome = _start_step(writes, step)
        if outcome is not None:
            return outcome
    resource = PlannedResource.from_json(step.resource)
    try:
        resource = rendered(resource)  # a step stored as inputs becomes the whole resource now
        result = _decommission(resource) if step.action == "decommission" else _ensure(resource)
    except TransientError as exc:
        return _retry_later(writes, step, str(exc), exc.retry_after)
    except DriverError as exc:
        return _fail(writes, step, str(exc))
    except Exception as exc:  # a bug must fail the step visibly, not kill the worker in a loop
        logger.exception("unexpected error in request %s step %s", step.request_id, step.position)
        return _fail(
            writes,
            step,
            f"unexpected error in the portal ({exc.__class__.__name__}); "
            "the platform team has the details in the worker log",
        )
    _succeed(writes, step, resource, result)  # sent with the next step's start or the finish
    return None


def _start_step(writes: Writes, step: RequestStep) -> Outcome | None:
    """Count the attempt and store the start with its call event (and the writes before it);
    fail the step instead when it has had its attempts."""
    if step.state == StepState.RUNNING:
        writes.event(
            EventKind.INFO,
            f"step {step.position + 1} was interrupted (attempt {step.attempts}); running it again",
        )
    if step.attempts >= MAX_ATTEMPTS:
        return _fail(
            writes,
            step,
            f"gave up after {step.attempts} attempts: the last one said "
            f"'{step.message or 'no answer (the worker stopped)'}'. Retry when the cause is fixed.",
        )
    step.attempts += 1
    step.state, step.started_at = StepState.RUNNING, timezone.now()
    writes.update(
        RequestStep, {"pk": step.pk}, attempts=step.attempts, state=step.state,
        started_at=step.started_at,
    ).event(EventKind.CALL, _call(step)).send()  # fmt: skip
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


def _succeed(writes: Writes, step: RequestStep, resource: PlannedResource, result) -> None:
    step.state, step.finished_at = StepState.SUCCEEDED, timezone.now()
    step.outcome, step.identifier = result.outcome, result.identifier
    step.message = result.message or f"{result.outcome} {resource.kind} {resource.name}"
    writes.update(
        RequestStep, {"pk": step.pk}, state=step.state, finished_at=step.finished_at,
        outcome=step.outcome, identifier=step.identifier, message=step.message,
    )  # fmt: skip
    inventory = {"provider": resource.provider, "kind": resource.kind, "name": resource.name}
    if step.action == "decommission":
        writes.delete(ProvisionedResource, inventory)  # the name is free for a new request again
    else:
        writes.update(
            ProvisionedResource, inventory, state=ResourceState.ACTIVE,
            identifier=result.identifier, tags=resource.tags, config=resource.config, drift=[],
            last_checked_at=timezone.now(),
        )  # fmt: skip
    writes.event(EventKind.CALL, f"{resource.provider}: {step.message}")


def _retry_later(
    writes: Writes, step: RequestStep, message: str, retry_after: float | None = None
) -> Outcome:
    delay = max(backoff(step.attempts), retry_after or 0.0)
    # Queued again; the heartbeat is set to when the retry is due so the reconciler waits for it.
    writes.update(RequestStep, {"pk": step.pk}, state=StepState.PENDING, message=message).update(
        ProvisioningRequest, {"pk": step.request_id}, state=RequestState.QUEUED,
        heartbeat_at=timezone.now() + timedelta(seconds=delay),
    ).event(
        EventKind.RETRY,
        f"temporary error: {message}; retrying in {delay:.0f}s "
        f"(attempt {step.attempts} of {MAX_ATTEMPTS})",
    ).send()  # fmt: skip
    return Outcome(RequestState.QUEUED, retry_in=delay)


def _next_slice(writes: Writes, step: RequestStep) -> Outcome:
    """Queue the request again from `step`; the task sends itself again at once."""
    writes.update(
        ProvisioningRequest, {"pk": step.request_id}, state=RequestState.QUEUED,
        heartbeat_at=timezone.now(),
    ).event(
        EventKind.INFO,
        f"ran {SLICE_SECONDS:.0f}s: continuing from step {step.position + 1} in a new task",
    ).send()  # fmt: skip
    return Outcome(RequestState.QUEUED, retry_in=0)


def _fail(writes: Writes, step: RequestStep, message: str) -> Outcome:
    step.state, step.message, step.finished_at = StepState.FAILED, message, timezone.now()
    writes.update(
        RequestStep, {"pk": step.pk}, state=step.state, message=message,
        finished_at=step.finished_at,
    ).event(EventKind.ERROR, f"step {step.position + 1} failed: {message}")  # fmt: skip
    _finish(writes, RequestState.FAILED, message)
    return Outcome(RequestState.FAILED)


def _finish(writes: Writes, state: str, failure: str) -> None:
    request = writes.request
    request.state, request.failure, request.finished_at = state, failure, timezone.now()
    request.heartbeat_at = None
    said = f"Failed: {failure}" if failure else f"{state.capitalize()}: every step is done"
    writes.update(
        ProvisioningRequest, {"pk": request.pk}, state=state, failure=failure,
        finished_at=request.finished_at, heartbeat_at=None,
    ).event(EventKind.TRANSITION, said).send()  # fmt: skip
    after_request(request, writes.steps)


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
