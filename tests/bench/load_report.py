"""The load benchmark's figures: locust's CSV read into levels, and the docs section written.

Pure functions (values in, text out) apart from `read_stats`, which reads one CSV file; the
benchmark (tests/bench/load_bench.py) gathers the values.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

HEADING = "## Load (make bench-load)"
P95_LIMIT_MS = 500
RATE_GOAL = 100
WORKER_MEMORY_GOAL_MB = 250
KINDS = ["catalog list", "service page", "API read", "provisioning request"]
# The 1-minute load average per CPU above which the machine was busy with something else.
QUIET_LOAD_PER_CPU = 0.5
CPU_GROUPS = ["web", "PostgreSQL", "celery", "Redis", "moto", "locust", "other"]
WEB_WORKERS = 4


@dataclass
class KindStats:
    """locust's figures for one kind of request (or all of them: "Aggregated")."""

    requests: int
    failures: int
    rate: float
    p50_ms: float | None
    p95_ms: float | None


@dataclass
class Level:
    """One concurrency level: locust's figures, the processes' CPU, what provisioning did."""

    users: int
    total: KindStats
    kinds: dict[str, KindStats] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # role -> CPUs busy (1.0 = one CPU)
    machine_cpu: float = 0.0  # share of all CPUs busy, 0..1
    load: str = ""
    provisioned: dict[str, int] = field(default_factory=dict)  # final state -> requests
    drained_s: float = 0.0  # until the workers finished them, after the load stopped

    @property
    def provisioning_errors(self) -> int:
        return sum(n for state, n in self.provisioned.items() if state != "succeeded")

    @property
    def errors(self) -> int:
        return self.total.failures + self.provisioning_errors


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None  # locust writes "N/A" when a kind had no request


def parse_stats(rows: list[dict[str, str]]) -> tuple[KindStats, dict[str, KindStats]]:
    """The aggregated figures and those per kind (request name) from locust's _stats.csv."""
    by_name = {}
    for row in rows:
        by_name[row["Name"]] = KindStats(
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            rate=_number(row["Requests/s"]) or 0.0,
            p50_ms=_number(row["50%"]),
            p95_ms=_number(row["95%"]),
        )
    total = by_name.pop("Aggregated", None)
    if total is None:
        raise ValueError("locust's stats have no Aggregated row: did the run send anything?")
    return total, by_name


def read_stats(path: Path) -> tuple[KindStats, dict[str, KindStats]]:
    with path.open(newline="") as f:
        return parse_stats(list(csv.DictReader(f)))


def first_over_limit(levels: list[Level], limit_ms: float = P95_LIMIT_MS) -> Level | None:
    """The lowest concurrency whose p95 passes `limit_ms` (levels in any order)."""
    over = [lv for lv in levels if lv.total.p95_ms is not None and lv.total.p95_ms > limit_ms]
    return min(over, key=lambda lv: lv.users, default=None)


def best_within_limit(levels: list[Level], limit_ms: float = P95_LIMIT_MS) -> Level | None:
    """The level with the most requests/s among those with p95 ≤ `limit_ms` and no error."""
    fine = [
        lv
        for lv in levels
        if lv.total.p95_ms is not None and lv.total.p95_ms <= limit_ms and lv.errors == 0
    ]
    return max(fine, key=lambda lv: lv.total.rate, default=None)


def is_quiet(load_1min: float, cpus: int) -> bool:
    return load_1min <= QUIET_LOAD_PER_CPU * cpus


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _mark(passed: bool) -> str:
    return "pass" if passed else "**miss**"


def level_table(levels: list[Level]) -> list[str]:
    seen = {role for lv in levels for role in lv.cpu}
    roles = [g for g in CPU_GROUPS if g in seen] + sorted(seen - set(CPU_GROUPS))
    head = ["users", "req/s", "p50", "p95", "requests", "errors", "provisioned", "CPU busy"]
    head += [*roles, "load avg"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for lv in levels:
        cells = [
            str(lv.users),
            f"{lv.total.rate:,.1f}",
            _ms(lv.total.p50_ms),
            _ms(lv.total.p95_ms),
            f"{lv.total.requests:,}",
            _errors(lv),
            _provisioned(lv),
            f"{lv.machine_cpu:.0%}",
            *(f"{lv.cpu.get(role, 0):.2f}" for role in roles),
            lv.load,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _errors(level: Level) -> str:
    if not level.errors:
        return "0"
    parts = [f"{level.total.failures} HTTP"] if level.total.failures else []
    parts += [f"{n} {state}" for state, n in level.provisioned.items() if state != "succeeded"]
    return f"**{level.errors}** ({', '.join(parts)})"


def _provisioned(level: Level) -> str:
    done = level.provisioned.get("succeeded", 0)
    if not level.provisioned:
        return "0"
    return f"{done} ok, +{level.drained_s:.0f} s"


def kind_table(level: Level) -> list[str]:
    lines = ["| kind | requests | req/s | p50 | p95 | failures |", "|---|---|---|---|---|---|"]
    for name in [k for k in KINDS if k in level.kinds] + sorted(set(level.kinds) - set(KINDS)):
        k = level.kinds[name]
        lines.append(
            f"| {name} | {k.requests:,} | {k.rate:,.1f} | {_ms(k.p50_ms)} | {_ms(k.p95_ms)} "
            f"| {k.failures} |"
        )
    return lines


def memory_table(peaks: dict[str, float]) -> list[str]:
    lines = ["| process | peak RSS |", "|---|---|"]
    lines += [f"| {name} | {mb:,.0f} MB |" for name, mb in peaks.items()]
    return lines


def goals(levels: list[Level], peaks: dict[str, float]) -> list[str]:
    best = best_within_limit(levels)
    rate = best.total.rate if best else 0.0
    where = f"{rate:,.1f} req/s at {best.users} users" if best else "no level had p95 ≤ 500 ms"
    workers = [mb for name, mb in peaks.items() if name.startswith("gunicorn worker")]
    worker_peak = max(workers, default=0.0)
    errors = sum(lv.errors for lv in levels)
    return [
        f"- ≥ {RATE_GOAL} requests/s with p95 ≤ {P95_LIMIT_MS} ms: {where} — "
        f"{_mark(rate >= RATE_GOAL)}",
        f"- web worker memory ≤ {WORKER_MEMORY_GOAL_MB} MB: peak {worker_peak:,.0f} MB — "
        f"{_mark(0 < worker_peak <= WORKER_MEMORY_GOAL_MB)}",
        f"- errors 0: {errors} — {_mark(errors == 0)}",
    ]


def limit_note(levels: list[Level], cpus: int) -> str:
    """What the measurements say limits throughput, at the first level past the p95 limit (or
    the highest level): whether the CPUs were saturated, and which processes used them."""
    if not levels:
        return ""
    level = first_over_limit(levels) or max(levels, key=lambda lv: lv.users)
    users = [lv for lv in levels if lv.users <= level.users]
    peak = max(users, key=lambda lv: lv.total.rate)
    users_of = sorted(level.cpu.items(), key=lambda kv: -kv[1])
    who = ", ".join(f"{role} {busy:.2f}" for role, busy in users_of if busy >= 0.05)
    if level.machine_cpu >= 0.9:
        verdict = f"the {cpus} CPUs were saturated ({level.machine_cpu:.0%} busy)"
        if users_of and users_of[0][0] == "other":
            verdict += (
                ", mostly by programs other than the benchmark's: the machine was not quiet, "
                "so these figures understate the portal; measure again on a quiet machine"
            )
    else:
        verdict = f"the CPUs were not saturated ({level.machine_cpu:.0%} busy)"
        if level.users > WEB_WORKERS:
            verdict += (
                f": with {level.users} users and {WEB_WORKERS} sync web workers, each serving "
                "one request at a time, the others' requests wait in gunicorn's backlog"
            )
    return (
        f"At {level.users} users (p95 {_ms(level.total.p95_ms)}) {verdict}. CPUs used by "
        f"process group: {who}. Throughput peaked at {peak.total.rate:,.1f} req/s "
        f"({peak.users} users)."
    )


@dataclass
class Run:
    """Everything the section says about one run besides the levels."""

    command: str
    seconds: int
    think_s: float
    machine: dict[str, str]
    load_at_start: float
    code: str
    minutes: float
    notes: list[str] = field(default_factory=list)


def section(run: Run, levels: list[Level], peaks: dict[str, float]) -> str:
    cpus = int(run.machine.get("cpus", "1") or 1)
    quiet = is_quiet(run.load_at_start, cpus)
    over = first_over_limit(levels)
    lines = [
        HEADING,
        "",
        f"Reproduce: `{run.command}` (about {run.minutes:.0f} min). gunicorn (4 sync workers, "
        "DEBUG off, static files by whitenoise) and 2 Celery workers (one process each, "
        "concurrency 1) on PostgreSQL and Redis, moto for AWS, the catalog of 100,000 services "
        "of `make bench`; locust (headless, loopback) drives the mix: 70% catalog list views "
        "with filters, 15% service pages, 10% API reads with a token, 5% provisioning "
        "requests (a message queue in dev, applied by the workers against moto). Each level "
        f"runs {run.seconds} s, users waiting {run.think_s:g} s between requests. Errors are "
        "HTTP failures plus provisioning requests that did not end `succeeded`; `provisioned` is "
        "how many succeeded and how long after the level's load stopped the workers finished "
        "the last one (their backlog).",
        "",
        f"Machine: {run.machine.get('cpus')} CPUs ({run.machine.get('cpu')}), "
        f"{run.machine.get('ram')} RAM, PostgreSQL {run.machine.get('postgres')}, Python "
        f"{run.machine.get('python')}, Django {run.machine.get('django')}; measured "
        f"{run.machine.get('date')}, {run.code}. Load average at start "
        f"{run.load_at_start:.2f}: "
        + (
            "quiet."
            if quiet
            else "**not quiet** (other work "
            "was running; figures are lower than on an idle machine)."
        ),
        "",
        *level_table(levels),
        "",
        "CPU columns: CPUs busy per process group over the level (1.00 = one whole CPU): web "
        "is gunicorn, PostgreSQL the backends of the bench database, Redis the whole server, "
        "other everything else the machine ran; `CPU busy` is the share of all CPUs. "
        "locust's percentiles are rounded (to 10 ms above 100 ms, to 100 ms above 1 s).",
        "",
        f"p95 first passes {P95_LIMIT_MS} ms at: "
        + (f"{over.users} users ({_ms(over.total.p95_ms)})." if over else "no level measured."),
        "",
    ]
    if levels:
        top = max(levels, key=lambda lv: lv.users)
        lines += [f"Per kind at {top.users} users:", "", *kind_table(top), ""]
    lines += ["Peak memory (RSS) per process over the run:", "", *memory_table(peaks), ""]
    lines += ["Goals:", "", *goals(levels, peaks), ""]
    if "**miss**" in "\n".join(goals(levels, peaks)) and levels:
        lines += [f"What limits it: {limit_note(levels, cpus)}", ""]
    lines += [*run.notes]
    return "\n".join(lines).rstrip() + "\n"
