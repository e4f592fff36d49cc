"""Every write of the observability app, and the bundle generator other apps call.

- `bundle_resources(component, environment)`: the standard bundle as a PlannedResource
  (registered with provisioning.extensions for every new service's plan);
- `submit_backfill(user, components, …)`: one provisioning request, one step per bundle that
  differs from the repository and is not already being written;
- `refresh_coverage()`: read the GitOps repository and the stack, store every service's signals;
- `set_on_call(team, user, …)`: a team's PagerDuty target.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.choices import LinkKind
from catalog.models import Component, Link, Team
from observability import conf, gitops, stack
from observability.bundle import BundleSpec, OnCallRef, digest, digest_of_blobs, render
from observability.choices import BaselineScope
from observability.coverage import environment_details, signal_statuses, summary
from observability.models import AlertBaseline, CoverageRefresh, ServiceCoverage, TeamOnCall
from observability.thresholds import Thresholds, resolve
from provisioning.choices import RequestState, StepState
from provisioning.drivers.base import PlannedResource
from provisioning.models import Environment, ProvisioningRequest, RequestStep
from provisioning.services import submit_steps

logger = logging.getLogger(__name__)

BACKFILL_TYPE = "observability-backfill"
# One request carries every bundle's files twice (plan and steps): keep it to a size the
# request page can load; a larger filter is done in several backfills, tier 1 first.
MAX_BACKFILL_SERVICES = 300
ACTIVE_REQUEST_STATES = [
    RequestState.PLANNED,
    RequestState.AWAITING_APPROVAL,
    RequestState.QUEUED,
    RequestState.RUNNING,
]
COVERAGE_FIELDS = ["logs", "metrics", "traces", "dashboard", "alerts"]
KEEP_REFRESHES = timedelta(days=7)


class BackfillError(Exception):
    """The backfill cannot be planned; the message says what to do."""


# --- bundles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleContext:
    """What the bundles of a batch of services need, read in a fixed number of queries."""

    default: dict | None
    overrides: dict[int, dict]
    on_calls: dict[int, OnCallRef]  # by team id
    runbooks: dict[int, str]  # by component id
    otlp_endpoint: str

    def thresholds(self, tier: int) -> Thresholds:
        return resolve(tier, self.default, self.overrides.get(tier))


def load_context(component_ids: list[int] | None = None) -> BundleContext:
    baselines = {row.tier: row.values() for row in AlertBaseline.objects.all()}
    runbooks = Link.objects.filter(kind=LinkKind.RUNBOOK).order_by("-id")
    if component_ids is not None:
        runbooks = runbooks.filter(component_id__in=component_ids)
    return BundleContext(
        default=baselines.pop(BaselineScope.DEFAULT, None),
        overrides=baselines,
        on_calls={
            row.team_id: OnCallRef(
                row.pagerduty_service, row.routing_key_secret, row.routing_key_secret_key
            )
            for row in TeamOnCall.objects.all()
        },
        # Ordered newest first, so the dict keeps each component's oldest runbook link.
        runbooks=dict(runbooks.values_list("component_id", "url")),
        otlp_endpoint=conf.otlp_endpoint(),
    )


def thresholds_in_force(tier: int) -> Thresholds:
    """The thresholds a service of this tier gets (one query)."""
    rows = {
        row.tier: row.values()
        for row in AlertBaseline.objects.filter(tier__in=[BaselineScope.DEFAULT, tier])
    }
    return resolve(tier, rows.get(BaselineScope.DEFAULT), rows.get(tier))


def namespace_for(team: str, service: str, env: Environment) -> str:
    return env.namespace_pattern.format(team=team, service=service, env=env.name).lower()


def bundle_spec(component: Component, env: Environment, context: BundleContext) -> BundleSpec:
    team = component.owner.name if component.owner else "unowned"
    annotations = component.annotations or {}
    return BundleSpec(
        service=component.name,
        team=team,
        system=component.system.name if component.system_id else "",
        tier=component.tier,
        environment=env.name,
        namespace=namespace_for(team, component.name, env),
        thresholds=context.thresholds(component.tier),
        runbook_url=context.runbooks.get(component.pk, ""),
        on_call=context.on_calls.get(component.owner_id),
        otlp_endpoint=context.otlp_endpoint,
        # Approval-gated environments (production) carry real traffic: sample 10% of traces.
        trace_sampling_ratio=0.1 if env.requires_approval else 1.0,
        metrics_port=annotations.get("portal.idp/metrics-port", "http"),
        metrics_path=annotations.get("portal.idp/metrics-path", "/metrics"),
    )


def bundle_resource(spec: BundleSpec, files: dict[str, str] | None = None) -> PlannedResource:
    files = files if files is not None else render(spec)
    fingerprint = digest(files)
    return PlannedResource(
        provider="git",
        kind="gitops-files",
        name=f"{conf.GITOPS_REPOSITORY}:{spec.folder}",
        tags={
            "team": spec.team,
            "service": spec.service,
            "environment": spec.environment,
            "managed-by": "idp-portal",
            "bundle": "observability",
            "digest": fingerprint,
        },
        config={
            "files": files,
            "message": f"observability: standard bundle for {spec.service} in "
            f"{spec.environment} ({fingerprint[:8]})",
            "branch": "main",
            "prune": True,
        },
    )


def bundle_resources(component: Component, environment: Environment) -> list[PlannedResource]:
    """The bundle generator registered with provisioning.extensions (golden paths call it)."""
    context = load_context([component.pk])
    return [bundle_resource(bundle_spec(component, environment, context))]


# --- backfill ----------------------------------------------------------------------------


@dataclass
class BackfillPlan:
    resources: list[PlannedResource] = field(default_factory=list)
    services: list[str] = field(default_factory=list)  # services with a bundle to write
    up_to_date: int = 0  # bundles identical in the repository already
    in_flight: int = 0  # bundles another unfinished request is already writing
    without_owner: list[str] = field(default_factory=list)
    not_examined: int = 0  # services left for the next backfill (over the size limit)

    @property
    def summary(self) -> str:
        parts = [
            f"Observability backfill: {len(self.resources)} bundle(s) for "
            f"{len(self.services)} service(s)"
        ]
        if self.up_to_date:
            parts.append(f"{self.up_to_date} already up to date")
        if self.in_flight:
            parts.append(f"{self.in_flight} already being written")
        return "; ".join(parts)


def _in_flight() -> set[tuple[str, str]]:
    """(resource name, digest) of bundle steps that unfinished requests have yet to run."""
    rows = RequestStep.objects.filter(
        request__state__in=ACTIVE_REQUEST_STATES,
        state__in=[StepState.PENDING, StepState.RUNNING],
        resource__kind="gitops-files",
        resource__tags__bundle="observability",
    ).values_list("resource__name", "resource__tags__digest")
    return set(rows)


def plan_backfill(components: list[Component]) -> BackfillPlan:
    """1. drop services without an owner team; 2. take them tier 1 first; 3. render each
    environment's bundle; 4. keep those whose digest differs from the repository's and from
    every unfinished request's; 5. stop after MAX_BACKFILL_SERVICES services with work."""
    plan = BackfillPlan()
    owned = sorted((c for c in components if c.owner_id), key=lambda c: (c.tier, c.name))
    plan.without_owner = sorted(c.name for c in components if not c.owner_id)
    envs = list(Environment.objects.order_by("order", "name"))
    if not envs:
        raise BackfillError("No environments exist: a platform admin must add them first.")
    try:
        index = gitops.bundle_index([c.name for c in owned])
    except gitops.NotConnected as exc:
        raise BackfillError(
            f"Cannot read the GitOps repository ({exc}): nothing was planned."
        ) from None
    context, busy = load_context([c.pk for c in owned]), _in_flight()
    for position, component in enumerate(owned):
        if len(plan.services) >= MAX_BACKFILL_SERVICES:
            plan.not_examined = len(owned) - position
            break
        wrote = False
        for env in envs:
            spec = bundle_spec(component, env, context)
            files = render(spec)
            wanted = digest(files)
            current = index.get((component.name, env.name))
            if current and digest_of_blobs(current) == wanted:
                plan.up_to_date += 1
            elif (f"{conf.GITOPS_REPOSITORY}:{spec.folder}", wanted) in busy:
                plan.in_flight += 1
            else:
                plan.resources.append(bundle_resource(spec, files))
                wrote = True
        if wrote:
            plan.services.append(component.name)
    return plan


def submit_backfill(
    user, components: list[Component], team: Team | None = None, component=None
) -> tuple[ProvisioningRequest | None, BackfillPlan]:
    """Plan, then submit one request with a step per bundle to write; (None, plan) when
    there is nothing to write. `team=None` makes it a platform-wide (admin) request."""
    plan = plan_backfill(components)
    if not plan.resources:
        return None, plan
    parameters = {
        "services": plan.services[:100],
        "bundles": len(plan.resources),
        "up_to_date": plan.up_to_date,
        "in_flight": plan.in_flight,
        "not_examined": plan.not_examined,
    }
    request = submit_steps(
        user,
        plan.summary,
        BACKFILL_TYPE,
        plan.resources,
        team=team,
        component=component,
        parameters=parameters,
        claim=False,  # shared GitOps folders, rewritten idempotently by later backfills
    )
    return request, plan


# --- coverage ----------------------------------------------------------------------------


def _upsert(rows: list[ServiceCoverage]) -> None:
    if rows:
        ServiceCoverage.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["component"],
            update_fields=[
                *COVERAGE_FIELDS,
                "signals_present",
                "fully_covered",
                "environments",
                "refreshed_at",
            ],
        )


def refresh_coverage() -> CoverageRefresh:
    """1. read every bundle folder of the GitOps repository (one git call); 2. ask the stack
    (five HTTP calls at most); 3. compute and store each service's signals in batches.
    With the git host not connected, stored coverage is left as it was."""
    refresh = CoverageRefresh(started_at=timezone.now())
    environments = list(
        Environment.objects.order_by("order", "name").values_list("name", flat=True)
    )
    try:
        index = gitops.bundle_index()
    except gitops.NotConnected as exc:
        refresh.sources = {"gitops": str(exc)}
        refresh.finished_at = timezone.now()
        refresh.save()
        return refresh
    report = stack.observe()
    refresh.sources = {"gitops": f"read: {len(index)} bundle folder(s)", **report.sources}
    batch: list[ServiceCoverage] = []
    for pk, name in Component.objects.order_by("pk").values_list("pk", "name").iterator(2000):
        details = environment_details(name, environments, index)
        statuses = signal_statuses(name, environments, details, report)
        present, full = summary(statuses)
        batch.append(
            ServiceCoverage(
                component_id=pk,
                **statuses,
                signals_present=present,
                fully_covered=full,
                environments=details,
                refreshed_at=refresh.started_at,
            )
        )
        refresh.services += 1
        if len(batch) >= 1000:
            _upsert(batch)
            batch = []
    _upsert(batch)
    refresh.finished_at = timezone.now()
    refresh.save()
    CoverageRefresh.objects.filter(started_at__lt=refresh.started_at - KEEP_REFRESHES).delete()
    logger.info("coverage refreshed for %s services: %s", refresh.services, refresh.sources)
    return refresh


# --- on-call -----------------------------------------------------------------------------


@transaction.atomic
def set_on_call(team: Team, user, pagerduty_service: str, secret: str, key: str) -> TeamOnCall:
    """Create or change the team's on-call target (references only, never the key)."""
    on_call, _ = TeamOnCall.objects.update_or_create(
        team=team,
        defaults={
            "pagerduty_service": pagerduty_service,
            "routing_key_secret": secret,
            "routing_key_secret_key": key,
            "updated_by": user,
        },
    )
    return on_call
