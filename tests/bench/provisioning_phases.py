"""The measuring phases of the provisioning benchmark: warm-up, the call check, the unloaded
rounds and the loaded run, over the worker variants that run side by side.

Every variant has its own workers on its own Celery queue; a request is routed to a variant by
sending its message to that queue (what `enqueue` sends, with a queue named). Measuring them
in the same rounds, back to back, keeps a load spike on this shared machine from landing on
one variant only.
"""

import math
import random
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from unittest import mock

TYPES = ("s3-bucket", "queue", "secrets-path")
TERMINAL = {"succeeded", "failed", "cancelled"}
SEED = 4


def log(message: str) -> None:
    print(message, flush=True)


@dataclass(frozen=True)
class Variant:
    """Workers to measure: the portal as it is, or its app with the benchmark's probes and
    prototypes (tests/bench/provisioning_worker.py), switched on by environment variables."""

    key: str
    title: str
    app: str
    env: dict[str, str]
    queue: str = "celery"  # the portal's default queue
    loaded: bool = False  # also gets a loaded run of its own


PROBED_APP = "tests.bench.provisioning_worker"
PORTAL = Variant("portal", "the portal as it is", "idp_portal", {}, loaded=True)
PROBE = {"BENCH_PROFILE": "1"}
REUSE = {**PROBE, "BENCH_REUSE_DRIVERS": "1"}
KEEP_DB = {**REUSE, "BENCH_KEEP_DB_CONNECTION": "1"}
PROTOTYPES = (
    Variant("profiled", "as is + probe", PROBED_APP, PROBE, "bench-profiled"),
    Variant("reuse", "A: one driver per process", PROBED_APP, REUSE, "bench-reuse"),
    Variant("keep_db", "A + B: keep the DB connection", PROBED_APP, KEEP_DB, "bench-keep-db"),
    Variant(
        "all",
        "A + B + C: gc.freeze()",
        PROBED_APP,
        {**KEEP_DB, "BENCH_GC_FREEZE": "1"},
        "bench-all",
        loaded=True,
    ),
)


PUBLISHED: dict[int, float] = {}  # request id → wall time its message was in Redis


def routed_to(variant: Variant):
    """While active, `enqueue` sends the request's message to the variant's queue (`delay()`
    itself for the portal's default queue) and notes when it was sent."""
    from provisioning.tasks import apply_request

    def send(pk: int) -> None:
        if variant.queue == "celery":
            apply_request.delay(pk)
        else:
            apply_request.apply_async((pk,), queue=variant.queue)
        PUBLISHED[pk] = time.time()

    return mock.patch("provisioning.tasks.apply_request", SimpleNamespace(delay=send))


# --- waiting ---------------------------------------------------------------------------------


OUTAGES = [0]  # database errors this process has seen (and waited out)


def retrying(call, attempts: int = 30):
    """`call()`, again after a second while the database is away (other sessions on this
    machine restart PostgreSQL in their tests); Django does not reconnect a script by itself."""
    from django.db import DatabaseError, connection

    for attempt in range(attempts):
        try:
            return call()
        except DatabaseError:
            OUTAGES[0] += 1
            if attempt == attempts - 1:
                raise
            connection.close()
            time.sleep(1)


@dataclass
class Reconciler:
    """Beat's job in production (every 15 s): re-queue requests whose worker died or whose
    message was lost. The benchmark runs no beat (its other tasks would load the workers)."""

    every: float = 15
    last: float = field(default_factory=time.monotonic)

    def tick(self) -> None:
        """Run the reconciler if `every` seconds have passed since it last ran (what it re-sends
        shows in the requests' logs, actor "reconciler")."""
        from provisioning.engine import reconcile_stalled

        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            retrying(reconcile_stalled)


RECONCILER = Reconciler()


def wait_until_done(ids: list[int], timeout: float, interval: float) -> int:
    """Poll until every request is terminal; the number still unfinished at the timeout."""
    from provisioning.models import ProvisioningRequest

    deadline, left = time.monotonic() + timeout, len(ids)
    pending = ProvisioningRequest.objects.filter(pk__in=ids).exclude(state__in=TERMINAL)
    while time.monotonic() < deadline:
        left = retrying(pending.count)
        if not left:
            return 0
        RECONCILER.tick()
        time.sleep(interval)
    return left


# --- one request, each way ------------------------------------------------------------------


def ensure_with_fresh_drivers(resources: list) -> float:
    """What the engine does per step, without the database: a new driver, then ensure."""
    from provisioning.drivers.registry import get_driver

    started = time.perf_counter()
    for resource in resources:
        get_driver(resource.provider).ensure(resource)
    return time.perf_counter() - started


def run_in_process(workload, type_slug: str) -> int:
    """Submit with the Celery message suppressed, then apply in this process."""
    from provisioning import engine

    with mock.patch("provisioning.tasks.apply_request", SimpleNamespace(delay=lambda pk: None)):
        request = workload.submit(type_slug)
    engine.apply(request.pk, worker="bench-in-process")
    return request.pk


# How long the benchmark leaves a request alone before it asks whether it is done, then how
# often it asks. Its lead time comes from the row's timestamps, so waiting longer changes no
# figure; asking every 10 ms from the start put a query on PostgreSQL and this process on a
# CPU while the worker ran (on 2 CPUs, a few ms of every portal figure that the direct calls,
# timed with nothing beside them, never pay).
FIRST_LOOK, LOOK_EVERY = 0.1, 0.02


def run_through_worker(workload, type_slug: str, variant: Variant) -> tuple[int, float]:
    """Submit to the variant's workers and wait until done: (id, wall time it was published)."""
    with routed_to(variant):
        request = retrying(lambda: workload.submit(type_slug))
    time.sleep(FIRST_LOOK)
    if wait_until_done([request.pk], timeout=120, interval=LOOK_EVERY):
        raise RuntimeError(f"request {request.pk} ({variant.key}) did not finish in 120 s")
    return request.pk, PUBLISHED[request.pk]


# --- phases ----------------------------------------------------------------------------------


def warm_up(workload, variants: list[Variant], workers: int) -> None:
    """Load every worker's models and connections: several of each type at once, then wait."""
    ids = []
    for variant in variants:
        with routed_to(variant):
            ids += [workload.submit(t).pk for t in TYPES for _ in range(2 * workers)]
    if wait_until_done(ids, timeout=180, interval=0.1):
        raise RuntimeError("the warm-up requests did not finish within 180 s")


def same_calls(workload, new_direct) -> dict[str, tuple[bool, int]]:
    """Per type: do the baseline and the drivers make the same calls (how many)? With clients
    of their own, so the timed ones carry no recording hook."""
    from provisioning.drivers.registry import forget_drivers, get_driver
    from tests.bench.provisioning_direct import CallLog

    found = {}
    for type_slug in TYPES:
        logs, direct = (CallLog(), CallLog()), new_direct()
        direct.attach(logs[0])
        direct.timed(baseline := workload.plan(type_slug))
        attached = set()  # a worker keeps its drivers: a queue's two steps share one client
        for resource in (planned := workload.plan(type_slug)):
            driver = get_driver(resource.provider)
            if resource.provider == "aws":
                service = "s3" if resource.kind == "s3-bucket" else "sqs"
                client = driver.clients.client(service, resource)
                attach = logs[1].attach_aws
            else:
                client, attach = driver._vault(), logs[1].attach_vault
            if id(client) not in attached:  # attached twice, it would log every call twice
                attached.add(id(client))
                attach(client)
            driver.ensure(resource)
        sequences = [
            [_generic(call, plan) for call in log.calls]
            for log, plan in zip(logs, (baseline, planned), strict=True)
        ]
        found[type_slug] = (sequences[0] == sequences[1], len(sequences[1]))
    forget_drivers()  # the timed rounds make drivers of their own, with no recording hook
    return found


def _generic(call: str, resources: list) -> str:
    """A Vault call with the request's own path and policy name replaced by placeholders."""
    for resource in resources:
        config = resource.config
        for value, placeholder in (
            (config.get("path"), "<path>"),
            (config.get("policy_name"), "<policy>"),
        ):
            if value:
                call = call.replace(value, placeholder)
    return call


def unloaded(workload, direct, rounds: int, direct_samples: int, variants: list[Variant]) -> dict:
    """Rounds of, per type and back to back: the direct calls, the drivers in this process, the
    engine in this process, and one request through each variant's workers, alone. Round 0
    only warms up (clients, connections, model caches)."""
    from tests.bench.provisioning_report import lead_times

    per_round = math.ceil(direct_samples / rounds)
    modes = ["direct", "driver", "engine", *(v.key for v in variants)]
    samples = {t: {mode: [] for mode in modes} for t in TYPES}
    returned = {}
    for round_number in range(rounds + 1):
        for type_slug in TYPES:
            block = measured_block(workload, direct, type_slug, per_round, variants, returned)
            if round_number:  # round 0 only warms up
                for mode, values in block.items():
                    samples[type_slug][mode] += values
        if round_number % 10 == 0:
            log(f"  unloaded round {round_number}/{rounds}")
    for type_slug in TYPES:
        for mode in modes[2:]:
            samples[type_slug][mode] = lead_times(samples[type_slug][mode])
    return {"samples": samples, "returned": returned}


def measured_block(workload, direct, type_slug: str, per_round: int, variants, returned) -> dict:
    """One round's samples of one type, every mode; measured again (up to 3 times) when the
    database went away meanwhile, as the samples would carry the outage."""
    from django.db import DatabaseError, connection

    for _ in range(3):
        outages, block = OUTAGES[0], {}
        try:
            block["direct"] = [direct.timed(workload.plan(type_slug)) for _ in range(per_round)]
            block["driver"] = [ensure_with_fresh_drivers(workload.plan(type_slug))]
            block["engine"] = [run_in_process(workload, type_slug)]
            for variant in variants:
                pk, returned[pk] = run_through_worker(workload, type_slug, variant)
                block[variant.key] = [pk]
        except DatabaseError:
            OUTAGES[0] += 1
            connection.close()
            retrying(connection.ensure_connection)
        if OUTAGES[0] == outages:
            return block
        log(f"  a database outage during a {type_slug} block: measuring it again")
    raise RuntimeError("the database kept going away: run the benchmark again later")


def at_latency(workload, direct, rounds: int, variant: Variant) -> dict:
    """Rounds of, per type and back to back: the direct calls and one request through the
    variant's workers, alone, with every AWS and Vault call slowed down by the fault proxy
    (both sides go through it). Round 0 only warms up."""
    from tests.bench.provisioning_report import lead_times

    samples = {t: {"direct": [], "portal": []} for t in TYPES}
    for round_number in range(rounds + 1):
        for type_slug in TYPES:
            seconds = retrying(lambda t=type_slug: direct.timed(workload.plan(t)))
            pk, _ = run_through_worker(workload, type_slug, variant)
            if round_number:
                samples[type_slug]["direct"].append(seconds)
                samples[type_slug]["portal"].append(pk)
        if round_number % 5 == 0:
            log(f"  at latency, round {round_number}/{rounds}")
    for type_slug in TYPES:
        samples[type_slug]["portal"] = lead_times(samples[type_slug]["portal"])
    return samples


def mixed_types(count: int, mix: list[int]) -> list[str]:
    buckets, queues = round(count * mix[0] / 100), round(count * mix[1] / 100)
    types = ["s3-bucket"] * buckets + ["queue"] * queues
    types += ["secrets-path"] * (count - len(types))
    random.Random(SEED).shuffle(types)
    return types


def loaded(workload, count: int, mix: list[int], variant: Variant, timeout: float) -> dict:
    """Submit `count` mixed requests as fast as one process can, then wait for all of them."""
    types = mixed_types(count, mix)
    ids, started = [], time.monotonic()
    with routed_to(variant):
        for type_slug in types:
            ids.append(retrying(lambda t=type_slug: workload.submit(t)).pk)
    submitted = time.monotonic() - started
    log(f"  submitted {len(ids)} in {submitted:.1f} s")
    left = wait_until_done(ids, timeout=timeout, interval=0.5)
    took = time.monotonic() - started
    log(f"  all terminal after {took:.1f} s" if not left else f"  {left} not finished in time")
    return {"ids": ids, "submit_seconds": submitted, "timed_out": bool(left)}


def lease_check(workload, count: int, mix: list[int], start_drainer, drained) -> dict:
    """What the reconciler does with requests that only wait. `count` requests whose messages
    sit in a queue no worker reads (as behind a long backlog); the reconciler is run with its
    clock moved past the lease (a waiting request must not be taken for lost), then past the
    queued re-send time (now it must be: the message may really be gone). The portal's workers
    run the re-sent messages; then a worker on the parked queue takes the originals, which
    must find nothing to do."""
    from datetime import timedelta

    from django.utils import timezone

    from provisioning import engine

    parked = Variant("parked", "parked", "idp_portal", {}, "bench-parked")
    with routed_to(parked):
        ids = set(workload.submit(t).pk for t in mixed_types(count, mix))
    now, margin = timezone.now(), timedelta(seconds=30)
    lease = engine.LEASE
    resend = getattr(engine, "QUEUED_RESEND", lease)  # the lease itself before commit 79a3e72
    after_lease = ids & set(retrying(lambda: engine.reconcile_stalled(now=now + lease + margin)))
    after_resend = ids & set(
        retrying(lambda: engine.reconcile_stalled(now=now + max(lease, resend) + margin))
    )
    left = wait_until_done(list(ids), timeout=120, interval=0.2)
    start_drainer(parked)
    deadline = time.monotonic() + 60
    while drained() < count and time.monotonic() < deadline:
        time.sleep(0.5)
    return {
        "count": count,
        "lease": lease.total_seconds(),
        "resend": resend.total_seconds(),
        "after_lease": len(after_lease),
        "after_resend": len(after_lease | after_resend),
        "left": left,
        "originals_turned_away": drained(),
    }
