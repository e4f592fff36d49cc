"""Day-2 updates of services made from golden paths: who is behind, and opening the updates.

When a golden path or a pipeline template gets a new published version, the services on an
older one are behind. An upgrade (golden path: the whole skeleton) or a roll-out (pipeline: the
workflow file only) is a provisioning request with one step per service (kind
"repository-update"), so the engine gives progress (done / failed / remaining), retries from the
failed step and the live log. A step holds only ids and renders when it runs
(golden_paths/update_apply.py: render at the versions the repository is on and at the new ones,
three-way merge onto its own files, one commit, or a branch when they conflict).

The chain is named "update" throughout, as the page is ("Golden-path updates", /updates/):
updates.py (who is behind, opening) → update_apply.py (one service's step) → views_updates.py
(the pages) → drivers/updates.py (the step's driver). "Upgrade" names only the golden-path kind
of update, beside the pipeline's roll-out.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from provisioning import services as provisioning
from provisioning.choices import RequestState, StepState
from provisioning.drivers.base import PlannedResource
from provisioning.golden_paths.update_apply import pipeline_after, pipeline_of
from provisioning.models import (
    GoldenPath,
    PipelineTemplate,
    ProvisioningRequest,
    RequestStep,
    ServiceOrigin,
)

UPGRADE_TYPE = "golden-path-upgrade"
ROLLOUT_TYPE = "pipeline-rollout"
PROVIDER, KIND = "golden-path", "repository-update"
ACTIVE_REQUEST_STATES = [
    RequestState.PLANNED,
    RequestState.AWAITING_APPROVAL,
    RequestState.QUEUED,
    RequestState.RUNNING,
]


class UpdateError(Exception):
    """Nothing can be opened as asked; the message says what to do instead."""


# --- Who is behind -------------------------------------------------------------------------


def newest_published(model) -> dict[str, object]:
    """The newest published version of each golden path or pipeline template, by slug."""
    rows = model.objects.filter(published=True).order_by("slug", "-version")
    if model is GoldenPath:
        rows = rows.select_related("pipeline")
    latest: dict[str, object] = {}
    for row in rows:
        latest.setdefault(row.slug, row)
    return latest


def live_services():
    """Services whose creation got as far as the catalog: their repositories exist."""
    return (
        ServiceOrigin.objects.filter(component__isnull=False)
        .select_related("golden_path__pipeline", "pipeline", "team", "component")
        .order_by("name")
    )


def behind_golden_path(origin: ServiceOrigin, latest: dict) -> GoldenPath | None:
    """The newer golden path version `origin` could be upgraded to, or None."""
    newest = latest.get(origin.golden_path.slug)
    return newest if newest and newest.version > origin.golden_path.version else None


def behind_pipeline(origin: ServiceOrigin, latest: dict) -> PipelineTemplate | None:
    current = pipeline_of(origin)
    newest = latest.get(current.slug)
    return newest if newest and newest.version > current.version else None


@dataclass
class Behind:
    """A template's newest version and the services on an older one."""

    template: object
    services: list

    @property
    def count(self) -> int:
        return len(self.services)


def overview() -> dict[str, list[Behind]]:
    """Every golden path and pipeline template with the services behind it (three queries)."""
    paths, pipelines = newest_published(GoldenPath), newest_published(PipelineTemplate)
    origins = list(live_services())
    return {
        "golden_paths": [
            Behind(gp, [o for o in origins if behind_golden_path(o, paths) == gp])
            for gp in sorted(paths.values(), key=lambda g: g.name.lower())
        ],
        "pipelines": [
            Behind(p, [o for o in origins if behind_pipeline(o, pipelines) == p])
            for p in sorted(pipelines.values(), key=lambda p: p.name.lower())
        ],
    }


def behind_counts(model) -> dict[int, int]:
    """{id of the newest version: services behind it} for the admin's lists."""
    rows = overview()["golden_paths" if model is GoldenPath else "pipelines"]
    return {b.template.pk: b.count for b in rows}


def with_newest_versions(origins):
    """`origins` annotated with the newest published version of their golden path and of
    their pipeline (`newest_golden_path`, `newest_pipeline`): no further query per page."""

    def newest(model, slug):
        rows = model.objects.filter(slug=slug, published=True).order_by("-version")
        return Subquery(rows.values("version")[:1])

    return origins.annotate(
        newest_golden_path=newest(GoldenPath, OuterRef("golden_path__slug")),
        newest_pipeline=newest(
            PipelineTemplate,
            Coalesce(OuterRef("pipeline__slug"), OuterRef("golden_path__pipeline__slug")),
        ),
    )


def upgrade_status(origin: ServiceOrigin) -> dict:
    """What the service page says: the versions it is on, and newer ones (from the
    annotations of `with_newest_versions`)."""
    pipeline = pipeline_of(origin)
    newest_path = origin.newest_golden_path or 0
    newest_pipeline = origin.newest_pipeline or 0
    return {
        "pipeline_on": pipeline,
        "golden_path_available": newest_path if newest_path > origin.golden_path.version else None,
        "pipeline_available": newest_pipeline if newest_pipeline > pipeline.version else None,
    }


@dataclass
class Progress:
    request: ProvisioningRequest
    done: int = 0
    failed: int = 0
    remaining: int = 0
    conflicts: int = 0  # done, but left on a branch to merge by hand


def progress(requests: list[ProvisioningRequest]) -> list[Progress]:
    """Each update request's steps counted: done, failed, remaining, conflicts (one query)."""
    succeeded = Q(steps__state=StepState.SUCCEEDED)
    counts = (
        ProvisioningRequest.objects.filter(pk__in=[r.pk for r in requests])
        .values("pk")
        .annotate(
            done=Count("steps", filter=succeeded),
            failed=Count("steps", filter=Q(steps__state=StepState.FAILED)),
            remaining=Count(
                "steps", filter=Q(steps__state__in=[StepState.PENDING, StepState.RUNNING])
            ),
            conflicts=Count("steps", filter=succeeded & Q(steps__message__startswith="conflict")),
        )
    )
    by_pk = {row.pop("pk"): row for row in counts}
    return [Progress(r, **by_pk.get(r.pk, {})) for r in requests]


# --- Opening updates -----------------------------------------------------------------------


def _step(origin: ServiceOrigin, target) -> tuple[str, PlannedResource]:
    if isinstance(target, GoldenPath):
        what, title = "golden-path", f"Upgrade {origin.name} to {target.name} v{target.version}"
    else:
        what, title = "pipeline", f"Roll out {target.name} v{target.version} to {origin.name}"
    config = {"service": origin.name, what: target.pk}
    name = f"{origin.name}:{what}@{target.slug}-v{target.version}"
    return title, PlannedResource(PROVIDER, KIND, name, {"service": origin.name}, config)


def _in_flight() -> set[str]:
    """Names of update steps that unfinished requests have yet to run."""
    return set(
        RequestStep.objects.filter(
            request__state__in=ACTIVE_REQUEST_STATES,
            state__in=[StepState.PENDING, StepState.RUNNING],
            resource__kind=KIND,
        ).values_list("resource__name", flat=True)
    )


def _latest_or_refuse(target) -> None:
    latest = newest_published(type(target)).get(target.slug)
    if latest is None or latest.pk != target.pk:
        newest = f"v{latest.version}" if latest else "a published version"
        raise UpdateError(
            f"{target.name} v{target.version} is not the newest published version: "
            f"open the update for {newest} instead"
        )


def submit_update(user, target, names: list[str] | None = None) -> ProvisioningRequest:
    """One request that brings the services behind `target` (all, or those in `names`) to it.

    `target` is the newest published GoldenPath (an upgrade) or PipelineTemplate (a roll-out).
    Services already being updated to it are left out. Raises UpdateError; nothing is made.
    """
    _latest_or_refuse(target)
    is_path = isinstance(target, GoldenPath)
    latest = {target.slug: target}
    behind = behind_golden_path if is_path else behind_pipeline
    origins = [o for o in live_services() if behind(o, latest)]
    if names is not None:
        origins = [o for o in origins if o.name in set(names)]
    busy = _in_flight()
    steps = [s for s in (_step(o, target) for o in origins) if s[1].name not in busy]
    if not steps:
        raise UpdateError(
            f"nothing to update: no service{' of those chosen' if names else ''} is behind "
            f"{target.name} v{target.version} without an update already under way"
        )
    return _submit(user, target, origins, steps, is_path)


def _submit(user, target, origins, steps, is_path: bool) -> ProvisioningRequest:
    one = origins[0] if len(steps) == 1 else None
    verb = "Upgrade" if is_path else "Roll out"
    # One service's update belongs to its team (its members follow it); several: platform-wide.
    return _open(
        user,
        f"{verb} {len(steps)} service(s) to {target.name} v{target.version}",
        UPGRADE_TYPE if is_path else ROLLOUT_TYPE,
        steps,
        one,
        {"target": f"{target.slug}@{target.version}", "services": len(steps)},
    )


@transaction.atomic
def _open(user, summary: str, kind: str, steps: list, origin, parameters: dict):
    request = ProvisioningRequest.objects.create(
        requester=user,
        team=origin.team if origin else None,
        component=origin.component if origin else None,
        service_name=origin.name if origin else "",
        type=kind,
        parameters=parameters,
        plan={"summary": summary, "resources": [r.to_json() for _, r in steps]},
        state=RequestState.PLANNED,
        submitted_at=timezone.now(),
    )
    # Nothing to claim: the repositories exist, and many requests may update them in turn.
    provisioning.start_planned_request(request, steps, user.get_username(), claim=False)
    return request


def submit_service_upgrade(user, origin: ServiceOrigin) -> ProvisioningRequest:
    """Bring one service to its golden path's newest version and its pipeline's newest."""
    paths, pipelines = newest_published(GoldenPath), newest_published(PipelineTemplate)
    steps, pipeline = [], pipeline_of(origin)
    if gp := behind_golden_path(origin, paths):
        steps.append(_step(origin, gp))
        pipeline = pipeline_after(pipeline, gp.pipeline)
    newest = pipelines.get(pipeline.slug)
    if newest and newest.version > pipeline.version:
        steps.append(_step(origin, newest))
    busy = _in_flight()
    steps = [s for s in steps if s[1].name not in busy]
    if not steps:
        raise UpdateError(
            f"{origin.name} is on the newest versions, or its upgrade is already under way"
        )
    summary = f"Upgrade {origin.name}: " + "; ".join(t for t, _ in steps)
    return _open(user, summary, UPGRADE_TYPE, steps, origin, {"services": 1})
