"""Builds, commits and deployment outcomes from GitHub's events: `workflow_run`,
`deployment_status` and `push` (payload shapes: GitHub's webhook docs and
@octokit/webhooks-schemas, see SOURCES.md).

The parsing functions are pure (a payload in, values out); `record_event` writes what they
return, in the caller's transaction, keyed so that the same run or commit seen twice (from a
webhook and from the poller) stays one row.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from idp_portal.timestamps import api_time
from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models import Build, ChangeCommit, Deployment, ServiceOrigin

EVENTS = ("workflow_run", "deployment_status", "push")


@dataclass
class Outcome:
    """What an event came to: recorded (with a sentence) or ignored (with the reason)."""

    recorded: bool
    detail: str
    records: list = field(default_factory=list)


def _author(commit: dict) -> str:
    author = commit.get("author") or {}
    return str(author.get("username") or author.get("name") or author.get("email") or "")[:200]


def repository_of(payload: dict) -> tuple[str, str]:
    """(full name, short name) of the payload's repository; ("", "") when it has none."""
    repo = payload.get("repository") if isinstance(payload, dict) else None
    if not isinstance(repo, dict):
        return "", ""
    return str(repo.get("full_name") or ""), str(repo.get("name") or "")


def build_fields(payload: dict) -> dict | None:
    """A completed `workflow_run` as Build fields; None for other actions (pure)."""
    run = payload.get("workflow_run") or {}
    if payload.get("action") != "completed" or not isinstance(run, dict) or not run.get("id"):
        return None
    head = run.get("head_commit") or {}
    return {
        "run_id": int(run["id"]),
        "workflow": str(run.get("name") or (payload.get("workflow") or {}).get("name") or "")[:200],
        "head_sha": str(run.get("head_sha") or head.get("id") or "")[:40],
        "committed_at": api_time(head.get("timestamp")),
        "author": _author(head),
        "conclusion": str(run.get("conclusion") or "")[:30],
        "url": str(run.get("html_url") or "")[:500],
        "completed_at": api_time(run.get("updated_at")),
    }


def pushed_commits(payload: dict) -> list[dict]:
    """{sha, committed_at, author} of each commit a `push` carries (pure)."""
    commits = list(payload.get("commits") or [])
    if isinstance(payload.get("head_commit"), dict):
        commits.append(payload["head_commit"])
    seen: dict[str, dict] = {}
    for c in commits:
        at = api_time(c.get("timestamp")) if isinstance(c, dict) else None
        if at and c.get("id"):
            seen[str(c["id"])[:40]] = {"committed_at": at, "author": _author(c)}
    return [{"sha": sha, **values} for sha, values in seen.items()]


def deployment_outcome(payload: dict) -> dict | None:
    """{sha, environment, rollout, at, detail} of a final `deployment_status`; None while the
    deployment is still queued or in progress (pure)."""
    status, deployment = payload.get("deployment_status") or {}, payload.get("deployment") or {}
    rollout = {
        "success": RolloutStatus.DONE,
        "failure": RolloutStatus.DEGRADED,
        "error": RolloutStatus.DEGRADED,
    }.get(status.get("state"))
    if rollout is None or not deployment.get("sha"):
        return None
    return {
        "sha": str(deployment["sha"]),
        "environment": str(status.get("environment") or deployment.get("environment") or ""),
        "rollout": rollout,
        "at": api_time(status.get("created_at")) or timezone.now(),
        "detail": str(status.get("description") or status.get("state"))[:500],
    }


def record_event(event: str, payload: dict) -> Outcome:
    """Record what one event says about a service the portal knows; ignore anything else."""
    full_name, name = repository_of(payload)
    origin = ServiceOrigin.objects.filter(name=name).first() if name else None
    if origin is None:
        return Outcome(False, f"repository {full_name or '(none)'} is no service of the portal")
    handler = {
        "workflow_run": _record_build,
        "push": _record_push,
        "deployment_status": _record_deployment_status,
    }[event]
    return handler(origin, full_name, payload)


def _record_build(origin: ServiceOrigin, repository: str, payload: dict) -> Outcome:
    fields = build_fields(payload)
    if fields is None:
        return Outcome(False, "only completed workflow runs are recorded")
    build = record_build(origin, repository, fields)
    return Outcome(True, f"build {fields['workflow']} #{fields['run_id']} recorded", [build])


def record_build(origin: ServiceOrigin | None, repository: str, fields: dict) -> Build:
    """Create or update the Build of one run (webhook and poller alike) and its commit time."""
    run_id = fields["run_id"]
    values = {k: v for k, v in fields.items() if k != "run_id"}
    build, _ = Build.objects.update_or_create(
        repository=repository, run_id=run_id, defaults={"origin": origin, **values}
    )
    if fields.get("head_sha") and fields.get("committed_at"):
        record_commit(origin, repository, fields["head_sha"], fields["committed_at"], build.author)
    return build


def record_commit(origin, repository: str, sha: str, at: datetime, author: str) -> ChangeCommit:
    commit, _ = ChangeCommit.objects.get_or_create(
        repository=repository,
        sha=sha,
        defaults={"origin": origin, "committed_at": at, "author": author},
    )
    return commit


def _record_push(origin: ServiceOrigin, repository: str, payload: dict) -> Outcome:
    commits = pushed_commits(payload)
    if not commits:
        return Outcome(False, "the push carries no commit with a time")
    records = [
        record_commit(origin, repository, c["sha"], c["committed_at"], c["author"]) for c in commits
    ]
    return Outcome(True, f"{len(records)} commit time(s) recorded", records)


def _record_deployment_status(origin: ServiceOrigin, repository: str, payload: dict) -> Outcome:
    outcome = deployment_outcome(payload)
    if outcome is None:
        return Outcome(False, "only final deployment states (success, failure, error) count")
    sha = outcome["sha"]
    deployment = (
        Deployment.objects.filter(origin=origin, status=DeploymentStatus.COMMITTED)
        .filter(Q(tag=sha) | Q(gitops_commit=sha))
        .filter(environment__name=outcome["environment"])
        .order_by("-committed_at", "-id")
        .first()
    )
    if deployment is None:
        where = f"{origin.name}@{sha[:12]} to {outcome['environment'] or '(no environment)'}"
        return Outcome(False, f"no committed portal deployment of {where}")
    deployment.rollout = outcome["rollout"]
    deployment.rollout_detail = f"GitHub deployment: {outcome['detail']}"
    if outcome["rollout"] == RolloutStatus.DONE:
        deployment.rolled_out_at = deployment.rolled_out_at or outcome["at"]
    deployment.save(update_fields=["rollout", "rollout_detail", "rolled_out_at"])
    state = deployment.get_rollout_display()
    return Outcome(True, f"deployment #{deployment.pk} is {state}", [deployment])
