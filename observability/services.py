"""Every write of the observability app, and the bundle generator other apps call.

- `bundle_resources(component, environment)`: the standard bundle as a PlannedResource
  (registered with provisioning.extensions for every new service's plan);
- `submit_backfill(user, components, …)`: one provisioning request, one step per bundle that
  differs from the repository and is not already being written; each step holds the bundle's
  inputs and is rendered when it runs (`render_backfill_step`);
- `refresh_coverage()`: read the GitOps repository and the stack, store every service's signals.
A team's PagerDuty target is written by observability/oncall.py.
"""

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.utils import timezone

from catalog.choices import LinkKind
from catalog.models import Component, Link, Team
from idp_portal.fixed_queries import FixedQuery
from observability import conf, gitops, stack
from observability.bundle import BundleSpec, OnCallRef, digest, digest_of_blobs, render
from observability.choices import BaselineScope
from observability.coverage import environment_details, signal_statuses, summary
from observability.models import AlertBaseline, CoverageRefresh, ServiceCoverage, TeamOnCall
from observability.thresholds import Thresholds, resolve
from observability.validation import bundle_problems
from provisioning.choices import RequestState, StepState
from provisioning.drivers.base import PermanentError, PlannedResource
from provisioning.git_host import DEFAULT_BRANCH
from provisioning.models import Environment, ProvisioningRequest, RequestStep
from provisioning.services import submit_steps

logger = logging.getLogger(__name__)

BACKFILL_TYPE = "observability-backfill"
# A backfill's steps hold each bundle's inputs, not its files (rendered again when the step
# runs: render_backfill_step), so one request carries thousands of bundles. What still bounds
# it is planning, which renders every bundle inside the web request: about 2 ms each unloaded
# (docs/benchmarks.md: 1,000 services × 3 environments planned in 10 s on a busy machine), so
# 2,000 services stay well inside a proxy's 30 s; a larger filter is done in several
# backfills, tier 1 first, and the page says how many services remain.
MAX_BACKFILL_SERVICES = 2_000
BACKFILL_RENDERER = "observability-bundle"  # provisioning.extensions key of render_backfill_step
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
                row.pagerduty_service,
                row.routing_key_secret,
                row.routing_key_secret_key,
                row.vault_path.partition("/")[2],
            )
            for row in TeamOnCall.objects.all()
        },
        # Ordered newest first, so the dict keeps each component's oldest runbook link.
        runbooks=dict(runbooks.values_list("component_id", "url")),
        otlp_endpoint=conf.otlp_endpoint(),
    )


# The default and one tier's rows; compiled once per process (idp_portal/fixed_queries), as the
# service page asks on every view.
_BASELINES = FixedQuery(
    lambda tier: AlertBaseline.objects.filter(tier__in=[BaselineScope.DEFAULT, tier]), int
)


def thresholds_in_force(tier: int) -> Thresholds:
    """The thresholds a service of this tier gets (one query)."""
    rows = {row.tier: row.values() for row in _BASELINES(tier)}
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


def overlay_kustomization(spec: BundleSpec) -> str:
    """Where a golden-path service's overlay for the environment is (the portal's layout)."""
    return f"apps/{spec.service}/overlays/{spec.environment}/kustomization.yaml"


def bundle_resource(
    spec: BundleSpec, files: dict[str, str] | None = None, list_in_overlay: bool = True
) -> PlannedResource:
    """The bundle's folder as a gitops-files step. With `list_in_overlay` (the backfill), the
    same commit lists the folder as a Component in the service's portal overlay when there is
    one; otherwise the step's outcome says that the team must list it in its own kustomization.
    A new service's plan writes its overlays listing the bundle itself."""
    files = files if files is not None else render(spec)
    fingerprint = digest(files)
    listing = (
        {
            "list_in_kustomization": overlay_kustomization(spec),
            # the workload patch merges into the container named after the workload
            "patches_container": {
                "path": f"apps/{spec.service}/base/deployment.yaml",
                "name": spec.workload,
            },
        }
        if list_in_overlay
        else {}
    )
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
            "branch": DEFAULT_BRANCH,
            "prune": True,
            **listing,
        },
    )


def bundle_resources(component: Component, environment: Environment) -> list[PlannedResource]:
    """The bundle generator registered with provisioning.extensions (golden paths call it).
    Raises ValueError when a file fails its schema, which the plan shows as the platform's
    fault: nothing is written."""
    spec = bundle_spec(component, environment, load_context([component.pk]))
    files = render(spec)
    if problems := bundle_problems(files):
        found = "; ".join(f"{name}: {p}" for name, found in problems.items() for p in found)
        raise ValueError(f"{spec.folder} does not validate: {found}")
    return [bundle_resource(spec, files, list_in_overlay=False)]


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
    """(resource name, digest) of bundle steps that unfinished requests have yet to run, and
    (resource name, "*") for those of a backfill not started yet: rendered when they run,
    they will write the bundle as it is wanted then, whatever it was when planned."""
    rows = RequestStep.objects.filter(
        request__state__in=ACTIVE_REQUEST_STATES,
        state__in=[StepState.PENDING, StepState.RUNNING],
        resource__kind="gitops-files",
        resource__tags__bundle="observability",
    ).values_list("resource__name", "resource__tags__digest", "resource__config__render", "state")
    busy = set()
    for name, wanted, renderer, state in rows:
        busy.add((name, wanted))
        if renderer and state == StepState.PENDING:
            busy.add((name, "*"))
    return busy


def backfill_step(spec: BundleSpec, component: Component, files: dict[str, str]) -> PlannedResource:
    """The bundle's resource as a backfill step stores it: name and tags (with the digest
    planned), and in place of the files the inputs to render them again."""
    resource = bundle_resource(spec, files)
    return replace(
        resource,
        config={
            "render": BACKFILL_RENDERER,
            "component": component.pk,
            "service": component.name,
            "environment": spec.environment,
            "message": resource.config.get("message", ""),
        },
    )


def render_backfill_step(resource: PlannedResource) -> PlannedResource:
    """The whole bundle of a backfill step, from the catalog and baselines as they are now
    (registered with provisioning.extensions; the engine calls it when the step runs)."""
    config = resource.config
    component = (
        Component.objects.select_related("owner", "system").filter(pk=config["component"]).first()
    )
    env = Environment.objects.filter(name=config["environment"]).first()
    if component is None or env is None:
        gone = f"service {config['service']}" if component is None else "environment"
        raise PermanentError(
            f"the {gone} of {resource.name} was removed from the portal since the backfill was "
            "planned: nothing was written; backfill again if it is still wanted"
        )
    if component.owner_id is None:
        raise PermanentError(
            f"service {component.name} has no owner team any more: nothing was written to "
            f"{resource.name}; set its owner in the catalog, then backfill it again"
        )
    whole = bundle_resource(bundle_spec(component, env, load_context([component.pk])))
    if whole.name != resource.name:
        raise PermanentError(
            f"service {config['service']} was renamed to {component.name} since the backfill "
            f"was planned: nothing was written to {resource.name}; backfill {component.name} again"
        )
    return whole


def plan_backfill(components: list[Component]) -> BackfillPlan:
    """1. drop services without an owner team; 2. take them tier 1 first; 3. render each
    environment's bundle; 4. keep those whose digest differs from the repository's and from
    every unfinished request's, as steps holding their inputs (backfill_step); 5. stop after
    MAX_BACKFILL_SERVICES services with work."""
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
            folder = f"{conf.GITOPS_REPOSITORY}:{spec.folder}"
            if current and digest_of_blobs(current) == wanted:
                plan.up_to_date += 1
            elif (folder, wanted) in busy or (folder, "*") in busy:
                plan.in_flight += 1
            else:
                plan.resources.append(backfill_step(spec, component, files))
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
                "tier",
                "name",
            ],
        )


def refresh_coverage() -> CoverageRefresh:
    """1. read every bundle folder of the GitOps repository (one git call); 2. ask the stack
    (five HTTP calls at most); 3. compute and store each service's signals in batches;
    4. record the highest service id stored, below which every service has a row.
    With the git host not connected, stored coverage is left as it was."""
    previous = CoverageRefresh.objects.first()
    refresh = CoverageRefresh(
        started_at=timezone.now(), last_component_id=previous.last_component_id if previous else 0
    )
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
    catalog = Component.objects.order_by("pk").values_list("pk", "name", "tier")
    for pk, name, tier in catalog.iterator(2000):
        batch.append(_coverage_row(pk, name, tier, environments, index, report, refresh.started_at))
        refresh.services += 1
        refresh.last_component_id = pk
        if len(batch) >= 1000:
            _upsert(batch)
            batch = []
    _upsert(batch)
    refresh.finished_at = timezone.now()
    refresh.save()
    CoverageRefresh.objects.filter(started_at__lt=refresh.started_at - KEEP_REFRESHES).delete()
    logger.info("coverage refreshed for %s services: %s", refresh.services, refresh.sources)
    return refresh


def _coverage_row(pk, name, tier, environments, index, report, at) -> ServiceCoverage:
    details = environment_details(name, environments, index)
    statuses = signal_statuses(name, environments, details, report)
    present, full = summary(statuses)
    return ServiceCoverage(
        component_id=pk,
        **statuses,
        signals_present=present,
        fully_covered=full,
        environments=details,
        refreshed_at=at,
        tier=tier,
        name=name,
    )


def refresh_coverage_of(names) -> int:
    """Refresh the coverage rows of the named catalog services now, exactly as the periodic
    refresh computes them (their bundle folders in one git call, the stack's report): run
    when a request that wrote their GitOps files finishes, so the coverage page, the API and
    the service page agree at once. Returns how many rows were stored; with the git host not
    connected nothing changes (the page says so)."""
    names = sorted({n for n in names if n})
    services = list(Component.objects.filter(name__in=names).values_list("pk", "name", "tier"))
    if not services:
        return 0
    try:
        index = gitops.bundle_index(sorted({name for _, name, _ in services}))
    except gitops.NotConnected:
        return 0
    environments = list(
        Environment.objects.order_by("order", "name").values_list("name", flat=True)
    )
    report, at = stack.observe(), timezone.now()
    _upsert([_coverage_row(*service, environments, index, report, at) for service in services])
    return len(services)


def services_written_by(request, steps: list | None = None) -> set[str]:
    """The services whose GitOps folders (apps/<service>/…) or deployments a request's steps
    wrote; empty when it wrote none (a bucket, a queue). `steps`: the request's steps when the
    caller holds them (the engine does), else they are read."""
    resources = (
        [step.resource for step in steps]
        if steps is not None
        else request.steps.values_list("resource", flat=True)
    )
    names: set[str] = set()
    for resource in resources:
        provider, kind = resource.get("provider"), resource.get("kind")
        name, config = resource.get("name", ""), resource.get("config") or {}
        if provider == "git" and kind == "gitops-files":
            folder = name.partition(":")[2]
            if folder.startswith("apps/"):
                names.add(folder.split("/")[1])
        elif provider == "portal" and kind == "deployment":
            names.add(config.get("service") or name.partition("/")[0])
        elif config.get("render") == BACKFILL_RENDERER and config.get("service"):
            names.add(config["service"])
    return names
