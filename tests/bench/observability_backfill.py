"""The backfill part of the observability benchmark (issue 6): one backfill of N services ×
every environment, planned, submitted and applied the way the tests run requests
(`engine.apply` in this process, no broker in between), in a GitOps repository of its own.

1. Remove the bench's GitOps repository: every bundle is to be written.
2. Plan (render, digest, compare with the repository and with unfinished requests).
3. Submit: plan again, record one request with a step per bundle (inputs only).
4. Submit the same selection again before it runs: every bundle is in flight, nothing new.
5. Apply through the engine: each step renders its bundle and commits it; a request that
   runs past engine.SLICE_SECONDS is queued again and applied again, as the worker's task
   sends itself again.
6. Submit once more: every bundle is up to date, nothing new; count the commits.
"""

import shutil
import subprocess
import time
from dataclasses import dataclass, field


@dataclass
class BackfillFigures:
    services: int
    environments: int = 0
    steps: int = 0
    plan_s: float = 0.0
    submit_s: float = 0.0
    apply_s: float = 0.0
    replan_s: float = 0.0
    state: str = ""
    commits: int = 0
    request_bytes: int = 0
    in_flight_again: int = 0
    up_to_date_again: int = 0
    second_request: bool = False
    third_request: bool = False
    other_load: float = 0.0
    slices: int = 1
    slice_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def written_once(self) -> bool:
        return (
            self.state == "succeeded"
            and self.commits == self.steps
            and not self.second_request
            and not self.third_request
        )

    def lines(self) -> list[str]:
        load = f" (other load {self.other_load:.1f} CPUs)" if self.other_load > 0.3 else ""
        return [
            f"Backfill of {self.services:,} services × {self.environments} environments = "
            f"{self.steps:,} bundles{load}: plan {self.plan_s:.1f} s, submit (plan + request "
            f"+ steps) {self.submit_s:.1f} s, apply through the engine {self.apply_s:.0f} s "
            f"({per_s(self.services, self.apply_s)} services, "
            f"{per_s(self.steps, self.apply_s)} bundles, one commit each; {self.slices} "
            f"task slice(s) of at most {self.slice_s:.0f} s); end to end "
            f"{per_s(self.services, self.submit_s + self.apply_s)} services. The request is "
            f"{self.request_bytes / 1024:,.0f} KiB of plan and steps (inputs, not files).",
            f"Nothing written twice: **{'pass' if self.written_once else 'miss'}**: request "
            f"{self.state}, {self.commits:,} commits for {self.steps:,} bundles; a second "
            f"backfill before it ran found {self.in_flight_again:,} bundles in flight and "
            f"{'made a request' if self.second_request else 'made no request'}; a third after "
            f"it found {self.up_to_date_again:,} up to date "
            f"({'made a request' if self.third_request else 'made no request'}, planned in "
            f"{self.replan_s:.1f} s).",
        ]


def per_s(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}/s" if seconds else "—"


def _commits(repo) -> int:
    if not (repo / "HEAD").exists():
        return 0
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "rev-list", "--count", "main"],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(result.stdout.strip() or 0)


def _request_bytes(request) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_size(plan) + pg_column_size(parameters) FROM "
            "provisioning_provisioningrequest WHERE id = %s",
            [request.pk],
        )
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COALESCE(SUM(pg_column_size(resource)), 0) FROM provisioning_requeststep "
            "WHERE request_id = %s",
            [request.pk],
        )
        return size + cursor.fetchone()[0]


def measure_backfill(user, count: int, busy_cpus) -> BackfillFigures:
    """Steps 1–6 above on the first `count` services by name (tier 1 first, as planned)."""
    from catalog.models import Component
    from observability import services
    from observability.conf import GITOPS_REPOSITORY
    from provisioning import engine
    from provisioning.git_host.local import repo_path
    from provisioning.models import Environment, ProvisioningRequest

    figures = BackfillFigures(count, environments=Environment.objects.count())
    figures.slice_s = engine.SLICE_SECONDS
    repo = repo_path(GITOPS_REPOSITORY)
    shutil.rmtree(repo, ignore_errors=True)
    ProvisioningRequest.objects.filter(type=services.BACKFILL_TYPE).delete()
    components = list(Component.objects.select_related("owner", "system").order_by("name")[:count])
    figures.other_load = busy_cpus()

    started = time.perf_counter()
    plan = services.plan_backfill(components)
    figures.plan_s = time.perf_counter() - started

    started = time.perf_counter()
    request, plan = services.submit_backfill(user, components)
    figures.submit_s = time.perf_counter() - started
    figures.steps = len(plan.resources)
    figures.request_bytes = _request_bytes(request)

    again, plan = services.submit_backfill(user, components)
    figures.second_request, figures.in_flight_again = again is not None, plan.in_flight

    started = time.perf_counter()
    outcome = engine.apply(request.pk, "bench")
    while outcome.retry_in is not None:  # the next slice, as apply_request sends itself again
        figures.slices += 1
        time.sleep(outcome.retry_in)
        outcome = engine.apply(request.pk, "bench")
    figures.state = outcome.state
    figures.apply_s = time.perf_counter() - started
    figures.commits = _commits(repo)

    started = time.perf_counter()
    third, plan = services.submit_backfill(user, components)
    figures.replan_s = time.perf_counter() - started
    figures.third_request, figures.up_to_date_again = third is not None, plan.up_to_date
    figures.commits = _commits(repo)
    return figures
