"""Figures of the golden-path benchmark, from the portal's own records, and its section of
docs/benchmarks.md ("Golden paths (issue 5)").

The client knows when the user clicked and when the portal answered; the database knows the
rest: when the request was submitted, claimed by a worker, when each step ran, when the
staging Deployment was committed and when the request ended. Both clocks are this machine's.
"""

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.bench import docs_section
from tests.bench.golden_client import Sample

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
HEADING = "## Golden paths (issue 5)"
TARGET_S = 30.0
STAGES = [
    "service repository",
    "GitOps manifests and Argo CD applications",
    "catalog entry",
    "deployment to staging",
    "observability bundle",
]


def stage(resource: dict) -> str:
    """Which part of the new service a step makes, for the "where the time goes" table."""
    provider, kind, name = resource.get("provider"), resource.get("kind"), resource.get("name", "")
    if provider == "git" and kind == "repository":
        return STAGES[0]
    if provider == "git" and name.endswith("/observability"):
        return STAGES[4]
    if provider == "git":
        return STAGES[1]
    if kind == "catalog-component":
        return STAGES[2]
    if kind == "deployment":
        return STAGES[3]
    return f"{provider} {kind}"


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    return (later - earlier).total_seconds() if later and earlier else None


def read_server_times(samples: list[Sample], environment: str) -> None:
    """Fill each sample's `server` from the database: queue wait, step times, the commit."""
    from provisioning.choices import EventKind
    from provisioning.models import Deployment, ProvisioningRequest, RequestEvent

    ids = [s.request_id for s in samples if s.request_id]
    requests = ProvisioningRequest.objects.prefetch_related("steps").in_bulk(ids)
    retries: dict[int, list[str]] = {}
    for request_id, message in RequestEvent.objects.filter(
        request_id__in=ids, kind=EventKind.RETRY
    ).values_list("request_id", "message"):
        retries.setdefault(request_id, []).append(message)
    deployments = {
        d.request_id: d
        for d in Deployment.objects.filter(request_id__in=ids, environment__name=environment)
    }
    for sample in samples:
        request = requests.get(sample.request_id)
        if request is None:
            continue
        clicked = datetime.fromtimestamp(sample.clicked_at, UTC)
        deployment = deployments.get(request.pk)
        stages: dict[str, float] = {}
        for step in request.steps.all():
            if took := _seconds(step.finished_at, step.started_at):
                stages[stage(step.resource)] = stages.get(stage(step.resource), 0.0) + took
        running = _seconds(request.finished_at, request.started_at)
        sample.server = {
            "state": request.state,
            "failure": request.failure,
            "submitted_s": _seconds(request.submitted_at, clicked),
            "queue_s": _seconds(request.started_at, request.submitted_at),
            "stages": stages,
            "engine_s": running - sum(stages.values()) if running is not None else None,
            "retries": retries.get(request.pk, []),
            "committed": bool(deployment and deployment.status == "committed"),
            "committed_s": _seconds(deployment and deployment.committed_at, clicked),
            "succeeded_s": _seconds(request.finished_at, clicked)
            if request.state == "succeeded"
            else None,
        }


def deployed(sample: Sample) -> bool:
    """ "Deployed to staging": the request succeeded and the staging Deployment is committed."""
    return sample.server.get("state") == "succeeded" and sample.server.get("committed", False)


@dataclass
class Spread:
    p50: float
    p95: float
    max: float
    n: int

    @classmethod
    def of(cls, values: list[float | None]) -> "Spread | None":
        from tests.bench.measure import percentile

        values = [v for v in values if v is not None]
        if not values:
            return None
        p95 = percentile(values, 95) if len(values) > 1 else values[0]
        return cls(statistics.median(values), p95, max(values), len(values))

    def text(self) -> str:
        return f"{_s(self.p50)} / {_s(self.p95)} / {_s(self.max)}"


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def summary(samples: list[Sample]) -> dict:
    """p50/p95/max of each figure; the verdict counts a service not deployed as a miss."""
    ok = [s for s in samples if deployed(s)]
    figures = {
        "accepted": Spread.of([s.accepted_s for s in samples]),
        "queue": Spread.of([s.server.get("queue_s") for s in ok]),
        "committed": Spread.of([s.server.get("committed_s") for s in ok]),
        "deployed": Spread.of([s.server.get("succeeded_s") for s in ok]),
        "observed": Spread.of([s.observed_s for s in ok]),
    }
    figures["failed"] = [s for s in samples if not deployed(s)]
    figures["passed"] = (
        not figures["failed"]
        and figures["deployed"] is not None
        and figures["deployed"].p95 <= TARGET_S
    )
    return figures


def where_time_goes(samples: list[Sample]) -> list[str]:
    """Mean seconds per service in each part of the way, over the services deployed."""
    ok = [s for s in samples if deployed(s)]
    if not ok:
        return ["No service was deployed: nothing to split."]

    def mean(values) -> str:
        values = [v for v in values if v is not None]
        return _s(statistics.fmean(values)) if values else "—"

    rows = [
        ("the create call (plan, records, queue) until the portal answered",
         mean(s.accepted_s for s in ok)),
        ("waiting in the queue (answered → a worker claims it)",
         mean(s.server["queue_s"] - (s.accepted_s - s.server["submitted_s"]) for s in ok)),
    ]  # fmt: skip
    stages = [name for name in STAGES if any(name in s.server["stages"] for s in ok)]
    stages += sorted({n for s in ok for n in s.server["stages"]} - set(stages))
    rows += [(f"step: {name}", mean(s.server["stages"].get(name) for s in ok)) for name in stages]
    rows.append(
        (
            "between steps: the engine's bookkeeping, and for a retried step its earlier "
            "attempts, the back-off and the wait for a worker again",
            mean(s.server["engine_s"] for s in ok),
        )
    )
    rows.append(("total: create → request succeeded", mean(s.server["succeeded_s"] for s in ok)))
    return ["| Part | Mean per service |", "|---|---:|", *[f"| {a} | {b} |" for a, b in rows]]


def retry_lines(samples: list[Sample]) -> list[str]:
    """How many steps were tried again, why (the commonest reason) and the back-off it cost."""
    messages = [m for s in samples for m in s.server.get("retries", [])]
    if not messages:
        return ["No step was retried."]
    reasons: dict[str, int] = {}
    for message in messages:
        reason = re.sub(r"; retrying in .*", "", message)
        reasons[reason] = reasons.get(reason, 0) + 1
    commonest = max(reasons, key=reasons.get)
    backoff = sum(float(d) for m in messages for d in re.findall(r"retrying in (\d+)s", m))
    hit = sum(bool(s.server.get("retries")) for s in samples)
    return [
        f"Retries: {len(messages)} step attempts were retried in {hit} of {len(samples)} "
        f"requests, {reasons[commonest]} of them for “{commonest}”; the engine's back-off alone "
        f"was {backoff:.0f} s in all (mean {backoff / len(samples):.1f} s per service), before "
        "each retry waited for a free worker process again."
    ]


def _row(label: str, n: int, figures: dict) -> str:
    keys = ("accepted", "committed", "deployed", "observed")
    cells = " | ".join(figures[k].text() if figures[k] else "—" for k in keys)
    verdict = "pass" if figures["passed"] else "**miss**"
    if figures["failed"]:
        verdict += f" ({len(figures['failed'])} of {n} not deployed)"
    return f"| {label} | {n} | {cells} | ≤ 30 s p95 | {verdict} |"


def section(runs: list[tuple[str, list[Sample]]], info: dict, notes: list[str]) -> str:
    """The whole section: how it was measured, one row per run, where the time goes."""
    lines = [
        HEADING,
        "",
        f"Measured {info['date']} on {info['machine']}; {info['code']}. Reproduce with "
        f"`{info['command']}` (options: `--help`).",
        "",
        "The benchmark starts the portal as `make dev` does — a fresh data folder "
        "(var/bench/golden), `manage.py migrate`, `manage.py seed_demo`, then `manage.py dev`: "
        "runserver, one Celery worker (concurrency 2) on the filesystem broker, beat and a moto "
        "server, SQLite, local bare git repositories, Kubernetes and Vault not connected, "
        f"DEBUG=true — on free loopback ports{info['reload']}. It signs in as a demo user and "
        f"creates each service {info['via']}, alternating the two seeded golden paths "
        "(python-http, node-http), and polls the request every "
        f"{info['poll_ms']} ms. *Deployed to staging* means the request succeeded and the "
        "service's staging `Deployment` is committed to the GitOps repository. Times run from "
        "the moment the create call is sent: *accepted* until the portal answers (201, or the "
        "redirect to the request page), *committed* and *deployed* until the database's "
        "`committed_at` and the request's `finished_at`; *seen* is when the user's polling "
        "first showed the request done. Cells are p50 / p95 / max.",
        "",
        "| Run | Services | Accepted | Staging deployment committed | Deployed to staging "
        "(request succeeded) | Seen by the user | Target | Result |",
        "|---|---:|---|---|---|---|---|---|",
    ]
    for label, samples in runs:
        lines.append(_row(label, len(samples), summary(samples)))
    lines += ["", verdict_line(runs)]
    for label, samples in runs:
        figures = summary(samples)
        lines += ["", f"Where the time goes, {label.lower()}:", "", *where_time_goes(samples)]
        if figures["queue"]:
            lines += [
                "",
                f"Queue wait, submitted → claimed by a worker, p50 / p95 / max: "
                f"{figures['queue'].text()}. {retry_lines(samples)[0]}",
            ]
        for sample in figures["failed"]:
            why = sample.error or sample.server.get("failure") or sample.state or "no answer"
            lines.append(f"- {sample.name} ({sample.golden_path}) not deployed: {why[:200]}")
    lines += ["", *[f"- {note}" for note in notes]]
    for label, samples in runs:
        if not summary(samples)["passed"] and any(
            "moved while committing" in m for s in samples for m in s.server.get("retries", [])
        ):
            lines += ["", GIT_CONFLICT_NOTE.format(run=label.lower(), **_conflict_figures(samples))]
    return "\n".join(lines) + "\n"


def verdict_line(runs: list[tuple[str, list[Sample]]]) -> str:
    """The issue's figure is the first run (services one after another); the others follow."""
    parts = []
    for label, samples in runs:
        figures = summary(samples)
        p95 = f"p95 {_s(figures['deployed'].p95)}" if figures["deployed"] else "none deployed"
        parts.append(f"{label.lower()}: {'pass' if figures['passed'] else 'miss'} ({p95})")
    return (
        f"**Verdict** (≤ {TARGET_S:.0f} s p95 over {len(runs[0][1])} services): "
        + "; ".join(parts)
        + "."
    )


def _conflict_figures(samples: list[Sample]) -> dict:
    """What the run would take with steps alone: the last answer, then the steps' work shared
    by the worker's two processes."""
    ok = [s for s in samples if deployed(s)]
    steps = statistics.fmean(sum(s.server["stages"].values()) for s in ok) if ok else 0.0
    answered = max((s.accepted_s or 0.0) for s in samples)
    return {
        "steps": _s(steps),
        "estimate": _s(answered + len(samples) * steps / 2),
        "answered": _s(answered),
    }


GIT_CONFLICT_NOTE = """Why {run} misses: a service's steps take {steps} of work; the rest is \
waiting — for the web server to plan all of them (the last answer came after {answered}), for one \
of the worker's two processes, and for retries after git commit conflicts. Every service makes \
one commit per GitOps step to the one GitOps repository (gitops.git@main: base, overlays, Argo \
CD applications, the first deployment, observability bundles), and the worker's two processes \
do so at once. The git driver publishes a commit with a compare-and-swap (`update-ref NEW \
OLD`); the loser raises a TransientError, and the engine treats it like a throttled cloud API: \
back-off with full jitter from 2 s doubling per attempt, then the request queues again behind \
the others — for a conflict that a retry resolves in milliseconds. Without the retries the last \
service would be deployed after about {estimate} (last answer + the steps' work shared by two \
processes). Proposed fix (portal code, not made here): in `provisioning/git_host/plumbing.py` \
`commit_files`, rebuild on the new head and retry the swap a few times at once (or hold a \
per-repository `flock` around read-tree…update-ref), raising TransientError only when that \
keeps failing."""


def write_section(text: str, path: Path = DOCS) -> Path:
    return docs_section.write_section(HEADING, text, path)
