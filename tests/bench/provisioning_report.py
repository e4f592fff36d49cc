"""Figures of the provisioning benchmark and its integrity checks (the text: provisioning_section).

Lead time is `finished_at - submitted_at` of the request row (both written by the portal); the
parts of an unloaded worker run come from the same row, its steps' timestamps, and the wall
time at which the benchmark process had published the request's message (same clock, same
machine).
"""

import json
import math
import re
from collections import Counter
from pathlib import Path

from tests.bench.provisioning_phases import TYPES

LABELS = {"s3-bucket": "bucket", "queue": "queue", "secrets-path": "secrets path"}
OVERHEAD_TARGET = 0.010  # seconds: unloaded portal p50 lead time - direct p50, mix-weighted
LATENCY_TARGET = 1.2  # portal p50 / direct p50 when every call takes 50 ms, mix-weighted


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def lead_times(ids: list[int]) -> list[dict]:
    """Per request: type, state and its timeline in seconds (lead, wait, steps, the gaps)."""
    from provisioning.models import ProvisioningRequest, RequestStep

    steps: dict[int, list] = {}
    for row in (
        RequestStep.objects.filter(request_id__in=ids)
        .order_by("position")
        .values("request_id", "started_at", "finished_at", "attempts", "outcome")
    ):
        steps.setdefault(row["request_id"], []).append(row)
    rows = []
    for r in ProvisioningRequest.objects.filter(pk__in=ids).values(
        "pk", "type", "state", "submitted_at", "started_at", "finished_at"
    ):
        own, done = steps.get(r["pk"], []), r["finished_at"]
        row = {"pk": r["pk"], "type": r["type"], "state": r["state"], "steps": own}
        if done and r["started_at"] and all(s["finished_at"] for s in own):
            in_steps = sum((s["finished_at"] - s["started_at"]).total_seconds() for s in own)
            service = (done - r["started_at"]).total_seconds()
            row |= {
                "lead": (done - r["submitted_at"]).total_seconds(),
                "wait": (r["started_at"] - r["submitted_at"]).total_seconds(),
                "service": service,
                "in_steps": in_steps,
                "bookkeeping": service - in_steps,
                "submitted": r["submitted_at"].timestamp(),
                "started": r["started_at"].timestamp(),
                "finished": done.timestamp(),
            }
        rows.append(row)
    return rows


def _values(rows: list[dict], key: str) -> list[float]:
    return [row[key] for row in rows if key in row]


# --- collect ------------------------------------------------------------------------------


def collect(args, workload, direct, quiet, heavy, calls, processes, variants) -> dict:
    """Every figure of the run; `heavy` holds the loaded runs by variant key."""
    return {
        "unloaded": _unloaded_figures(quiet, args.mix),
        "loaded": _loaded_figures(lead_times(heavy["portal"]["ids"]), heavy["portal"]),
        "integrity": _integrity(workload, direct, processes),
        "calls": calls,
        "setup": _setup_costs(),
        "prototypes": prototype_figures(variants[1:], quiet, heavy, processes.log_dir),
    }


def _unloaded_figures(quiet: dict, mix: list[int]) -> dict:
    figures = {}
    for type_slug in TYPES:
        sample = quiet["samples"][type_slug]
        worker = sample["portal"]
        for row in worker:
            if "lead" in row:
                published = quiet["returned"][row["pk"]]
                row["submit_call"] = published - row["submitted"]
                row["pickup"] = row["started"] - published
        figures[type_slug] = {
            "n": len(worker),
            "n_direct": len(sample["direct"]),
            "direct": pct(sample["direct"], 50),
            "direct_p95": pct(sample["direct"], 95),
            "driver": pct(sample["driver"], 50),
            "engine": pct(_values(sample["engine"], "lead"), 50),
            "worker": pct(_values(worker, "lead"), 50),
            "worker_p95": pct(_values(worker, "lead"), 95),
            "submit_call": pct(_values(worker, "submit_call"), 50),
            "pickup": pct(_values(worker, "pickup"), 50),
            "in_steps": pct(_values(worker, "in_steps"), 50),
            "bookkeeping": pct(_values(worker, "bookkeeping"), 50),
            "steps": len(worker[0]["steps"]) if worker else 0,
        }
    weights = dict(zip(TYPES, mix, strict=True))
    for key in ("direct", "driver", "engine", "worker"):
        figures.setdefault("mixed", {})[key] = sum(
            weights[t] / 100 * figures[t][key] for t in TYPES
        )
    return figures


def latency_figures(samples: dict | None, mix: list[int], latency: float) -> dict | None:
    """Per type and mix-weighted: direct and portal p50 with every call `latency` slower."""
    if samples is None:
        return None
    figures: dict = {"latency": latency}
    for type_slug in TYPES:
        portal = _values(samples[type_slug]["portal"], "lead")
        figures[type_slug] = {
            "direct": pct(samples[type_slug]["direct"], 50),
            "direct_p95": pct(samples[type_slug]["direct"], 95),
            "worker": pct(portal, 50),
            "worker_p95": pct(portal, 95),
            "n": len(portal),
        }
    weights = dict(zip(TYPES, mix, strict=True))
    figures["mixed"] = {
        key: sum(weights[t] / 100 * figures[t][key] for t in TYPES) for key in ("direct", "worker")
    }
    return figures


def _loaded_figures(rows: list[dict], heavy: dict) -> dict:
    done = [row for row in rows if "lead" in row]
    span = max(_values(done, "finished")) - min(_values(done, "submitted")) if done else math.nan
    figures = {
        "n": len(rows),
        "submit_seconds": heavy["submit_seconds"],
        "span": span,
        "throughput": len(done) / span if done else 0.0,
        "states": dict(Counter(row["state"] for row in rows)),
        "lost": sum(row["state"] not in ("succeeded", "failed", "cancelled") for row in rows),
        "wait_max": max(_values(done, "wait"), default=math.nan),
        "resent": _resent([row["pk"] for row in rows]),
    }
    for type_slug in (*TYPES, "all"):
        own = [r for r in done if type_slug in ("all", r["type"])]
        figures[type_slug] = {
            "n": len(own),
            **{f"{key}_{p}": pct(_values(own, key), p)
               for key in ("lead", "wait", "service") for p in (50, 95)},
        }  # fmt: skip
    return figures


def _resent(ids: list[int]) -> int:
    """Messages the reconciler sent again for these requests."""
    from provisioning.models import RequestEvent

    return RequestEvent.objects.filter(request_id__in=ids, actor="reconciler").count()


def _integrity(workload, direct, processes) -> dict:
    """Lost and duplicated work, counted every way it could show."""
    from provisioning.models import ProvisionedResource, ProvisioningRequest, RequestEvent

    buckets = [b["Name"] for b in direct.s3.list_buckets()["Buckets"]]
    queue_urls = []
    for page in direct.sqs.get_paginator("list_queues").paginate(
        PaginationConfig={"PageSize": 1000}
    ):
        queue_urls += page.get("QueueUrls", [])
    queues = [url.rsplit("/", 1)[-1] for url in queue_urls]
    planned_buckets, planned_queues = workload.planned["s3-bucket"], workload.planned["queue"]
    vault_missing = [
        name for name in workload.planned["secrets-path"] if not _vault_path_exists(direct, name)
    ]
    all_ids = list(ProvisioningRequest.objects.values_list("pk", flat=True))
    events = RequestEvent.objects.values_list("request_id", flat=True)
    claims = Counter(events.filter(message__startswith="running on"))
    # A worker that failed mid-request (e.g. its database went away) leaves the request running;
    # the reconciler hands it to another worker, which carries on from the interrupted step.
    takeovers = Counter(events.filter(actor="reconciler", message__contains="stopped responding"))
    steps = [step for row in lead_times(all_ids) for step in row["steps"]]
    plain = [step for step in steps if step["request_id"] not in takeovers]
    inventory = Counter(ProvisionedResource.objects.values_list("provider", "kind", "name"))
    in_process = len(set(events.filter(message="running on bench-in-process")))
    deliveries, no_ops = _deliveries(processes.log_dir)
    resent = RequestEvent.objects.filter(actor="reconciler")
    found = {
        "requests": len(all_ids),
        "not_succeeded": ProvisioningRequest.objects.exclude(state="succeeded").count(),
        "buckets_missing": len(planned_buckets - set(buckets)),
        "buckets_extra": len(set(buckets) - planned_buckets),
        "buckets_repeated": len(buckets) - len(set(buckets)),
        "queues_missing": len(planned_queues - set(queues)),
        "queues_extra": len(set(queues) - planned_queues),
        "buckets": len(buckets),
        "queues": len(queues),
        "vault_paths": len(workload.planned["secrets-path"]),
        "vault_missing": len(vault_missing),
        "claimed_twice": sum(count - 1 > takeovers[pk] for pk, count in claims.items()),
        "never_claimed": len(set(all_ids) - set(claims)),
        "taken_over": len(takeovers),
        "steps": len(steps),
        "steps_retried": sum(step["attempts"] != 1 for step in plain),
        "steps_not_created": sum(step["outcome"] != "created" for step in plain),
        "inventory_repeated": sum(count > 1 for count in inventory.values()),
        "celery_sent": len(all_ids) - in_process,
        "celery_delivered": deliveries,
        "celery_nothing_to_do": len(no_ops),
        "no_op_seconds": pct(no_ops, 50),
        "resent": resent.count(),
        "resent_requests": resent.values("request_id").distinct().count(),
        **_outages(processes.log_dir),
    }
    # The target is about requests: none lost, none run twice, nothing made twice. Messages the
    # reconciler sent again are a separate finding, as long as each is accounted for.
    found["ok"] = not any(
        found[key]
        for key in ("not_succeeded", "buckets_missing", "buckets_extra", "buckets_repeated",
                    "queues_missing", "queues_extra", "vault_missing", "claimed_twice",
                    "never_claimed", "steps_retried", "steps_not_created", "inventory_repeated")
    ) and found["celery_delivered"] == found["celery_sent"] + found["resent"]  # fmt: skip
    return found


def _outages(log_dir: Path) -> dict:
    """Tasks that failed in the workers, those on a database error, and when PostgreSQL last
    started if that was during this run (other sessions on this machine restart it)."""
    from django.db import connection

    from provisioning.models import ProvisioningRequest

    failed = database = 0
    for path in log_dir.glob("*worker*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if "apply_request[" in line and "raised unexpected" in line:
                failed += 1
                database += "OperationalError" in line or "InterfaceError" in line
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        started = cursor.fetchone()[0]
    first = ProvisioningRequest.objects.order_by("submitted_at").values_list(
        "submitted_at", flat=True
    )[:1]
    restarted = first and started > first[0]
    return {
        "tasks_failed": failed,
        "tasks_failed_database": database,
        "postgres_restarted": started.strftime("%H:%M:%S UTC") if restarted else "",
    }


def _vault_path_exists(direct, name: str) -> bool:
    mount, _, path = name.partition("/")
    try:
        direct.vault.adapter.get(f"/v1/{mount}/metadata/{path}")
    except Exception:  # noqa: BLE001 - any answer but the metadata means it is not there
        return False
    return True


def _deliveries(log_dir: Path) -> tuple[int, list[float]]:
    """From the workers' logs: task messages received, and the seconds each run that found
    nothing to do took."""
    received, no_ops = 0, []
    for path in log_dir.glob("*worker*.log"):
        text = path.read_text(errors="replace")
        received += len(re.findall(r"apply_request\[[0-9a-f-]+\] received", text))
        no_ops += [
            float(seconds)
            for seconds in re.findall(r"succeeded in ([0-9.]+)s: 'nothing to do'", text)
        ]
    return received, no_ops


def _profiles(log_dir: Path) -> dict[int, dict]:
    """The probe's per-task figures (BENCHPROFILE lines), by request id."""
    found = {}
    for path in log_dir.glob("*worker*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if "BENCHPROFILE " not in line:
                continue
            if line.startswith("{"):  # production logging: one JSON object per line
                line = json.loads(line)["message"]
            figures = json.loads(line.split("BENCHPROFILE ", 1)[1])
            found[figures["request_id"]] = figures
    return found


PROFILE_PARTS = (
    "total", "connect", "sql", "sql_calls", "http", "http_calls", "setup", "gc", "other"
)  # fmt: skip


def prototype_figures(variants: list, quiet: dict, heavy: dict, log_dir: Path) -> dict:
    """Per variant: unloaded portal vs direct per type, the probe's p50 parts, loaded figures."""
    profiles, found = _profiles(log_dir), {}
    samples = quiet["samples"]
    for variant in variants:
        per_type = {}
        for t in TYPES:
            rows = samples[t][variant.key]
            leads = _values(rows, "lead")
            tasks = [profiles[r["pk"]] for r in rows if r["pk"] in profiles]
            for task in tasks:
                parts = ("connect", "sql", "http", "setup", "gc")
                task["other"] = task["total"] - sum(task[part] for part in parts)
            per_type[t] = {
                "direct": pct(samples[t]["direct"], 50),
                "worker": pct(leads, 50),
                "worker_p95": pct(leads, 95),
                "n": len(leads),
                "profile": {part: pct([task[part] for task in tasks], 50)
                            for part in PROFILE_PARTS},
                "gc_max": max((task["gc_max"] for task in tasks), default=0.0),
            }  # fmt: skip
        run = heavy.get(variant.key)
        found[variant.key] = {
            "title": variant.title,
            "types": per_type,
            "loaded": _loaded_figures(lead_times(run["ids"]), run) if run else None,
        }
    return found


def _setup_costs(repeat: int = 20) -> dict:
    """What a worker pays per step (a new driver and its client) and per task (a new
    database connection) before its first call."""
    import time

    from django.db import connection

    from provisioning.drivers.base import PlannedResource
    from provisioning.drivers.registry import get_driver

    def reconnect() -> None:
        connection.close()
        connection.ensure_connection()

    resource = PlannedResource("aws", "s3-bucket", "x", {}, {"region": "eu-west-1"})
    costs = {}
    for label, make in (
        ("aws driver + s3 client", lambda: get_driver("aws").clients.client("s3", resource)),
        ("aws driver + sqs client", lambda: get_driver("aws").clients.client("sqs", resource)),
        ("vault driver + hvac client", lambda: get_driver("vault")._vault()),
        ("new PostgreSQL connection", reconnect),
    ):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            make()
            times.append(time.perf_counter() - started)
        costs[label] = pct(times, 50)
    return costs
