"""The "Provisioning (issue 4)" section of docs/benchmarks.md, from the figures that
tests/bench/provisioning_report.py collects."""

import math
import shlex
from pathlib import Path

from tests.bench import docs_section
from tests.bench.provisioning_report import LABELS, LATENCY_TARGET, OVERHEAD_TARGET, TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
HEADING = "## Provisioning (issue 4)"


def _ms(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "—"
    if seconds >= 10:
        return f"{seconds:,.1f} s"
    ms = seconds * 1000
    return f"{ms:,.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _x(value: float) -> str:
    return f"{value:.2f}×"


def machine() -> dict[str, str]:
    from tests.bench.report import machine as catalog_machine

    return catalog_machine()


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("celery", "boto3", "hvac", "moto"))


def section(args, results: dict, argv: list[str]) -> str:
    m, u, lo, ok = machine(), results["unloaded"], results["loaded"], results["integrity"]
    command = "cd /work/main && .venv/bin/python -m tests.bench.provisioning_bench"
    command += (" " + shlex.join(argv)) if argv else ""
    lines = [
        HEADING,
        "",
        f"Measured {m['date']} with `{command}`: {args.requests} mixed requests "
        f"({args.mix[0]}% buckets, {args.mix[1]}% queues, {args.mix[2]}% secrets paths) through "
        f"{args.workers} Celery workers (concurrency 1 each) on Redis, against a moto server and "
        "the Vault contract server (tests/contract_server.py), all on loopback"
        + (
            "; the prototype variants' workers (below) ran alongside, idle while not measured"
            if results["prototypes"]
            else ""
        )
        + f". The whole run took {results['minutes']:.0f} min; `--help` lists the options.",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, PostgreSQL {m['postgres']}, "
        f"Python {m['python']}, Django {m['django']}, {_versions()}. Load average before the "
        f"unloaded rounds {results['load'][0]}, after the latency rounds "
        f"{results['load_measured']}, at the end {results['load'][1]}. {_quiet_sentence(results)}",
        "",
        *_target_lines(u, lo, ok, results["latency"]),
        "",
        *_unloaded_table(u),
        "",
        *_latency_table(results["latency"]),
        "",
        *_loaded_table(lo),
        "",
        *_integrity_lines(ok, results["calls"]),
        "",
        *_breakdown_lines(u, results["setup"]),
        "",
        *_prototype_lines(results["prototypes"], args.mix),
        "",
        *_recommendation_lines(results, args.mix),
    ]
    return "\n".join(lines) + "\n"


def _quiet_sentence(results: dict) -> str:
    """Whether the machine was quiet while the targets were measured, judged by the 1-minute
    load average (2 CPUs) before the unloaded rounds and after the latency rounds; the reading
    at the end follows the benchmark's own loaded run of many requests, so it does not count."""
    readings = (results["load"][0], results["load_measured"])
    peak = max(float(reading.split(" / ")[0]) for reading in readings)
    if peak < 1.0:
        return (
            "The machine was quiet while the targets were measured (1-minute load under 1 "
            "before the unloaded rounds and after the latency rounds; the reading at the end "
            "is this benchmark's own loaded run)."
        )
    return (
        f"**The machine was not quiet** (1-minute load up to {peak:.1f} on 2 CPUs: other "
        "sessions were running their own tests, benchmarks and servers), so every time below "
        "carries their load; re-run on a quiet machine for the figures to judge by."
    )


def _verdict(ok: bool) -> str:
    return "**pass**" if ok else "**miss**"


def _latency_line(lat: dict | None) -> str:
    if lat is None:
        return "overhead at 50 ms per call: not measured (--latency-rounds 0)"
    ratio = lat["mixed"]["worker"] / lat["mixed"]["direct"]
    return (
        f"overhead at {lat['latency'] * 1000:.0f} ms per call: {_x(ratio)} (target ≤ "
        f"{LATENCY_TARGET}×: {_verdict(ratio <= LATENCY_TARGET)}) — unloaded portal lead time / "
        "the same calls made directly, mix-weighted, every AWS and Vault call made "
        f"{lat['latency'] * 1000:.0f} ms slower by the fault proxy on both sides. Per type: "
        + ", ".join(f"{LABELS[t]} {_x(lat[t]['worker'] / lat[t]['direct'])}" for t in TYPES)
        + "."
    )


def _target_lines(u: dict, lo: dict, ok: dict, lat: dict | None) -> list[str]:
    mixed = u["mixed"]["worker"] / u["mixed"]["direct"]
    overhead = u["mixed"]["worker"] - u["mixed"]["direct"]
    integrity = "**pass**" if ok["ok"] else "**fail**"
    return [
        "### Targets",
        "",
        f"absolute overhead p50: {overhead * 1000:.1f} ms (target ≤ "
        f"{OVERHEAD_TARGET * 1000:.0f} ms: {_verdict(overhead <= OVERHEAD_TARGET)}) — unloaded "
        "portal lead time minus the same calls made directly, mix-weighted. Per type: "
        + ", ".join(f"{LABELS[t]} +{_ms(u[t]['worker'] - u[t]['direct'])}" for t in TYPES)
        + ".",
        "",
        _latency_line(lat),
        "",
        f"- For the record, the ratio against loopback moto and the contract Vault (which answer "
        f"in 1–8 ms a call, so it mostly measures how fast the fakes are): **{_x(mixed)}** "
        "mix-weighted; per type: "
        + ", ".join(f"{LABELS[t]} {_x(u[t]['worker'] / u[t]['direct'])}" for t in TYPES)
        + ".",
        f"- No request lost or duplicated: {integrity} "
        f"({lo['states'].get('succeeded', 0)}/{lo['n']} succeeded in the loaded run, "
        f"{ok['not_succeeded']} of all {ok['requests']} requests not succeeded, none run twice, "
        "nothing made twice; details below)."
        + (
            f" But the reconciler sent {lo['resent']} messages again for requests that were "
            "only waiting (each turned away by the claim; see recommendation 2)."
            if lo["resent"]
            else ""
        ),
        f"- Throughput (loaded): **{lo['throughput']:.1f} requests/s** with "
        f"lead time p50 {_ms(lo['all']['lead_50'])}, p95 {_ms(lo['all']['lead_95'])}.",
        f"- The same ratio in the loaded run ({lo['n']} submitted at once), for the record: "
        + ", ".join(f"{LABELS[t]} {_x(lo[t]['lead_50'] / u[t]['direct'])}" for t in TYPES)
        + f" — waiting for a free worker (wait p50 {_ms(lo['all']['wait_50'])}), not the "
        "platform's overhead; that is why the target is judged unloaded.",
    ]


def _unloaded_table(u: dict) -> list[str]:
    lines = [
        "### Unloaded: one request at a time (the overhead the target is about)",
        "",
        "The target compares the platform's own cost with the calls it makes, so the fair "
        "portal figure is a request that waits for nothing but the platform: submitted alone, "
        "run by an idle worker. Each round runs, per type and back to back, the direct calls, "
        "the drivers in the benchmark process (a new driver per step, as the engine makes "
        "them), the engine in the benchmark process (submit + `engine.apply`, no Celery) and "
        "the portal (submit; a worker runs it); round 0 only warms up. Mix-weighted: each "
        "type's p50 weighted by the mix, then the ratio of the two sums.",
        "",
        "| type | steps | direct p50 (p95) | drivers p50 | engine p50 | portal p50 (p95) "
        "| portal / direct |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in TYPES:
        f = u[t]
        lines.append(
            f"| {LABELS[t]} | {f['steps']} | {_ms(f['direct'])} ({_ms(f['direct_p95'])}, "
            f"n={f['n_direct']}) | {_ms(f['driver'])} | {_ms(f['engine'])} | "
            f"{_ms(f['worker'])} ({_ms(f['worker_p95'])}, n={f['n']}) | "
            f"**{_x(f['worker'] / f['direct'])}** |"
        )
    mixed = u["mixed"]
    lines.append(
        f"| mix-weighted | | {_ms(mixed['direct'])} | {_ms(mixed['driver'])} | "
        f"{_ms(mixed['engine'])} | {_ms(mixed['worker'])} | "
        f"**{_x(mixed['worker'] / mixed['direct'])}** |"
    )
    return lines


def _latency_table(lat: dict | None) -> list[str]:
    if lat is None:
        return []
    ms = f"{lat['latency'] * 1000:.0f} ms"
    lines = [
        f"### At {ms} per call (the second target)",
        "",
        f"A fault proxy (tests/fault_proxy.py, `--latency`, a process of its own) in front of "
        f"moto and another in front of the Vault contract server add {ms} to every call; the "
        "direct calls and a second set of workers (same code, same settings, own queue) both go "
        "through them. Each round runs, per type and back to back, the direct calls and one "
        "request through those workers, alone; round 0 only warms up.",
        "",
        "| type | direct p50 (p95) | portal p50 (p95) | portal − direct | portal / direct |",
        "|---|---|---|---|---|",
    ]
    for t in TYPES:
        f = lat[t]
        lines.append(
            f"| {LABELS[t]} | {_ms(f['direct'])} ({_ms(f['direct_p95'])}) | {_ms(f['worker'])} "
            f"({_ms(f['worker_p95'])}, n={f['n']}) | +{_ms(f['worker'] - f['direct'])} | "
            f"**{_x(f['worker'] / f['direct'])}** |"
        )
    m = lat["mixed"]
    lines.append(
        f"| mix-weighted | {_ms(m['direct'])} | {_ms(m['worker'])} | "
        f"+{_ms(m['worker'] - m['direct'])} | **{_x(m['worker'] / m['direct'])}** |"
    )
    return lines


def _loaded_table(lo: dict) -> list[str]:
    lines = [
        f"### Loaded: {lo['n']} requests submitted at once",
        "",
        f"Submitted in {lo['submit_seconds']:.1f} s from one process; first submit to last "
        f"finish {lo['span']:.1f} s: **{lo['throughput']:.1f} requests/s**. States: "
        + ", ".join(f"{state} {count}" for state, count in sorted(lo["states"].items()))
        + f"; left unfinished: {lo['lost']}. Lead time here is mostly waiting in the queue "
        "(wait = submit → a worker claims it; run = claim → finished).",
        "",
        "| type | n | lead p50 | lead p95 | wait p50 | run p50 | run p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in (*TYPES, "all"):
        f = lo[t]
        lines.append(
            f"| {LABELS.get(t, 'all')} | {f['n']} | {_ms(f['lead_50'])} | {_ms(f['lead_95'])} | "
            f"{_ms(f['wait_50'])} | {_ms(f['service_50'])} | {_ms(f['service_95'])} |"
        )
    return lines


def _integrity_lines(ok: dict, calls: dict) -> list[str]:
    same = ", ".join(
        f"{LABELS[t]} {'same' if equal else 'DIFFERENT'} {count} calls"
        for t, (equal, count) in calls.items()
    )
    return [
        "### Nothing lost, nothing duplicated",
        "",
        f"Over all {ok['requests']} requests of the run ({ok['steps']} steps): moto holds "
        f"{ok['buckets']} buckets and {ok['queues']} queues, exactly the planned names "
        f"(missing {ok['buckets_missing']}/{ok['queues_missing']}, unplanned "
        f"{ok['buckets_extra']}/{ok['queues_extra']}, listed twice {ok['buckets_repeated']}); "
        f"Vault has all {ok['vault_paths']} planned paths (missing {ok['vault_missing']}); "
        f"requests claimed twice {ok['claimed_twice']}, never claimed {ok['never_claimed']}; "
        f"steps tried more than once {ok['steps_retried']}, steps whose outcome was not "
        f"`created` {ok['steps_not_created']}"
        + (
            " (both: not counting requests taken over from a failed worker, below)"
            if ok["taken_over"]
            else ""
        )
        + "; inventory names held twice "
        f"{ok['inventory_repeated']}. Celery messages: sent on submit {ok['celery_sent']}, sent "
        f"again by the reconciler {ok['resent']} (for {ok['resent_requests']} requests; beat's "
        "job, run by the benchmark every 15 s as beat would), received by the workers "
        f"{ok['celery_delivered']}; runs that found nothing to do (the claim turning a "
        f"duplicate away) {ok['celery_nothing_to_do']}, p50 {_ms(ok['no_op_seconds'])} each.",
        "",
        *_outage_lines(ok),
        f"The baseline makes the drivers' calls (recorded on both sides, per request): {same}.",
    ]


def _outage_lines(ok: dict) -> list[str]:
    if not (ok["tasks_failed"] or ok["taken_over"] or ok["postgres_restarted"]):
        return []
    restart = (
        f"PostgreSQL was restarted at {ok['postgres_restarted']} by another session's test. "
        if ok["postgres_restarted"]
        else ""
    )
    return [
        f"Recovery seen in this run: {restart}{ok['tasks_failed']} worker tasks failed "
        f"({ok['tasks_failed_database']} on a database error); their requests stayed queued "
        "or running, and the reconciler sent them again after the lease — "
        f"{ok['taken_over']} requests were taken over mid-run and finished from their "
        "interrupted step (the idempotent ensure found or made the resource once). Figures "
        "of the phase it hit carry that minute-long stall.",
        "",
    ]


def _breakdown_lines(u: dict, setup: dict) -> list[str]:
    lines = [
        "### Where the portal's time goes (unloaded, p50 per part)",
        "",
        "submit = from `submitted_at` until the message is in Redis (plan, rows, commit, "
        "publish); pickup = message in Redis → a worker has claimed the row; steps = inside "
        "the steps (driver made, calls, step event; on PostgreSQL the claim's statement also "
        "starts the first step, so its round trip counts here); bookkeeping = the rest of the "
        "run (events, inventory, finish).",
        "",
        "| type | direct | submit | pickup | steps | bookkeeping | portal lead |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in TYPES:
        f = u[t]
        lines.append(
            f"| {LABELS[t]} | {_ms(f['direct'])} | {_ms(f['submit_call'])} | {_ms(f['pickup'])} "
            f"| {_ms(f['in_steps'])} | {_ms(f['bookkeeping'])} | {_ms(f['worker'])} |"
        )
    lines += [
        "",
        "Set-up costs (p50 of 20, in the benchmark process): "
        + ", ".join(f"{label} {_ms(value)}" for label, value in setup.items())
        + ".",
    ]
    return lines


def _prototype_lines(prototypes: dict, mix: list[int]) -> list[str]:
    if not prototypes:
        return []
    weights = dict(zip(TYPES, mix, strict=True))
    lines = [
        "### Profile and prototypes (benchmark-only worker app, portal code untouched)",
        "",
        "Each variant has its own workers (`-A tests.bench.provisioning_worker`: the portal's "
        "app plus probes and prototypes switched on by environment variables) on a Celery "
        "queue of its own, and is measured in the same unloaded rounds as the portal, back to "
        "back with it. The probe times, per task: SQL, HTTP to moto and Vault, making drivers "
        "and clients, garbage collection; other = the rest of the task's Python (engine, the "
        "drivers' own code, botocore's request building and parsing, Celery, logging). "
        '"as is + probe" against the portal\'s own row shows what the probe itself costs.',
        "",
        "| variant | type | portal p50 (p95) | / direct | task | DB connect | SQL (queries) "
        "| HTTP (calls) | drivers+clients | GC (max) | other |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in prototypes.values():
        for t in TYPES:
            f, p = run["types"][t], run["types"][t]["profile"]
            lines.append(
                f"| {run['title']} | {LABELS[t]} | {_ms(f['worker'])} ({_ms(f['worker_p95'])}) "
                f"| {_x(f['worker'] / f['direct'])} | {_ms(p['total'])} | {_ms(p['connect'])} "
                f"| {_ms(p['sql'])} "
                f"({p['sql_calls']:.0f}) | {_ms(p['http'])} ({p['http_calls']:.0f}) "
                f"| {_ms(p['setup'])} | {_ms(p['gc'])} ({_ms(f['gc_max'])}) | {_ms(p['other'])} |"
            )
    ratios = [
        f"{run['title']} **{_x(_weighted(run, weights, 'worker') / _weighted(run, weights, 'direct'))}**"  # noqa: E501
        for run in prototypes.values()
    ]
    lines += ["", "Mix-weighted portal / direct p50 per variant: " + "; ".join(ratios) + "."]
    for run in prototypes.values():
        if lo := run["loaded"]:
            lines += [
                "",
                f"Loaded run with {run['title']}: {lo['n']} requests, "
                f"**{lo['throughput']:.1f} requests/s**, lead p50 {_ms(lo['all']['lead_50'])}, "
                f"p95 {_ms(lo['all']['lead_95'])}, run p50 {_ms(lo['all']['service_50'])}; "
                + ", ".join(f"{state} {n}" for state, n in sorted(lo["states"].items()))
                + ".",
            ]
    return lines


def _weighted(run: dict, weights: dict, key: str) -> float:
    return sum(weights[t] / 100 * run["types"][t][key] for t in TYPES)


def _recommendation_lines(results: dict, mix: list[int]) -> list[str]:
    u, protos = results["unloaded"], results["prototypes"]
    over = {t: u[t]["worker"] - u[t]["direct"] for t in TYPES}
    lines = [
        "### Verdict and recommendations",
        "",
        "1. **What the platform adds, and what it is made of.** Per request (p50, unloaded): "
        + ", ".join(f"{LABELS[t]} +{_ms(over[t])}" for t in TYPES)
        + ", on top of direct calls of "
        + ", ".join(f"{_ms(u[t]['direct'])}" for t in TYPES)
        + f" ({', '.join(str(u[t]['steps']) for t in TYPES)} steps): submit "
        + ", ".join(f"{_ms(u[t]['submit_call'])}" for t in TYPES)
        + ", pickup "
        + ", ".join(f"{_ms(u[t]['pickup'])}" for t in TYPES)
        + ", bookkeeping "
        + ", ".join(f"{_ms(u[t]['bookkeeping'])}" for t in TYPES)
        + " (table above). Since this work the engine claims with one `UPDATE … RETURNING` that "
        "also stores the claim's event and starts the first step (PostgreSQL: data-modifying "
        "CTEs, so the step is running with its attempt counted before any call), reads the "
        "steps in the same round trip, and sends each further step's start and each step's end "
        "as one transaction (several statements in one simple query), a step's end with the "
        "next start and the last with the finish, and hands the steps it read to the "
        "after-request hooks (observability/hooks.py no longer reads them again): 2 round trips "
        "for a one-step request in the worker instead of 12, one more per further step, and no "
        "health check before the task (`apply_request` retries itself on a database error). "
        "Submit outside a transaction takes the new id from the sequence in the same query "
        "that reads the governance policy, before the request's clock starts, and sends the "
        "request, its names, steps, events and audit event as one query: 2 round trips instead "
        "of 12, one of them between `submitted_at` and the Celery message. Its SQL is compiled "
        "once per "
        "shape and kept (tests/provisioning/test_engine_statements.py compares it with "
        "Django's own). Counts asserted in tests/provisioning/test_engine_round_trips.py. The "
        "ratio against loopback moto mostly measures how fast the fakes are; at a realistic "
        "50 ms per call the same overhead is the second target's few per cent.",
        "   What is left (p50): submit's few milliseconds are the one query that stores the "
        "request (a commit), building its rows, and the Celery publish (Celery and kombu "
        "work around a 0.1 ms LPUSH: Celery reuses a pooled producer, and idp_portal/broker.py "
        "keeps one Redis client per channel where kombu built two per message); pickup is "
        "Redis handing the message to the worker and the worker handing it to its pool "
        "process; in the steps, the claim's round trip and each further step's start and end "
        "(one commit per step boundary, which must be durable: a worker killed mid-call leaves "
        "the step running with its attempt counted).",
    ]
    lines.append(
        _reconciler_line(results["integrity"], results["loaded"], results.get("lease_check"))
    )
    if {"profiled", "reuse", "keep_db", "all"} <= set(protos):
        lines += _change_lines(u, protos, mix, results["loaded"])
    lines.append(
        "- **Not worth changing: broker pickup.** From the message being in Redis to a worker "
        "having claimed the row: p50 "
        + ", ".join(f"{_ms(u[t]['pickup'])}" for t in TYPES)
        + " (Redis hands the message at once to an idle worker; prefetch 1 and late acks cost "
        "nothing visible). Under load, lead time is queueing: add worker processes where there "
        "are cores; on this 2-CPU machine the workers share the CPUs with moto, Vault, "
        "PostgreSQL and the submitting process."
    )
    return lines


def _reconciler_line(ok: dict, lo: dict, lease: dict | None) -> str:
    """Waiting requests and the reconciler: the change made during this work, what this run
    shows of it, and the gap it leaves."""
    resend = f"{lease['resend'] / 60:.0f} minutes" if lease else "PROVISIONING_QUEUED_RESEND"
    text = (
        "2. **Waiting requests and the reconciler.** `reconcile_stalled` (beat, every 15 s) "
        "sends a queued request's message again when it takes the message for lost. Until "
        "commit 79a3e72, made during this work from this benchmark's first runs, that was any "
        "request queued for longer than the 60 s lease, so a backlog longer than a minute "
        "re-sent every waiting request: 81–338 duplicate messages per 1,000-request run here, "
        "each turned away by the claim but each a wasted delivery on the queue that was "
        f"already backed up. Queued requests now wait {resend} "
        "(PROVISIONING_QUEUED_RESEND_SECONDS). This run: longest wait in the loaded run "
        f"{_ms(lo['wait_max'])}, messages re-sent there {lo['resent']}."
    )
    if lease:
        text += (
            f" Lease check ({lease['count']} requests whose messages sat unread, the "
            "reconciler's clock moved forward): re-sent once past the lease "
            f"{lease['after_lease']} of {lease['count']} (should be none), once past "
            f"{resend} {lease['after_resend']} of {lease['count']} (should be all); the "
            "original messages, delivered afterwards, found nothing to do "
            f"({lease['originals_turned_away']} of {lease['count']})."
        )
    return text + (
        " A message a worker took and then failed on before claiming the request is "
        "acknowledged anyway (late acks still acknowledge a task that raised); in one run here "
        "another session restarted PostgreSQL and about 150 tasks failed on it, nearly all "
        "before the claim. Since commit c09e11c `apply_request` retries itself on a database "
        "error (`autoretry_for=(DatabaseError,)` with backoff), so a blip costs seconds and the "
        "long re-send stays what it is for, a message the broker lost."
    )


def _change_lines(u: dict, protos: dict, mix: list[int], portal_loaded: dict) -> list[str]:
    weights = dict(zip(TYPES, mix, strict=True))
    base, reuse, keep, every = (protos[k] for k in ("profiled", "reuse", "keep_db", "all"))

    def part(run: dict, name: str) -> str:
        return ", ".join(f"{LABELS[t]} {_ms(run['types'][t]['profile'][name])}" for t in TYPES)

    def gain(before: dict, after: dict, key: str = "worker") -> str:
        return ", ".join(
            f"{LABELS[t]} {_ms(before['types'][t][key])} → {_ms(after['types'][t][key])}"
            for t in TYPES
        )

    def ratio(run: dict) -> str:
        return _x(_weighted(run, weights, "worker") / _weighted(run, weights, "direct"))

    b = base["types"]["s3-bucket"]["profile"]
    per_query = b["sql"] / b["sql_calls"] if b["sql_calls"] else math.nan
    lines = [
        f'3. **All three changes below together** (prototype "{every["title"]}"): '
        f"mix-weighted {ratio(base)} → **{ratio(every)}** of direct; portal p50 "
        f"{gain(base, every)}. What remains is the "
        "fixed cost of the request's bookkeeping (SQL) and of the engine's Python.",
        "4. **A: reuse drivers (and their boto3/hvac clients) in each worker process.** In "
        "the portal already (provisioning/drivers/registry.py `get_driver` keeps one per "
        "provider per process, forgotten in a forked child); the prototype re-applies it, so "
        f"it measures nothing new: making drivers and clients {part(base, 'setup')} per "
        f"request (probe, p50), portal p50 {gain(base, reuse)}.",
        "5. **B: keep the worker's database connection between tasks.** In the portal already "
        "(idp_portal/celery.py calls `close_old_connections()` around tasks instead of "
        "Celery's fixup closing every connection): connecting "
        f"{part(base, 'connect')} per task (probe, p50); the prototype, the same change again, "
        f"portal p50 {gain(reuse, keep)}.",
        "6. **C (optional once A is in): `gc.freeze()` in the worker after start-up.** Some "
        "of the portal's p95 outliers are full (generation 2) garbage collections walking "
        "Django's, Celery's and botocore's objects, set off by the garbage a new client per "
        "step leaves. Longest pause in a task: "
        + ", ".join(
            f"{run['title'].split(':')[0]} {_ms(max(run['types'][t]['gc_max'] for t in TYPES))}"
            for run in (base, reuse, keep, every)
        )
        + ". A removes nearly all of it; C takes the rest, and its p95 effect is lost in this "
        f"machine's noise (portal p95 {gain(keep, every, 'worker_p95')}). Production change: "
        "in idp_portal/celery.py, a `worker_process_init` handler that builds the drivers "
        "once (loading the botocore models), then `gc.collect(); gc.freeze()`.",
        f"7. **Database round trips.** A one-step request makes {b['sql_calls']:.0f} "
        f"queries in the worker ({_ms(b['sql'])}, {_ms(per_query)} each here, p50), and "
        "submit one between `submitted_at` and the message (item 1). What is left to try: "
        "each further step's start sent without waiting for the previous step's end to "
        "return, and the commits of the step boundaries made cheaper (synchronous_commit "
        "off would weaken the durability a killed worker relies on, so it is not done).",
    ]
    if heavy := every["loaded"]:
        lines.append(
            f"8. **Throughput.** Loaded, {heavy['n']} requests: the portal as is "
            f"{portal_loaded['throughput']:.1f} requests/s (run p50 "
            f"{_ms(portal_loaded['all']['service_50'])}), with A + B + C "
            f"**{heavy['throughput']:.1f} requests/s** (run p50 {_ms(heavy['all']['service_50'])})"
            f", lead p50 {_ms(portal_loaded['all']['lead_50'])} → {_ms(heavy['all']['lead_50'])}. "
            "The two loaded runs ran one after the other, not interleaved like the unloaded "
            "rounds, so other sessions' load weighs on this comparison"
            + (
                f", and the portal's run also carried the reconciler's {portal_loaded['resent']} "
                "duplicate messages"
                if portal_loaded["resent"]
                else ""
            )
            + "."
        )
    return lines


def write_section(text: str, path: Path = DOCS) -> Path:
    return docs_section.write_section(HEADING, text, path)
